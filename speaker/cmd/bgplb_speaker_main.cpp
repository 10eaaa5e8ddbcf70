// bgplb-speaker: announce this node's service addresses over BGP. The addresses are the
// controller's, read from the datastore (with the file datastore: the ledger in --state,
// else Services' status.loadBalancer.ingress), and programs the node's eBPF dataplane.
// `bgplb-speaker dataplane detach` removes the dataplane.
#include <CLI/CLI.hpp>

#include <iostream>

#include "runtime/process.hpp"
#include "speaker/service.hpp"
#include "store/feed.hpp"
#include "store/options.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bgplb-speaker: announce service addresses from this node over BGP"};
  runtime::shell_options shell;
  shell.program = "bgplb-speaker";
  store::cli_options store_opts;
  speaker::service_options node;
  runtime::add_shell_options(app, shell);
  store::add_options(app, store_opts);
  speaker::add_options(app, node);
  int detach_status = 0;
  auto* dataplane_cmd = speaker::add_dataplane_command(app, detach_status);
  CLI11_PARSE(app, argc, argv);
  if (dataplane_cmd->parsed()) return detach_status;
  store_opts.open.node = node.node;
  for (const auto& err : {store::finish_options(store_opts), speaker::finish_options(node)})
    if (!err.empty()) {
      std::cerr << "bgplb-speaker: " << err << "\n";
      return 2;
    }
  try {
    runtime::process proc(shell);
    auto ds = store::open(store_opts.uri, store_opts.open);
    speaker::service speaker(proc.io(), node);
    store::feed feed(proc.io(), std::move(ds), {&speaker});
    if (feed.store().keeps_events()) {
      speaker.set_event_sink([&feed](const model::name_key& k, const model::event& e) { feed.store().post_event(k, e); });
    }
    proc.add(speaker).add(feed);
    return runtime::exit_without_teardown(proc.run());
  } catch (const std::exception& e) {
    std::cerr << "bgplb-speaker: " << e.what() << "\n";
    return 2;
  }
}
