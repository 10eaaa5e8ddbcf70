// bgp_announcer: the BGP speaker library behind a JSON config, for interop tests and
// benchmarks. Prints events as JSON lines on stdout; takes commands as JSON lines on
// stdin ({"cmd":"announce","route":{…}}, {"cmd":"withdraw","prefix":"…"},
// {"cmd":"status"}). SIGTERM/SIGINT: RFC 8326 graceful shutdown, then exit 0.
#include <bgp/speaker.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/json.hpp>

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bgp::ip_address parse_ip(const json::value& v, const std::string& where) {
  const auto a = bgp::ip_address::parse(v.as_string().c_str());
  if (!a) throw config_error(where + ": not an IP address: " + std::string(v.as_string()));
  return *a;
}

std::uint32_t parse_community(const std::string& s, const std::string& where) {
  const auto colon = s.find(':');
  if (colon == std::string::npos) throw config_error(where + ": community must be a:b, got " + s);
  return static_cast<std::uint32_t>(std::stoul(s.substr(0, colon)) << 16 | std::stoul(s.substr(colon + 1)));
}

bgp::route parse_route(const json::object& o, const std::string& where) {
  bgp::route r;
  const auto p = bgp::prefix::parse(o.at("prefix").as_string().c_str());
  if (!p) throw config_error(where + ".prefix: not a prefix");
  r.destination = *p;
  if (auto* v = o.if_contains("next_hop")) r.next_hop = parse_ip(*v, where + ".next_hop");
  if (auto* v = o.if_contains("as_path_prepend"))
    for (const auto& a : v->as_array()) r.as_path.push_back(static_cast<std::uint32_t>(a.to_number<std::uint64_t>()));
  if (auto* v = o.if_contains("communities"))
    for (const auto& c : v->as_array()) r.communities.push_back(parse_community(std::string(c.as_string()), where));
  if (auto* v = o.if_contains("large_communities"))
    for (const auto& c : v->as_array()) {
      std::istringstream in(std::string(c.as_string()));
      std::uint32_t a = 0, b = 0, d = 0;
      char x = 0, y = 0;
      if (!(in >> a >> x >> b >> y >> d) || x != ':' || y != ':')
        throw config_error(where + ": large community must be a:b:c");
      r.large_communities.push_back({a, b, d});
    }
  if (auto* v = o.if_contains("med")) r.med = static_cast<std::uint32_t>(v->to_number<std::uint64_t>());
  if (auto* v = o.if_contains("local_pref")) r.local_pref = static_cast<std::uint32_t>(v->to_number<std::uint64_t>());
  return r;
}

bgp::peer_config parse_peer(const json::object& o, const std::string& where) {
  bgp::peer_config p;
  p.address = parse_ip(o.at("address"), where + ".address");
  p.peer_as = static_cast<std::uint32_t>(o.at("asn").to_number<std::uint64_t>());
  if (auto* v = o.if_contains("port")) p.port = static_cast<std::uint16_t>(v->to_number<std::uint64_t>());
  if (auto* v = o.if_contains("local_address")) p.local_address = parse_ip(*v, where + ".local_address");
  if (auto* v = o.if_contains("passive")) p.passive = v->as_bool();
  if (auto* v = o.if_contains("hold_time")) p.hold_time = static_cast<std::uint16_t>(v->to_number<std::uint64_t>());
  if (auto* v = o.if_contains("connect_retry")) p.connect_retry = static_cast<std::uint16_t>(v->to_number<std::uint64_t>());
  if (auto* v = o.if_contains("password")) p.password = std::string(v->as_string());
  if (auto* v = o.if_contains("ebgp_multihop_ttl")) p.ebgp_multihop_ttl = static_cast<std::uint8_t>(v->to_number<std::uint64_t>());
  if (auto* v = o.if_contains("gtsm")) p.gtsm = v->as_bool();
  if (auto* v = o.if_contains("add_path_send")) p.add_path_send = v->as_bool();
  if (auto* v = o.if_contains("max_prefixes")) p.max_prefixes = static_cast<std::uint32_t>(v->to_number<std::uint64_t>());
  if (auto* v = o.if_contains("keep_received")) p.keep_received = v->as_bool();
  if (auto* v = o.if_contains("next_hop_ipv4")) p.next_hop_ipv4 = parse_ip(*v, where + ".next_hop_ipv4");
  if (auto* v = o.if_contains("next_hop_ipv6")) p.next_hop_ipv6 = parse_ip(*v, where + ".next_hop_ipv6");
  return p;
}

void print(const json::object& o) { std::cout << json::serialize(o) << std::endl; }

