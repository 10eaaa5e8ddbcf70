// bgp::speaker: peers, routes, the listener, graceful shutdown.
#include <bgp/speaker.hpp>

#include "session/endpoint.hpp"
#include "session/peer.hpp"
#include "session/socket_options.hpp"
#include "session/speaker_impl.hpp"

#include <bgp/iana.hpp>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bgp {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

speaker::speaker(asio::io_context& io, speaker_config config)
    : impl_(std::make_unique<impl>(io, std::move(config))) {}

speaker::~speaker() {
  for (auto& [a, p] : impl_->peers) p->abort();
  if (impl_->acceptor) {
    boost::system::error_code ec;
    impl_->acceptor->close(ec);
  }
}

void speaker::impl::install_listener_keys() {
  if (!acceptor) return;
  for (const auto& [a, p] : peers)
    if (!p->config().password.empty())
      session::set_md5(acceptor->native_handle(), a, p->config().password);
}

asio::awaitable<void> speaker::impl::accept_loop() {
  for (;;) {
    auto [ec, s] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) continue;
    boost::system::error_code rec;
    const auto remote = s.remote_endpoint(rec).address();
    if (rec) continue;
    const ip_address from = session::address_of(remote);
    auto it = peers.find(from);
    if (it == peers.end()) {
      // RFC 4271 §8.2.1: connections from unconfigured addresses are refused.
      s.close(rec);
      continue;
    }
    it->second->offer(std::move(s));
  }
}

void speaker::start() {
  auto& i = *impl_;
  if (i.started) return;
  i.started = true;
  if (i.cfg.listen_address) {
    const auto& a = *i.cfg.listen_address;
    const tcp::endpoint ep = session::endpoint_of(a, i.cfg.listen_port);
    i.acceptor = std::make_unique<tcp::acceptor>(i.io);
    i.acceptor->open(ep.protocol());
    i.acceptor->set_option(tcp::acceptor::reuse_address(true));
    if (!a.is_v4()) i.acceptor->set_option(asio::ip::v6_only(false));
    i.acceptor->bind(ep);
    i.acceptor->listen();
    i.install_listener_keys();
    asio::co_spawn(i.io, i.accept_loop(), asio::detached);
  }
  for (auto& [a, p] : i.peers) p->start();
}

