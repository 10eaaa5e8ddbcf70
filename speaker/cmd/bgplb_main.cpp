// bgplb: the single-machine process on the embedded file datastore.
//   bgplb plan -f DIR [--node NAME] [-o json|table]   what bgplb would do; exit 1 on errors
//   bgplb run -f DIR --state DIR [--node NAME] ...     controller + speaker, continuously
#include <boost/json.hpp>

#include "controller/allocate.hpp"
#include "controller/plan.hpp"
#include "options.hpp"
#include "speaker/plan.hpp"
#include "store/file_backend.hpp"

namespace {

int plan(const std::string& dir, const std::string& output, const std::string& node) {
  store::file::backend backend(dir, store::file::make_posix_filesystem(), nullptr);
  const auto update = backend.list();
  const auto r = controller::allocate(*update.snapshot, {}, {});
  if (output == "table" || node.empty()) {
    std::cout << (output == "json" ? controller::plan_json(r, update.errors) : controller::plan_table(r, update.errors));
  } else {
    speaker::assignments ips;
    for (const auto& s : r.services)
      if (!s.ingress.empty()) ips[{s.ns, s.name}] = s.ingress;
    const auto p = speaker::plan(*update.snapshot, ips, node);
    auto base = boost::json::parse(controller::plan_json(r, update.errors)).as_object();
    boost::json::object doc;
    doc["services"] = base["services"];
    doc["pools"] = base["pools"];
    doc["announcements"] = boost::json::parse(speaker::announcements_json(p));
    doc["withheld"] = boost::json::parse(speaker::withheld_json(p));
    auto& errors = doc["errors"] = base["errors"];
    for (const auto& e : p.errors) errors.as_array().emplace_back(e.to_string());
    std::cout << controller::pretty_json(boost::json::serialize(doc));
    return update.errors.empty() && p.errors.empty() ? 0 : 1;
  }
  return update.errors.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bgplb: bare-metal load balancer (controller + speaker on a manifest directory)"};
  app.require_subcommand(1);
  std::string dir, output = "json", plan_node;
  auto* plan_cmd = app.add_subcommand("plan", "print what bgplb would allocate and announce for a manifest directory");
  plan_cmd->add_option("-f,--filename", dir, "manifest directory")->required()->check(CLI::ExistingDirectory);
  plan_cmd->add_option("-o,--output", output, "json or table")->check(CLI::IsMember({"json", "table"}));
  plan_cmd->add_option("--node", plan_node, "also show the routes this node would announce, and what it withholds");

  auto* run_cmd = app.add_subcommand("run", "allocate and announce continuously from a manifest directory");
  speaker::daemon_options o;
  speaker::cmd::raw_options raw;
  speaker::cmd::add_common(*run_cmd, o, raw, true);
  speaker::cmd::add_speaker(*run_cmd, o, raw);
  speaker::cmd::add_api(*run_cmd, o);
  speaker::cmd::add_controller(*run_cmd, raw);
  CLI11_PARSE(app, argc, argv);

  try {
    if (run_cmd->parsed()) {
      if (auto err = speaker::cmd::finish(o, raw); !err.empty()) {
        std::cerr << "bgplb: " << err << "\n";
        return 2;
      }
      return speaker::run_daemon(o);
    }
    return plan(dir, output, plan_node);
  } catch (const std::exception& e) {
    std::cerr << "bgplb: " << e.what() << "\n";
    return 2;
  }
}
