// bfd_probe: runs BFD sessions of bfd::manager from the command line, for the
// namespace tests (bfd/test/) and the benchmark (test/bench/bfd/). Prints one JSON
// object per line on stdout (state changes, answers to commands) and reads commands,
// one per line, on stdin:
//   status                      every session's status
//   stats                       manager-wide counters (drops by reason, late sends)
//   admin down|up               disable / enable every session
//   set tx=MS rx=MS mult=N      change every session's profile (Poll/Final, no flap)
//   remove                      remove every session (AdminDown sent)
//   quit
// With --sessions N > 1, session i talks to peer-base + i (the peers' addresses count
// up), or from local-base + i when --count-local is given (the generator's side).
#include <bfd/json.hpp>
#include <bfd/manager.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <iostream>
#include <istream>
#include <sstream>
#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

asio::ip::address nth(const asio::ip::address& base, std::uint32_t i) {
  if (base.is_v4()) return asio::ip::address_v4(base.to_v4().to_uint() + i);
  auto b = base.to_v6().to_bytes();
  for (int k = 15; k >= 0 && i; --k) {
    const std::uint32_t s = b[k] + (i & 0xff);
    b[k] = static_cast<std::uint8_t>(s);
    i = (i >> 8) + (s >> 8);
  }
  return asio::ip::address_v6(b);
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void emit(const json::object& o) { std::cout << json::serialize(o) << std::endl; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bfd_probe: BFD sessions from the command line"};
  std::string peer, local, interface, auth, key, device;
  std::uint32_t rx = 300, tx = 300, mult = 3, min_ttl = 254, sessions = 1;
  std::uint16_t listen_port = 3784, mh_listen_port = 4784, peer_port = 0;
  std::uint32_t key_id = 1;
  bool multihop = false, passive = false, count_local = false, quiet = false;
  app.add_option("--peer", peer, "peer address (the first, with --sessions)")->required();
  app.add_option("--local", local, "local address (the first, with --count-local)");
  app.add_option("--interface", interface, "single hop: the interface");
  app.add_flag("--multihop", multihop, "RFC 5883 multihop (UDP 4784)");
  app.add_option("--rx", rx, "receiveInterval, ms");
  app.add_option("--tx", tx, "transmitInterval, ms");
  app.add_option("--mult", mult, "detectMultiplier");
  app.add_option("--min-ttl", min_ttl, "minimumTtl (multihop)");
  app.add_flag("--passive", passive, "passiveMode");
  app.add_option("--listen-port", listen_port, "single-hop receive port (0: ephemeral)");
  app.add_option("--multihop-listen-port", mh_listen_port, "multihop receive port (0: ephemeral)");
  app.add_option("--peer-port", peer_port, "the peer's port (default 3784 / 4784)");
  app.add_option("--auth", auth, "keyed-sha1 | meticulous-keyed-sha1");
  app.add_option("--key-id", key_id, "Auth Key ID");
  app.add_option("--key", key, "SHA1 key (1-20 octets)");
  app.add_option("--bind-device", device, "SO_BINDTODEVICE for every socket");
  app.add_option("--sessions", sessions, "number of sessions");
  app.add_flag("--count-local", count_local, "with --sessions: count up the local address instead of the peer's");
  app.add_flag("--quiet", quiet, "no state-change lines (benchmark)");
  CLI11_PARSE(app, argc, argv);

  asio::io_context io;
  bfd::manager_config mc;
  mc.single_hop_port = listen_port;
  mc.multi_hop_port = mh_listen_port;
  mc.bind_device = device;
  bfd::manager m(io, mc);

  std::vector<bfd::session_config> configs;
  boost::system::error_code ec;
  const auto peer_addr = asio::ip::make_address(peer, ec);
  if (ec) {
    std::cerr << "bad --peer " << peer << "\n";
    return 2;
  }
  std::optional<asio::ip::address> local_addr;
  if (!local.empty()) local_addr = asio::ip::make_address(local);
  for (std::uint32_t i = 0; i < sessions; ++i) {
    bfd::session_config c;
    c.key.peer = count_local ? peer_addr : nth(peer_addr, i);
    if (local_addr) c.key.local = count_local ? nth(*local_addr, i) : *local_addr;
    c.key.interface = interface;
    c.key.hops = multihop ? bfd::hop_mode::multi_hop : bfd::hop_mode::single_hop;
    c.timers.receive_interval_ms = rx;
    c.timers.transmit_interval_ms = tx;
    c.timers.detect_multiplier = mult;
    c.timers.passive_mode = passive;
    c.timers.minimum_ttl = min_ttl;
    c.peer_port = peer_port;
    if (auth == "keyed-sha1") c.auth.type = bfd::auth_type::keyed_sha1;
    else if (auth == "meticulous-keyed-sha1") c.auth.type = bfd::auth_type::meticulous_keyed_sha1;
    else if (!auth.empty()) {
      std::cerr << "bad --auth " << auth << "\n";
      return 2;
    }
    c.auth.key_id = static_cast<std::uint8_t>(key_id);
    c.auth.key = key;
    if (auto e = m.set_session(c); !e.empty()) {
      std::cerr << "bfd_probe: " << e << "\n";
      return 1;
    }
    configs.push_back(c);
  }
  if (!quiet)
    m.subscribe([](const bfd::state_change& ch) {
      emit({{"event", "state"}, {"peer", ch.key.peer.to_string()}, {"from", std::string(bfd::to_string(ch.from))},
            {"to", std::string(bfd::to_string(ch.to))}, {"diag", std::string(bfd::to_string(ch.diag))},
            {"remote_diag", std::string(bfd::to_string(ch.remote_diag))},
            {"remote_state", std::string(bfd::to_string(ch.remote_state))}, {"t", now_s()}});
    });
  emit({{"event", "ready"},
        {"port", m.local_port(configs[0].key.hops, peer_addr.is_v6())},
        {"sessions", sessions}});

  asio::posix::stream_descriptor in(io, ::dup(STDIN_FILENO));
  asio::streambuf line_buf;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { io.stop(); });
  std::function<void()> read_line = [&] {
    asio::async_read_until(in, line_buf, '\n', [&](boost::system::error_code rec, std::size_t) {
      if (rec) return;  // stdin closed: keep running until a signal
      std::istream is(&line_buf);
      std::string line;
      std::getline(is, line);
      std::istringstream words(line);
      std::string cmd, arg;
      words >> cmd;
      if (cmd == "status") {
        json::array a;
        const auto now = std::chrono::steady_clock::now();
        for (const auto& s : m.sessions()) a.push_back(bfd::to_json(s, now));
        emit({{"event", "status"}, {"sessions", a}, {"t", now_s()}});
      } else if (cmd == "stats") {
        auto o = bfd::to_json(m.stats());
        o["event"] = "stats";
        emit(o);
      } else if (cmd == "admin") {
        words >> arg;
        for (const auto& c : configs) m.set_admin_down(c.key, arg == "down");
        emit({{"event", "ok"}, {"cmd", line}});
      } else if (cmd == "set") {
        while (words >> arg) {
          const auto eq = arg.find('=');
          if (eq == std::string::npos) continue;
          const auto k = arg.substr(0, eq);
          const auto v = static_cast<std::uint32_t>(std::stoul(arg.substr(eq + 1)));
          for (auto& c : configs) {
            if (k == "tx") c.timers.transmit_interval_ms = v;
            if (k == "rx") c.timers.receive_interval_ms = v;
            if (k == "mult") c.timers.detect_multiplier = v;
          }
        }
        std::string err;
        for (const auto& c : configs)
          if (auto e = m.set_session(c); !e.empty()) err = e;
        emit({{"event", err.empty() ? "ok" : "error"}, {"cmd", line}, {"error", err}});
      } else if (cmd == "remove") {
        for (const auto& c : configs) m.remove_session(c.key);
        emit({{"event", "ok"}, {"cmd", line}});
      } else if (cmd == "quit") {
        io.stop();
        return;
      } else if (!cmd.empty()) {
        emit({{"event", "error"}, {"cmd", line}, {"error", "unknown command"}});
      }
      read_line();
    });
  };
  read_line();
  io.run();
  return 0;
}