json::object status(const bgp::speaker& s) {
  json::array peers;
  for (const auto& p : s.peers())
    peers.push_back(json::object{{"peer", p.address.to_string()},
                                 {"state", std::string(bgp::to_string(p.state))},
                                 {"sent_prefixes", p.sent_prefixes},
                                 {"received_prefixes", p.received_prefixes},
                                 {"last_down_reason", p.last_down_reason}});
  return json::object{{"event", "status"}, {"peers", std::move(peers)}, {"routes", s.route_count()}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "--config") {
    std::cerr << "usage: bgp_announcer --config FILE.json\n";
    return 2;
  }
  asio::io_context io;
  std::unique_ptr<bgp::speaker> speaker;
  try {
    std::ifstream in(argv[2]);
    if (!in) throw config_error(std::string(argv[2]) + ": cannot open");
    std::stringstream text;
    text << in.rdbuf();
    const auto cfg = json::parse(text.str()).as_object();
    bgp::speaker_config sc;
    sc.asn = static_cast<std::uint32_t>(cfg.at("asn").to_number<std::uint64_t>());
    sc.router_id = parse_ip(cfg.at("router_id"), "router_id").v4_host_order();
    if (auto* l = cfg.if_contains("listen")) {
      sc.listen_address = parse_ip(l->as_object().at("address"), "listen.address");
      if (auto* port = l->as_object().if_contains("port")) sc.listen_port = static_cast<std::uint16_t>(port->to_number<std::uint64_t>());
    }
    if (auto* gr = cfg.if_contains("graceful_restart")) {
      sc.graceful_restart = true;
      if (auto* t = gr->as_object().if_contains("restart_time")) sc.restart_time = static_cast<std::uint16_t>(t->to_number<std::uint64_t>());
    }
    if (auto* d = cfg.if_contains("shutdown_drain_seconds"))
      sc.shutdown_drain = std::chrono::milliseconds(static_cast<long long>(d->to_number<double>() * 1000));
    // A passive peer needs a listener: without "listen", listen on every address, port 179.
    if (!sc.listen_address)
      if (auto* peers = cfg.if_contains("peers"))
        for (const auto& p : peers->as_array())
          if (auto* passive = p.as_object().if_contains("passive"); passive && passive->as_bool())
            sc.listen_address = bgp::ip_address::parse("::");
    speaker = std::make_unique<bgp::speaker>(io, sc);
    if (auto* peers = cfg.if_contains("peers")) {
      int i = 0;
      for (const auto& p : peers->as_array()) speaker->set_peer(parse_peer(p.as_object(), "peers[" + std::to_string(i++) + "]"));
    }
    if (auto* routes = cfg.if_contains("routes")) {
      int i = 0;
      for (const auto& r : routes->as_array()) speaker->announce(parse_route(r.as_object(), "routes[" + std::to_string(i++) + "]"));
    }
  } catch (const std::exception& e) {
    std::cerr << "bgp_announcer: " << argv[2] << ": " << e.what() << "\n";
    return 2;
  }

  speaker->subscribe([](const bgp::speaker_event& e) {
    using k = bgp::speaker_event::kind;
    if (e.what == k::peer_state)
      print({{"event", "peer_state"}, {"peer", e.peer.to_string()}, {"state", std::string(bgp::to_string(e.state))}});
    else if (e.what == k::peer_down)
      print({{"event", "peer_down"}, {"peer", e.peer.to_string()}, {"reason", e.reason}});
    else if (e.what == k::routes_received && !e.reason.empty())
      print({{"event", "update_error"}, {"peer", e.peer.to_string()}, {"reason", e.reason}});
  });

  try {
    speaker->start();
  } catch (const std::exception& e) {
    std::cerr << "bgp_announcer: cannot listen: " << e.what() << "\n";
    return 1;
  }

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code, int) {
    print({{"event", "shutdown"}});
    speaker->shutdown("bgplb speaker stopping", [&] { io.stop(); });
  });

  asio::posix::stream_descriptor input(io, ::dup(STDIN_FILENO));
  asio::streambuf buf;
  std::function<void()> read_line = [&] {
    asio::async_read_until(input, buf, '\n', [&](boost::system::error_code ec, std::size_t n) {
      if (ec) return;  // stdin closed: keep running until a signal
      std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(n));
      buf.consume(n);
      try {
        if (line.find_first_not_of(" \t\r\n") != std::string::npos) {
          const auto cmd = json::parse(line).as_object();
          const std::string c(cmd.at("cmd").as_string());
          if (c == "announce") speaker->announce(parse_route(cmd.at("route").as_object(), "route"));
          else if (c == "withdraw") speaker->withdraw(*bgp::prefix::parse(cmd.at("prefix").as_string().c_str()));
          else if (c == "status") print(status(*speaker));
          else print({{"event", "error"}, {"reason", "unknown command " + c}});
        }
      } catch (const std::exception& e) {
        print({{"event", "error"}, {"reason", std::string("bad command: ") + e.what()}});
      }
      read_line();
    });
  };
  read_line();
  io.run();
  return 0;
}
