// The speaker's shared state: configuration, the routes to announce, the peers and
// the listener. Lives on the io_context thread; peers reach it by reference.
#pragma once

#include "rib/adj_rib_out.hpp"
#include "rib/route_table.hpp"

#include <bgp/speaker.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

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
  // What peer `a` should carry: the speaker-wide routes, with its own routes in place
  // of speaker-wide ones for the same prefix. fn(const prefix&, rib::route_pool::id).
  template <class F>
  void for_each_route_of(const ip_address& a, F&& fn) const {
    const rib::route_table* own = own_routes(a);
    routes.for_each([&](const prefix& p, rib::route_pool::id i) {
      if (!own || !own->contains(p)) fn(p, i);
    });
    if (own) own->for_each(fn);
  }
  // Peer `a`'s own routes (announce_to), or null.
  const rib::route_table* own_routes(const ip_address& a) const {
    const auto it = peer_routes.find(a);
    return it == peer_routes.end() ? nullptr : &it->second;
  }
  // The attributes a peer with its own routes `own` is to have for p, if any.
  std::optional<rib::route_pool::id> route_for(const rib::route_table* own, const prefix& p) const {
    if (own)
      if (auto i = own->find(p)) return i;
    return routes.find(p);
  }

  bool overridden(const ip_address& a, const prefix& p) const {
    const auto own = peer_routes.find(a);
    return own != peer_routes.end() && own->second.contains(p);
  }

  rib::route_pool route_attrs;  // before the tables that refer to it
  rib::route_table routes{route_attrs};
  std::map<ip_address, rib::route_table> peer_routes;
  rib::attribute_pool pool;
  std::vector<std::function<void(const speaker_event&)>> subscribers;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
  bool started = false;
  bool graceful_shutdown = false;
  boost::asio::steady_timer* drain_timer = nullptr;  // while shutdown() drains
  bool skip_drain = false;
  bool initial_routes_ready = true;  // set_initial_routes_ready
};

}  // namespace bgp
