// Test-only: one bgp::speaker serving the GoBGP API, with peers given on the command
// line, for namespace tests against real routers (test/integration/test_gobgp_api.py).
// It originates fixture::originate's routes and keeps what each peer sends (adj-in).
// usage: api_speaker --asn N --router-id A [--listen ADDR] [--peer ADDR,AS,LOCAL[,passive]]...
//                    --api ADDR [--control-socket PATH] [--audit-log FILE] [--allow-writes] ...
// Prints "ready" once the API serves; runs until SIGTERM/SIGINT.
#include "fixture_common.hpp"

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> fields(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string f; std::getline(in, f, ',');) out.push_back(f);
  return out;
}

bgp::peer_config peer(const std::string& spec) {
  const auto f = fields(spec);
  if (f.size() < 3 || f.size() > 4 || (f.size() == 4 && f[3] != "passive"))
    throw std::invalid_argument("--peer wants ADDR,AS,LOCAL[,passive], not " + spec);
  bgp::peer_config p;
  p.address = fixture::ip(f[0]);
  p.peer_as = static_cast<std::uint32_t>(std::stoul(f[1]));
  p.local_address = fixture::ip(f[2]);
  p.passive = f.size() == 4;
  p.hold_time = 9;
  p.connect_retry = 1;
  p.keep_received = true;
  p.description = "peer " + f[0];
  return p;
}

}  // namespace

int main(int argc, char** argv) try {
  bgp::speaker_config sc;
  sc.graceful_restart = true;
  sc.hostname = "bgplb-api-speaker";
  std::vector<bgp::peer_config> peers;
  fixture::api_options api;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--asn") sc.asn = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--router-id") sc.router_id = fixture::ip(next()).v4_host_order();
    else if (a == "--listen") sc.listen_address = fixture::ip(next());
    else if (a == "--peer") peers.push_back(peer(next()));
    else if (!api.take(a, next)) throw std::invalid_argument("unknown argument " + a);
  }
  if (sc.asn == 0 || sc.router_id == 0) throw std::invalid_argument("--asn and --router-id are required");
  const sigset_t sigs = fixture::block_signals();

  boost::asio::io_context io;
  bgp::speaker s(io, sc);
  for (const auto& p : peers) s.set_peer(p);
  fixture::originate(s);
  s.start();
  api::gobgp_server server(api.cfg, {api::speaker_ref{io, s}});
  return fixture::serve("api_speaker", io, server, sigs, [] {}, [&] { s.abort(); });
} catch (const std::exception& e) {
  std::cerr << "api_speaker: " << e.what() << '\n';
  return 2;
}
