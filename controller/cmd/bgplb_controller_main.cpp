// bgplb-controller: allocate service addresses and persist the ledger; no BGP.
#include "../../speaker/cmd/options.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bgplb-controller: allocate LoadBalancer addresses from MetalLB pools"};
  speaker::daemon_options o;
  speaker::cmd::raw_options raw;
  o.speaker = false;
  o.api_listen.clear();
  o.metrics_address = "127.0.0.1:7473";
  speaker::cmd::add_common(app, o, raw, true);
  speaker::cmd::add_controller(app, raw);
  CLI11_PARSE(app, argc, argv);
  if (auto err = speaker::cmd::finish(o, raw); !err.empty()) {
    std::cerr << "bgplb-controller: " << err << "\n";
    return 2;
  }
  try {
    return speaker::run_daemon(o);
  } catch (const std::exception& e) {
    std::cerr << "bgplb-controller: " << e.what() << "\n";
    return 2;
  }
}
