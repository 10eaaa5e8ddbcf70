// Test-only: a fixed topology of bgp::speakers on loopback addresses in one process,
// with A serving the GoBGP API. It mirrors the topology of the GoBGP recording
// (cli/test/gobgp_recording/README.md):
//   A  AS65001 rid 10.0.0.1  127.0.0.1  serves the API, originates the routes below
//   B  AS65002 rid 10.0.0.2  127.0.0.2  eBGP with A
//   C  AS65001 rid 10.0.0.3  127.0.0.3  iBGP with A; sends A 10.3.0.1/32, which A keeps
//   A also has neighbour 127.0.0.4 (AS65004), which never comes up.
// usage: api_fixture --bgp-port P --api ADDR [--control-socket PATH] [--audit-log FILE]
//                    [--allow-writes] [--allow-remote] [--tls-cert F --tls-key F]
// (no control socket unless --control-socket: tests must not share /run/bgplb).
// Prints "ready" once the API serves and both sessions are Established; runs until
// SIGTERM/SIGINT.
#include "fixture_common.hpp"

#include <boost/asio/post.hpp>

#include <cstdlib>
#include <future>
#include <iostream>
#include <string>
#include <thread>

namespace {

using fixture::ip;

bgp::speaker_config speaker_config(std::uint32_t asn, std::uint32_t rid, const char* addr, std::uint16_t port) {
  bgp::speaker_config c;
  c.asn = asn;
  c.router_id = rid;
  c.listen_address = ip(addr);
  c.listen_port = port;
  c.graceful_restart = false;
  return c;
}

bgp::peer_config peer(const char* addr, std::uint32_t as, std::uint16_t port, const char* local, const char* desc) {
  bgp::peer_config p;
  p.address = ip(addr);
  p.peer_as = as;
  p.port = port;
  p.local_address = ip(local);
  p.connect_retry = 1;
  p.description = desc;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t bgp_port = 0;
  fixture::api_options api;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "api_fixture: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--bgp-port") bgp_port = static_cast<std::uint16_t>(std::stoi(next()));
    else if (!api.take(a, next)) {
      std::cerr << "api_fixture: unknown argument " << a << '\n';
      return 2;
    }
  }
  if (bgp_port == 0) {
    std::cerr << "api_fixture: --bgp-port is required\n";
    return 2;
  }
  const sigset_t sigs = fixture::block_signals();

  boost::asio::io_context io;
  bgp::speaker a(io, speaker_config(65001, 0x0A000001, "127.0.0.1", bgp_port));
  bgp::speaker b(io, speaker_config(65002, 0x0A000002, "127.0.0.2", bgp_port));
  bgp::speaker c(io, speaker_config(65001, 0x0A000003, "127.0.0.3", bgp_port));
  auto to_b = peer("127.0.0.2", 65002, bgp_port, "127.0.0.1", "ebgp-peer-b");
  to_b.password = getenv("FX_NOMD5") ? "" : "secret-md5";  // must never show in the API
  auto b_to_a = peer("127.0.0.1", 65001, bgp_port, "127.0.0.2", "a");
  b_to_a.password = to_b.password;
  // A and B both connect (a collision to resolve); A waits for C.
  auto to_c = peer("127.0.0.3", 65001, bgp_port, "127.0.0.1", "ibgp-peer-c");
  to_c.passive = true;
  to_c.keep_received = true;  // A keeps what C sends: `neighbor 127.0.0.3 adj-in`
  a.set_peer(to_b);
  a.set_peer(to_c);
  a.set_peer(peer("127.0.0.4", 65004, bgp_port, "127.0.0.1", "never-up"));
  b.set_peer(b_to_a);
  c.set_peer(peer("127.0.0.1", 65001, bgp_port, "127.0.0.3", "a"));
  fixture::originate(a);
  auto r6 = fixture::route("10.88.0.0/16");  // for B only
  r6.communities = {65001u << 16 | 888};
  a.announce_to(ip("127.0.0.2"), r6);
  auto from_c = fixture::route("10.3.0.1/32");
  from_c.communities = {65001u << 16 | 333};
  c.announce(from_c);
  if (std::getenv("FX_DEBUG"))
    for (auto* s : {&a, &b, &c})
      s->subscribe([s](const bgp::speaker_event& e) {
        if (e.what == bgp::speaker_event::kind::routes_received) return;
        std::cerr << "speaker AS" << s->configuration().asn << " peer " << e.peer.to_string() << ' '
                  << bgp::to_string(e.state) << ' ' << e.reason << '\n';
      });
  a.start();
  b.start();
  c.start();

  api::gobgp_server server(api.cfg, {api::speaker_ref{io, a}});
  const auto both_up = [&] {  // up to 20 s
    for (int k = 0; k < 200; ++k) {
      std::promise<bool> up;
      boost::asio::post(io, [&] {
        auto pb = a.peer(ip("127.0.0.2")), pc = a.peer(ip("127.0.0.3"));
        up.set_value(pb && pc && pb->state == bgp::peer_state::established &&
                     pc->state == bgp::peer_state::established);
      });
      if (up.get_future().get()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  };
  return fixture::serve("api_fixture", io, server, sigs, both_up, [&] {
    a.abort();
    b.abort();
    c.abort();
  });
}
