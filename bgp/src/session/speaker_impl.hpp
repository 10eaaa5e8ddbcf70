// The speaker's shared state: configuration, the routes to announce, the peers and
// the listener. Lives on the io_context thread; peers reach it by reference.
#pragma once

#include "rib/adj_rib_out.hpp"

#include <bgp/speaker.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <map>
#include <unordered_map>
#include <memory>

namespace bgp::session {
class peer;
}

namespace bgp {

struct speaker::impl {
  impl(boost::asio::io_context& io_, speaker_config c) : io(io_), cfg(std::move(c)) {}

  void emit(const speaker_event& e) {
    for (const auto& h : subscribers) h(e);
  }
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> drain_and_stop(bool drain, std::string text);
  void install_listener_keys();

  boost::asio::io_context& io;
  speaker_config cfg;
  std::map<ip_address, std::shared_ptr<session::peer>> peers;
  using route_table = std::unordered_map<prefix, route, rib::prefix_hash>;
  // What peer `a` should carry: the speaker-wide routes, with its own routes in place
  // of speaker-wide ones for the same prefix.
  template <class F>
  void for_each_route_of(const ip_address& a, F&& f) const {
    const auto own = peer_routes.find(a);
    for (const auto& [p, r] : routes)
      if (own == peer_routes.end() || !own->second.contains(p)) f(r);
    if (own != peer_routes.end())
      for (const auto& [p, r] : own->second) f(r);
  }

  bool overridden(const ip_address& a, const prefix& p) const {
    const auto own = peer_routes.find(a);
    return own != peer_routes.end() && own->second.contains(p);
  }

  route_table routes;
  std::map<ip_address, route_table> peer_routes;
  rib::attribute_pool pool;
  std::vector<std::function<void(const speaker_event&)>> subscribers;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
  bool started = false;
  bool graceful_shutdown = false;
};

}  // namespace bgp
