// bgplb: the single-machine process on the embedded file datastore.
//   bgplb plan -f DIR [-o json|table]   what the controller would allocate; exit 1 on errors
//   bgplb run -f DIR --state DIR         allocate continuously, persisting the ledger
// The speaker joins `run` in its own issue.
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>

#include "controller/allocate.hpp"
#include "controller/plan.hpp"
#include "controller/reconciler.hpp"
#include "store/file_backend.hpp"
#include "store/state_dir.hpp"

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void report(const store::update& u, const controller::reconciler::outcome& o) {
  for (const auto& e : u.errors) std::cerr << "config error: " << e.to_string() << "\n";
  for (const auto& e : o.errors) std::cerr << "state error: " << e.to_string() << "\n";
  if (!o.wrote) return;
  for (const auto& s : o.allocation.services) {
    for (const auto& ev : s.events) {
      std::cerr << ev.type << " " << ev.reason << " " << s.ns << "/" << s.name << ": " << ev.message << "\n";
    }
  }
}

int run(const std::string& dir, const std::string& state_path, std::chrono::seconds hold_down) {
  store::file::state_dir state(state_path);
  controller::options opts;
  opts.hold_down = hold_down;
  controller::reconciler rec(state, opts);
  if (auto errors = rec.load(); !errors.empty()) {
    for (const auto& e : errors) std::cerr << "bgplb: refusing to start: " << e.to_string() << "\n";
    return 1;
  }
  store::file::backend backend(dir, store::file::make_posix_filesystem(), store::file::make_inotify_watcher(dir));
  auto u = backend.list();
  report(u, rec.reconcile(u, unix_now()));
  while (true) {
    // Without news, a pass every minute still expires hold-downs.
    auto next = backend.wait(std::chrono::seconds{60});
    if (next) u = std::move(*next);
    report(u, rec.reconcile(u, unix_now()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bgplb: bare-metal load balancer"};
  app.require_subcommand(1);
  std::string dir;
  auto* plan = app.add_subcommand("plan", "print what the controller would allocate for a manifest directory");
  std::string output = "json";
  plan->add_option("-f,--filename", dir, "manifest directory")->required()->check(CLI::ExistingDirectory);
  plan->add_option("-o,--output", output, "json or table")->check(CLI::IsMember({"json", "table"}));
  auto* run_cmd = app.add_subcommand("run", "allocate continuously from a manifest directory");
  std::string state_path;
  int hold_down_seconds = 300;
  run_cmd->add_option("-f,--filename", dir, "manifest directory")->required()->check(CLI::ExistingDirectory);
  run_cmd->add_option("--state", state_path, "state directory (ledger.json, status.json)")->required();
  run_cmd->add_option("--hold-down", hold_down_seconds, "seconds a released address is kept from other services")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  try {
    if (run_cmd->parsed()) return run(dir, state_path, std::chrono::seconds{hold_down_seconds});
    store::file::backend backend(dir, store::file::make_posix_filesystem(), nullptr);
    const auto update = backend.list();
    const auto r = controller::allocate(*update.snapshot, {}, {});
    std::cout << (output == "json" ? controller::plan_json(r, update.errors) : controller::plan_table(r, update.errors));
    return update.errors.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bgplb: " << e.what() << "\n";
    return 2;
  }
}
