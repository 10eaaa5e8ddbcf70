// bgplb-speaker: announce this node's service addresses. Addresses come from the
// controller's ledger in --state (watched), else from Service status.loadBalancer.ingress.
#include "options.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bgplb-speaker: announce service addresses from this node over BGP"};
  speaker::daemon_options o;
  speaker::cmd::raw_options raw;
  o.controller = false;
  speaker::cmd::add_common(app, o, raw, false);
  speaker::cmd::add_speaker(app, o, raw);
  speaker::cmd::add_api(app, o);
  CLI11_PARSE(app, argc, argv);
  if (auto err = speaker::cmd::finish(o, raw); !err.empty()) {
    std::cerr << "bgplb-speaker: " << err << "\n";
    return 2;
  }
  try {
    return speaker::run_daemon(o);
  } catch (const std::exception& e) {
    std::cerr << "bgplb-speaker: " << e.what() << "\n";
    return 2;
  }
}
