// bgplb: the single-machine process.
//   bgplb plan -f DIR [--node NAME] [-o json|table]   what bgplb would do; exit 1 on errors
//   bgplb plan --datastore URI [...]                   the same for a cluster (kubernetes:...),
//                                                      read once with the controller's ledger,
//                                                      never written (store/read_once.hpp)
//   bgplb run -f DIR --state DIR [--node NAME] ...     controller + speaker, continuously
//   bgplb dataplane detach [--node NAME]               remove the node's eBPF programs, maps and pins
#include <boost/json.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <optional>

#include "controller/allocate.hpp"
#include "controller/plan.hpp"
#include "controller/service.hpp"
#include "model/assignments.hpp"
#include "model/validate.hpp"
#include "runtime/process.hpp"
#include "speaker/plan.hpp"
#include "speaker/service.hpp"
#include "store/feed.hpp"
#include "store/file_backend.hpp"
#include "store/options.hpp"
#include "store/read_once.hpp"

namespace {

// `previous`: the controller's ledger when the datastore keeps one (holds and all), which
// the plan allocates from as the controller would, at the present time.
int plan(const store::update& update, const std::string& output, const std::string& node,
         const std::optional<std::string>& load_balancer_class = std::nullopt,
         const std::optional<model::ledger>& previous = std::nullopt,
         const controller::service_options& ctl = {}) {
  controller::options opts;
  opts.load_balancer_class = load_balancer_class;
  opts.hold_down = ctl.hold_down;
  if (previous) {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    opts.now = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
  }
  const auto r = controller::allocate(*update.snapshot, previous.value_or(model::ledger{}), opts);
  if (output == "table" || node.empty()) {
    std::cout << (output == "json" ? controller::plan_json(r, update.errors) : controller::plan_table(r, update.errors));
    return update.errors.empty() ? 0 : 1;
  }
  const auto p = speaker::plan(*update.snapshot, model::assignments_from(r.ledger), node);
  auto base = boost::json::parse(controller::plan_json(r, update.errors)).as_object();
  boost::json::object doc;
  doc["services"] = base["services"];
  doc["pools"] = base["pools"];
  doc["sessions"] = boost::json::parse(speaker::sessions_json(p));
  doc["announcements"] = boost::json::parse(speaker::announcements_json(p));
  doc["withheld"] = boost::json::parse(speaker::withheld_json(p));
  auto& errors = doc["errors"] = base["errors"];
  for (const auto& e : p.errors) errors.as_array().emplace_back(e.to_string());
  // What is read but not acted on (Calico fields bgplb ignores, names MetalLB skips).
  auto& warnings = doc["warnings"] = boost::json::array();
  for (const auto& w : model::warnings(*update.snapshot)) warnings.as_array().emplace_back(w.to_string());
  std::cout << controller::pretty_json(boost::json::serialize(doc));
  return update.errors.empty() && p.errors.empty() ? 0 : 1;
}

// The objects plan works on: the manifest directory as the file backend lists it, or one
// read of a datastore with the controller's ledger when it keeps one (addresses already
// in Service status are kept, and held addresses held, as the controller does).
int plan(const std::string& dir, const std::string& uri, const std::optional<std::string>& load_balancer_class,
         int timeout_s, const std::string& output, const std::string& node, const controller::service_options& ctl) {
  if (uri.empty()) {
    store::file::backend backend(dir, store::file::make_posix_filesystem(), nullptr);
    return plan(backend.list(), output, node);
  }
  // stdout carries the plan alone: the datastore's log lines go to stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("bgplb-plan"));
  store::open_options o;
  o.node = node;
  o.load_balancer_class = load_balancer_class;
  auto r = store::read_once(uri, o, std::chrono::seconds(timeout_s), /*with_ledger=*/true);
  if (!r.objects) {
    std::cerr << "bgplb: " << r.error << "\n";
    return 2;
  }
  return plan(*r.objects, output, node, load_balancer_class, r.ledger, ctl);
}

int run(const runtime::shell_options& shell, const store::cli_options& store_opts, controller::service_options ctl,
        const speaker::service_options& node) {
  runtime::process proc(shell);
  auto ds = store::open(store_opts.uri, store_opts.open);
  speaker::service speaker(proc.io(), node);
  const auto events_to = [&speaker](store::feed& feed) {
    if (feed.store().keeps_events()) {
      speaker.set_event_sink([&feed](const model::name_key& k, const model::event& e) { feed.store().post_event(k, e); });
    }
  };
  if (!store_opts.open.controller) {
    store::feed feed(proc.io(), std::move(ds), {&speaker});
    events_to(feed);
    proc.add(speaker).add(feed);
    return runtime::exit_without_teardown(proc.run());
  }
  controller::service controller(proc.io(), *ds, std::move(ctl));
  store::feed feed(proc.io(), std::move(ds), {&controller, &speaker});
  events_to(feed);
  proc.add(controller).add(speaker).add(feed);
  return runtime::exit_without_teardown(proc.run());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bgplb: bare-metal load balancer (controller + speaker on a manifest directory)"};
  app.require_subcommand(1);
  std::string dir, plan_uri, output = "json", plan_node;
  std::optional<std::string> plan_class;
  int plan_timeout = 30;
  auto* plan_cmd = app.add_subcommand(
      "plan", "print what bgplb would allocate and announce for a manifest directory or a cluster (read-only)");
  auto* plan_dir = plan_cmd->add_option("-f,--filename", dir, "manifest directory")->check(CLI::ExistingDirectory);
  auto* plan_store = plan_cmd->add_option(
      "--datastore", plan_uri,
      "read the objects once from this datastore instead: kubernetes:?kubeconfig=FILE (docs/kubernetes.md), "
      "etcd://...; nothing is written and no leadership is sought");
  plan_dir->excludes(plan_store);
  plan_cmd->add_option("--load-balancer-class", plan_class, "with --datastore: the spec.loadBalancerClass served");
  plan_cmd->add_option("--timeout", plan_timeout, "with --datastore: seconds to wait for the first complete read")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  plan_cmd->add_option("-o,--output", output, "json or table")->check(CLI::IsMember({"json", "table"}));
  plan_cmd->add_option("--node", plan_node, "also show the routes this node would announce, and what it withholds");
  controller::service_options plan_ctl;
  controller::add_options(*plan_cmd, plan_ctl);  // --hold-down: the controller's, for the ledger's holds

  auto* run_cmd = app.add_subcommand("run", "allocate and announce continuously from a manifest directory");
  runtime::shell_options shell;
  store::cli_options store_opts;
  store_opts.open.controller = true;
  controller::service_options ctl;
  speaker::service_options node;
  runtime::add_shell_options(*run_cmd, shell);
  store::add_options(*run_cmd, store_opts);
  std::string controller_mode = "auto";
  run_cmd
      ->add_option("--controller", controller_mode,
                   "allocate here: auto (only on the designated node: the Node labelled bgplb.io/controller=true, "
                   "else the first Node by name; docs/operations.md), on, or off (speaker only)")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  speaker::add_options(*run_cmd, node);
  controller::add_options(*run_cmd, ctl);
  int detach_status = 0;
  auto* dataplane_cmd = speaker::add_dataplane_command(app, detach_status);
  CLI11_PARSE(app, argc, argv);

  try {
    if (dataplane_cmd->parsed()) return detach_status;
    if (!run_cmd->parsed()) {
      if (dir.empty() == plan_uri.empty()) {
        std::cerr << "bgplb plan: give -f DIR or --datastore URI\n";
        return 2;
      }
      return plan(dir, plan_uri, plan_class, plan_timeout, output, plan_node, plan_ctl);
    }
    store_opts.open.node = node.node;
    store_opts.open.controller = controller_mode != "off";
    store_opts.open.standby = controller_mode == "auto";
    ctl.load_balancer_class = store_opts.open.load_balancer_class;
    for (const auto& err : {store::finish_options(store_opts), speaker::finish_options(node)})
      if (!err.empty()) {
        std::cerr << "bgplb: " << err << "\n";
        return 2;
      }
    return run(shell, store_opts, std::move(ctl), node);
  } catch (const std::exception& e) {
    std::cerr << "bgplb: " << e.what() << "\n";
    return 2;
  }
}
