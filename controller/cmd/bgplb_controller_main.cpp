// bgplb-controller: allocate service addresses and publish them in the datastore; no BGP.
#include <CLI/CLI.hpp>

#include <iostream>

#include "controller/service.hpp"
#include "runtime/process.hpp"
#include "store/feed.hpp"
#include "store/options.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bgplb-controller: allocate LoadBalancer addresses from MetalLB pools"};
  runtime::shell_options shell;
  shell.program = "bgplb-controller";
  shell.metrics_address = "127.0.0.1:7473";
  store::cli_options store_opts;
  store_opts.open.controller = true;
  controller::service_options ctl;
  runtime::add_shell_options(app, shell);
  store::add_options(app, store_opts);
  controller::add_options(app, ctl);
  CLI11_PARSE(app, argc, argv);
  ctl.load_balancer_class = store_opts.open.load_balancer_class;
  if (auto err = store::finish_options(store_opts); !err.empty()) {
    std::cerr << "bgplb-controller: " << err << "\n";
    return 2;
  }
  try {
    runtime::process proc(shell);
    auto ds = store::open(store_opts.uri, store_opts.open);
    controller::service controller(proc.io(), *ds, ctl);
    store::feed feed(proc.io(), std::move(ds), {&controller});
    proc.add(controller).add(feed);
    return runtime::exit_without_teardown(proc.run());
  } catch (const std::exception& e) {
    std::cerr << "bgplb-controller: " << e.what() << "\n";
    return 2;
  }
}