std::uint16_t speaker::listen_port() const {
  if (!impl_->acceptor) return 0;
  boost::system::error_code ec;
  const auto ep = impl_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void speaker::set_peer(peer_config config) {
  auto& i = *impl_;
  auto it = i.peers.find(config.address);
  if (it != i.peers.end()) {
    if (it->second->absorbs(config)) {
      it->second->set_soft_config(config);
      return;
    }
    // RFC 9003 messages belong to subcodes 2 and 4 only: these Cease carry no data.
    it->second->stop(notification_message{iana::error_code::cease, iana::cease_subcode::other_configuration_change, {}},
                     "configuration changed", true);
    i.peers.erase(it);
  }
  auto p = std::make_shared<session::peer>(i, std::move(config));
  i.peers.emplace(p->config().address, p);
  i.install_listener_keys();
  if (i.started) p->start();
}

void speaker::remove_peer(const ip_address& address) {
  auto& i = *impl_;
  auto it = i.peers.find(address);
  if (it == i.peers.end()) return;
  it->second->stop(notification_message{iana::error_code::cease, iana::cease_subcode::peer_deconfigured, {}},
                   "peer removed from configuration", true);
  i.peer_routes.erase(address);
  if (i.acceptor && !it->second->config().password.empty())
    session::set_md5(i.acceptor->native_handle(), address, "");
  i.peers.erase(it);
}

bool speaker::set_peer_bfd_down(const ip_address& address, bool down, std::string reason) {
  auto it = impl_->peers.find(address);
  if (it == impl_->peers.end()) return false;
  it->second->set_bfd_down(down, std::move(reason));
  return true;
}

void speaker::announce(const route& r) {
  auto& i = *impl_;
  if (!i.routes.set(r)) return;
  for (auto& [a, p] : i.peers)
    if (!i.overridden(a, r.destination)) p->route_changed(r.destination);
}

void speaker::withdraw(const prefix& pfx) {
  auto& i = *impl_;
  if (!i.routes.erase(pfx)) return;
  for (auto& [a, p] : i.peers)
    if (!i.overridden(a, pfx)) p->route_changed(pfx);
}

void speaker::announce_to(const ip_address& peer, const route& r) {
  auto& i = *impl_;
  auto own = i.peer_routes.try_emplace(peer, i.route_attrs).first;
  if (!own->second.set(r)) return;
  if (auto p = i.peers.find(peer); p != i.peers.end()) p->second->route_changed(r.destination);
}

void speaker::withdraw_from(const ip_address& peer, const prefix& pfx) {
  auto& i = *impl_;
  auto own = i.peer_routes.find(peer);
  if (own == i.peer_routes.end() || !own->second.erase(pfx)) return;
  if (own->second.empty()) i.peer_routes.erase(own);
  // Falls back to the speaker-wide route, if there is one.
  if (auto p = i.peers.find(peer); p != i.peers.end()) p->second->route_changed(pfx);
}

void speaker::set_initial_routes_ready(bool ready) {
  auto& i = *impl_;
  i.initial_routes_ready = ready;
  if (!ready) return;
  for (auto& [a, p] : i.peers) p->initial_routes_ready();
}

bool speaker::initial_routes_ready() const { return impl_->initial_routes_ready; }

std::vector<peer_status> speaker::peers() const {
  std::vector<peer_status> out;
  for (const auto& [a, p] : impl_->peers) out.push_back(p->status());
  return out;
}

std::optional<peer_status> speaker::peer(const ip_address& address) const {
  auto it = impl_->peers.find(address);
  if (it == impl_->peers.end()) return std::nullopt;
  return it->second->status();
}

std::size_t speaker::route_count() const { return impl_->routes.size(); }

void speaker::subscribe(std::function<void(const speaker_event&)> handler) {
  impl_->subscribers.push_back(std::move(handler));
}

void speaker::shutdown(std::string text, std::function<void()> done) {
  auto& i = *impl_;
  i.graceful_shutdown = true;
  bool any_up = false;
  for (auto& [a, p] : i.peers) {
    p->refresh_routes();
    any_up = any_up || p->established();
  }
  asio::co_spawn(i.io, i.drain_and_stop(any_up, std::move(text)), [done = std::move(done)](std::exception_ptr) {
    if (done) done();
  });
}

asio::awaitable<void> speaker::impl::drain_and_stop(bool drain, std::string text) {
  asio::steady_timer t(io);
  auto sleep = [&t](std::chrono::milliseconds d) -> asio::awaitable<void> {
    t.expires_after(d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  };
  // RFC 8326: routes carry GRACEFUL_SHUTDOWN for the drain time, then go away.
  if (drain && !skip_drain) {
    drain_timer = &t;
    co_await sleep(cfg.shutdown_drain);
    drain_timer = nullptr;
  }
  for (auto& [a, p] : peers) p->withdraw_everything();
  for (int k = 0; k < 50 && std::any_of(peers.begin(), peers.end(), [](auto& x) { return x.second->sending(); }); ++k)
    co_await sleep(std::chrono::milliseconds(20));
  for (auto& [a, p] : peers)
    p->stop(notification_message::cease(iana::cease_subcode::administrative_shutdown, text),
            "graceful shutdown", true);
  if (acceptor) {
    boost::system::error_code ec;
    acceptor->close(ec);
  }
  // Each peer's coroutine ends once its NOTIFICATION is out (at most ~1 s each).
  for (int k = 0; k < 100 && std::any_of(peers.begin(), peers.end(), [](auto& x) { return !x.second->finished(); }); ++k)
    co_await sleep(std::chrono::milliseconds(20));
}

void speaker::skip_drain() {
  impl_->skip_drain = true;
  if (impl_->drain_timer) impl_->drain_timer->cancel();
}

void speaker::abort() {
  for (auto& [a, p] : impl_->peers) p->abort();
  if (impl_->acceptor) {
    boost::system::error_code ec;
    impl_->acceptor->close(ec);
  }
}

}  // namespace bgp
