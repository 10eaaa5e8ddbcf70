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
  std::unordered_map<prefix, route, rib::prefix_hash> routes;
  rib::attribute_pool pool;
  std::vector<std::function<void(const speaker_event&)>> subscribers;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
  bool started = false;
  bool graceful_shutdown = false;
};

}  // namespace bgp
