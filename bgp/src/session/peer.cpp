// The peer coroutine: connection establishment with back-off, the message loop, and
// the FSM actions carried out on a real socket.
#include "session/peer.hpp"

#include "session/endpoint.hpp"
#include "session/socket_options.hpp"
#include "session/speaker_impl.hpp"

#include <bgp/iana.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <random>

namespace bgp::session {

using namespace boost::asio::experimental::awaitable_operators;
using fsm::action_kind;
using fsm::event_kind;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

fsm::event make_event(event_kind k, std::string reason = {}) {
  fsm::event e;
  e.kind = k;
  e.reason = std::move(reason);
  return e;
}

bool connected_state(fsm::state s) {
  return s == fsm::state::open_sent || s == fsm::state::open_confirm || s == fsm::state::established;
}

}  // namespace

peer::peer(speaker::impl& owner, peer_config config)
    : owner_(owner),
      cfg_(std::move(config)),
      socket_(owner.io),
      timer_(owner.io),
      rx_(max_extended_message_size * 2),
      backoff_(std::chrono::seconds(cfg_.connect_retry ? cfg_.connect_retry : 1)) {
  fsm_cfg_.local_as = owner_.cfg.asn;
  fsm_cfg_.router_id = owner_.cfg.router_id;
  fsm_cfg_.peer_as = cfg_.peer_as;
  fsm_cfg_.hold_time = cfg_.hold_time;
  fsm_cfg_.keepalive = cfg_.keepalive;
  fsm_cfg_.connect_retry = cfg_.connect_retry ? cfg_.connect_retry : 1;
  fsm_cfg_.passive = cfg_.passive;
  received_.keep(cfg_.keep_received);
}

void peer::start() {
  asio::co_spawn(owner_.io, run(), [self = shared_from_this()](std::exception_ptr e) {
    self->finished_ = true;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        self->last_down_reason_ = std::string("internal error: ") + ex.what();
      }
    }
  });
}

void peer::wake() {
  wake_pending_ = true;
  timer_.cancel();
}

void peer::stop(notification_message n, std::string reason, bool remove) {
  if (remove) removed_ = true;
  fsm::event e = make_event(event_kind::stop, std::move(reason));
  e.notification = std::move(n);
  handle(e);
  wake();
}

// RFC 9384 §2: Cease subcode 10 "BFD Down"; sent without data (RFC 9003's message
// belongs to subcodes 2 and 4 only).
void peer::set_bfd_down(bool down, std::string reason) {
  if (down == bfd_down_) return;
  bfd_down_ = down;
  if (down) stop(notification_message{iana::error_code::cease, iana::cease_subcode::bfd_down, {}},
                 reason.empty() ? "BFD down" : std::move(reason), false);
  else release();
}

void peer::release() {
  retry_now_ = true;
  wake();
}

void peer::abort() {
  aborted_ = removed_ = true;
  if (link_) link_->abort();
  close_socket();
  wake();
}

void peer::offer(tcp::socket s) {
  if (removed_ || held_down()) return;
  // Idle or Active: no connection of ours is under way, so this one is the session's.
  if (fsm_.st == fsm::state::idle || fsm_.st == fsm::state::active) {
    incoming_.emplace(std::move(s));
    wake();
    return;
  }
  // Connect (our own connection may complete any moment) and the connected states:
  // decided once the new connection's OPEN is in.
  asio::co_spawn(owner_.io, screen_incoming(std::make_shared<tcp::socket>(std::move(s))), asio::detached);
}

// RFC 4271 §6.8: a second connection from the peer is read up to its OPEN, having sent
// nothing on it; then the FSM decides which connection stays (incoming_open). The peer,
// doing the same with ours, reaches the same verdict.
asio::awaitable<void> peer::screen_incoming(std::shared_ptr<tcp::socket> s) {
  auto self = shared_from_this();
  // Read the new connection's OPEN (bounded by the initial hold time).
  bytes buf(max_message_size);
  std::size_t have = 0;
  asio::steady_timer deadline(owner_.io);
  deadline.expires_after(std::chrono::seconds(fsm::initial_hold_seconds));
  for (;;) {
    auto r = co_await (s->async_read_some(asio::buffer(buf.data() + have, buf.size() - have), tuple_awaitable) ||
                       deadline.async_wait(tuple_awaitable));
    if (r.index() != 0) co_return;
    auto [ec, n] = std::get<0>(r);
    if (ec) co_return;
    have += n;
    const auto f = frame(byte_view(buf.data(), have), {});
    if (f.error) co_return;
    if (f.length == 0 || f.length > have) continue;
    buf.resize(have);
    incoming_open(*s, std::move(buf), f.length);
    co_return;
  }
}

void peer::incoming_open(tcp::socket& s, bytes received, std::size_t open_length) {
  const auto d = decode(byte_view(received.data(), open_length), {});
  const auto* open = d.ok() ? std::get_if<open_message>(&*d.msg) : nullptr;
  if (!open) return;  // closed
  // No session to go on with, or another incoming connection already waiting.
  if (removed_ || held_down() || replacement_) {
    reject_connection(std::move(s));
    return;
  }
  received.erase(received.begin(), received.begin() + static_cast<std::ptrdiff_t>(open_length));
  replacement_.emplace(replacement{std::move(s), *open, std::move(received)});
  wake();
}

void peer::reject_connection(tcp::socket s) {
  link::send_and_close(std::move(s),
                       encode(notification_message{iana::error_code::cease, iana::cease_subcode::connection_collision_resolution, {}}, {}),
                       std::chrono::seconds(1));
}

bool peer::collide() {
  if (!replacement_) return false;
  if (auto err = prepare_socket(replacement_->socket, false); !err.empty()) {
    replacement_.reset();  // unusable: closed
    return true;
  }
  fsm::event e = make_event(event_kind::incoming_open);
  e.open = replacement_->open;
  handle(e);
  replacement_.reset();  // taken (take_incoming) or rejected (reject_incoming)
  receive(byte_view());  // what came after the OPEN on a connection taken over
  return true;
}

void peer::take_incoming() {
  if (!replacement_) return;
  if (link_) {
    if (link_->urgent().empty()) link_->abort();
    link_->retire(std::chrono::seconds(1));  // with its Cease 7
  }
  close_socket();  // our attempt, if it was not up
  use_connection(std::move(replacement_->socket));
  const bytes& rest = replacement_->leftover;
  std::copy(rest.begin(), rest.end(), rx_.begin());
  rx_end_ = rest.size();
}

std::chrono::milliseconds peer::next_backoff() {
  // Exponential back-off with ±25 % jitter, doubling up to 60 s.
  static thread_local std::mt19937 rng{std::random_device{}()};
  const auto base = backoff_;
  backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, std::chrono::seconds(60));
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(base.count()) * jitter(rng)));
}

asio::awaitable<void> peer::sleep_until(clock::time_point t) {
  if (wake_pending_) {
    wake_pending_ = false;
    co_return;
  }
  timer_.expires_at(t);
  co_await timer_.async_wait(tuple_awaitable);
  wake_pending_ = false;
}

asio::awaitable<void> peer::run() {
  auto self = shared_from_this();
  while (!removed_) {
    while (held_down() && !removed_) co_await sleep_until(clock::now() + std::chrono::hours(24));
    retry_now_ = false;
    if (removed_) break;
    handle(make_event(event_kind::start));
    co_await connect_phase();
    if (connected_state(fsm_.st)) co_await session_phase();
    close_socket();
    if (removed_) break;
    if (fsm_.st == fsm::state::idle) {
      // Back off before starting again; an incoming connection ends the wait.
      const auto until = clock::now() + next_backoff();
      while (!removed_ && !incoming_ && !replacement_ && !retry_now_ && clock::now() < until) co_await sleep_until(until);
      retry_now_ = false;
    }
  }
  close_socket();
  connect_retry_at_.reset();
}

std::string peer::prepare_socket(tcp::socket& s, bool outgoing) {
  const bool v6 = !cfg_.address.is_v4();
  const int fd = s.native_handle();
  if (outgoing && !cfg_.password.empty())
    if (auto err = set_md5(fd, cfg_.address, cfg_.password); !err.empty()) return err;
  const bool ebgp = cfg_.peer_as != owner_.cfg.asn;
  int ttl = ebgp ? std::max(1, int{cfg_.ebgp_multihop_ttl}) : 255;
  if (cfg_.gtsm) {
    if (auto err = set_min_ttl(fd, v6, 256 - ttl); !err.empty()) return err;
    ttl = 255;
  }
  if (auto err = set_ttl(fd, v6, ttl); !err.empty()) return err;
  boost::system::error_code ec;
  s.set_option(tcp::no_delay(true), ec);
  return {};
}

asio::awaitable<void> peer::connect_phase() {
  while (!removed_ && (fsm_.st == fsm::state::connect || fsm_.st == fsm::state::active)) {
    // An incoming connection whose OPEN is in, while ours is not up: the FSM takes it.
    if (collide()) continue;
    if (incoming_) {
      close_socket();
      tcp::socket s = std::move(*incoming_);
      incoming_.reset();
      if (auto err = prepare_socket(s, false); !err.empty()) {
        handle(make_event(event_kind::tcp_failed, err));
        continue;
      }
      use_connection(std::move(s));
      handle(make_event(event_kind::tcp_connected));
      co_return;
    }
    if (fsm_.st == fsm::state::connect && want_connect_) {
      want_connect_ = false;
      close_socket();
      const auto remote = endpoint_of(cfg_.address, cfg_.port);
      boost::system::error_code ec;
      socket_.open(remote.protocol(), ec);
      std::string err = ec ? "socket: " + ec.message() : prepare_socket(socket_, true);
      if (err.empty() && cfg_.local_address) {
        socket_.bind(endpoint_of(*cfg_.local_address, 0), ec);
        if (ec) err = "bind to " + cfg_.local_address->to_string() + ": " + ec.message();
      }
      if (!err.empty()) {
        handle(make_event(event_kind::tcp_failed, err));
        continue;
      }
      timer_.expires_at(connect_retry_at_.value_or(clock::now() + std::chrono::seconds(fsm_cfg_.connect_retry)));
      auto r = co_await (socket_.async_connect(remote, tuple_awaitable) || timer_.async_wait(tuple_awaitable));
      if (r.index() == 0) {
        auto [cec] = std::get<0>(r);
        if (!cec) {
          use_connection(std::move(socket_));
          handle(make_event(event_kind::tcp_connected));
          co_return;
        }
        handle(make_event(event_kind::tcp_failed, "connect to " + cfg_.address.to_string() + ": " + cec.message()));
      } else {
        wake_pending_ = false;
        close_socket();
        if (connect_retry_at_ && clock::now() >= *connect_retry_at_) handle(make_event(event_kind::connect_retry_expired));
        else if (!incoming_ && !replacement_ && !removed_) want_connect_ = true;  // woken for nothing: try again
      }
      continue;
    }
    co_await sleep_until(connect_retry_at_.value_or(clock::now() + std::chrono::hours(24)));
    if (connect_retry_at_ && clock::now() >= *connect_retry_at_) handle(make_event(event_kind::connect_retry_expired));
  }
}

void peer::use_connection(tcp::socket s) {
  std::weak_ptr<peer> self = weak_from_this();
  link_ = link::start(std::move(s), [self] {
    if (auto p = self.lock()) p->wake();
  });
  rx_begin_ = rx_end_ = 0;
  boost::system::error_code ec;
  const auto local = link_->socket().local_endpoint(ec);
  local_address_ = ec ? std::nullopt : std::optional<ip_address>(address_of(local.address()));
}

// The connected states. The loop never waits for a write (the link's writer does the
// writing), so the hold and keepalive timers are checked on time whatever the peer
// does with our data: it waits for a message, a timer, or a wake (new routes, the
// writer's progress).
asio::awaitable<void> peer::session_phase() {
  if (incoming_) {
    // Accepted while ours was completing: a collision like any other.
    asio::co_spawn(owner_.io, screen_incoming(std::make_shared<tcp::socket>(std::move(*incoming_))), asio::detached);
    incoming_.reset();
  }
  while (connected_state(fsm_.st) && !aborted_) {
    if (collide()) continue;
    if (!link_->failure().empty()) {
      handle(make_event(event_kind::tcp_failed, link_->failure()));
      continue;
    }
    // One slice of the routes to send at a time, and the next only once the writer has
    // taken the last: what is queued stays within about two slices.
    if (fsm_.st == fsm::state::established && rib_.pending() && link_->queued() == 0) {
      const std::size_t n = flush_routes(flush_slice);
      updates_in_flight_ = updates_in_flight_ || n > 0;
      link_->write();
    }
    // After the last slice of the initial update (which a route refresh answered in
    // the meantime may have sent already).
    if (fsm_.st == fsm::state::established && send_end_of_rib_ && !rib_.rechecking()) {
      send_end_of_rib_ = false;
      for (auto f : families_) send(end_of_rib(f));
    }
    if (updates_in_flight_ && !rib_.pending() && link_->idle()) {
      updates_in_flight_ = false;
      owner_.emit(speaker_event{speaker_event::kind::routes_sent, cfg_.address, peer_state::established, {}, nullptr});
    }
    if (wake_pending_) {
      wake_pending_ = false;
      continue;
    }
    auto deadline = clock::now() + std::chrono::hours(24);
    if (hold_at_) deadline = std::min(deadline, *hold_at_);
    if (keepalive_at_) deadline = std::min(deadline, *keepalive_at_);
    timer_.expires_at(deadline);
    if (rx_end_ == rx_.size()) {  // compact the receive buffer
      std::copy(rx_.begin() + static_cast<std::ptrdiff_t>(rx_begin_), rx_.begin() + static_cast<std::ptrdiff_t>(rx_end_), rx_.begin());
      rx_end_ -= rx_begin_;
      rx_begin_ = 0;
    }
    auto r = co_await (link_->socket().async_read_some(asio::buffer(rx_.data() + rx_end_, rx_.size() - rx_end_), tuple_awaitable) ||
                       timer_.async_wait(tuple_awaitable));
    if (r.index() == 0) {
      auto [rec, n] = std::get<0>(r);
      if (rec) {
        handle(make_event(event_kind::tcp_failed, rec == asio::error::eof ? "connection closed by peer" : "read: " + rec.message()));
        continue;
      }
      rx_end_ += n;
      receive(byte_view());
      continue;
    }
    wake_pending_ = false;
    const auto now = clock::now();
    if (hold_at_ && now >= *hold_at_) {
      hold_at_.reset();
      handle(make_event(event_kind::hold_expired));
    } else if (keepalive_at_ && now >= *keepalive_at_) {
      keepalive_at_.reset();
      handle(make_event(event_kind::keepalive_expired));
    }
  }
  // The last NOTIFICATION, if any, goes out (bounded) before the connection closes.
  if (link_) {
    if (aborted_) link_->abort();
    link_->retire(std::chrono::seconds(1));
    co_await link_->wait_closed();
    link_.reset();
  }
}

// Frames and decodes what has arrived; `extra` is data read by someone else first.
void peer::receive(byte_view extra) {
  if (!extra.empty()) {
    std::copy(extra.begin(), extra.end(), rx_.begin() + static_cast<std::ptrdiff_t>(rx_end_));
    rx_end_ += extra.size();
  }
  if (rx_begin_ == rx_end_) rx_begin_ = rx_end_ = 0;
  while (connected_state(fsm_.st) && rx_end_ > rx_begin_) {
    const byte_view avail(rx_.data() + rx_begin_, rx_end_ - rx_begin_);
    const auto f = frame(avail, rx_ctx_);
    if (f.error) {
      fsm::event e = make_event(event_kind::message_error);
      e.error = *f.error;
      handle(e);
      return;
    }
    if (f.length == 0 || f.length > avail.size()) {
      if (rx_begin_ > 0 && rx_.size() - rx_begin_ < max_extended_message_size) {
        std::copy(rx_.begin() + static_cast<std::ptrdiff_t>(rx_begin_), rx_.begin() + static_cast<std::ptrdiff_t>(rx_end_), rx_.begin());
        rx_end_ -= rx_begin_;
        rx_begin_ = 0;
      }
      return;
    }
    rx_begin_ += f.length;
    if (rx_begin_ == rx_end_) rx_begin_ = rx_end_ = 0;  // all consumed: read into the whole buffer
    ++counters_.messages_received;
    auto d = decode(avail.first(f.length), rx_ctx_);
    if (!d.msg || (d.error && d.error->action >= error_action::afi_safi_disable)) {
      // AFI/SAFI disable is carried out as a session reset: we carry few families and
      // a peer that garbles one is not to be trusted with the other (RFC 7606 §5.3).
      fsm::event e = make_event(event_kind::message_error);
      e.error = *d.error;
      handle(e);
      return;
    }
    if (auto* o = std::get_if<open_message>(&*d.msg)) {
      fsm::event e = make_event(event_kind::open_received);
      e.open = std::move(*o);
      handle(e);
    } else if (std::holds_alternative<keepalive_message>(*d.msg)) {
      ++counters_.keepalives_received;
      handle(make_event(event_kind::keepalive_received));
    } else if (auto* u = std::get_if<update_message>(&*d.msg)) {
      ++counters_.updates_received;
      handle(make_event(event_kind::update_received));
      if (fsm_.st == fsm::state::established) on_update(*u, d.error);
    } else if (auto* n = std::get_if<notification_message>(&*d.msg)) {
      ++counters_.notifications_received;
      fsm::event e = make_event(event_kind::notification_received);
      e.notification = std::move(*n);
      handle(e);
    } else if (auto* rr = std::get_if<route_refresh_message>(&*d.msg)) {
      // RFC 7313 §5: BoRR/EoRR from the peer only restart the hold timer here; other
      // subtypes are ignored.
      if (rr->subtype == iana::route_refresh_subtype::normal) {
        ++counters_.route_refreshes_received;
        handle(make_event(event_kind::route_refresh_received));
        if (fsm_.st == fsm::state::established) answer_route_refresh(rr->fam);
      } else if (rr->subtype <= iana::route_refresh_subtype::eorr && fsm_.st == fsm::state::established) {
        hold_at_ = clock::now() + std::chrono::seconds(fsm_.hold_time);
        if (fsm_.hold_time == 0) hold_at_.reset();
      }
    }
  }
}

void peer::on_update(const update_message& u, const std::optional<decode_error>& err) {
  const bool withdraw = err && err->action == error_action::treat_as_withdraw;
  const std::size_t announced = u.routes.size() + (u.reach ? u.reach->routes.size() : 0);
  counters_.prefixes_withdrawn += u.withdrawn.size() + (u.unreach ? u.unreach->routes.size() : 0);
  (withdraw ? counters_.prefixes_withdrawn : counters_.prefixes_announced) += announced;
  received_.apply(u, withdraw);
  speaker_event ev{speaker_event::kind::routes_received, cfg_.address, peer_state::established,
                   err ? err->reason : std::string{}, &u};
  owner_.emit(ev);
  // RFC 4486: the limit protects what is held; nothing is held unless keep_received.
  if (cfg_.max_prefixes && received_.keeping()) {
    for (const auto& [f, n] : received_.sizes()) {
      if (n <= *cfg_.max_prefixes) continue;
      // RFC 4486 §4: data = AFI (2), SAFI (1), the limit (4).
      const std::uint32_t lim = *cfg_.max_prefixes;
      notification_message note{iana::error_code::cease, iana::cease_subcode::maximum_prefixes_reached,
                                {static_cast<std::uint8_t>(f.afi >> 8), static_cast<std::uint8_t>(f.afi), f.safi,
                                 static_cast<std::uint8_t>(lim >> 24), static_cast<std::uint8_t>(lim >> 16),
                                 static_cast<std::uint8_t>(lim >> 8), static_cast<std::uint8_t>(lim)}};
      stop(std::move(note), "more than " + std::to_string(lim) + " " + to_string(f) + " prefixes received", false);
      return;
    }
  }
}

void peer::set_soft_config(const peer_config& c) {
  cfg_.description = c.description;
  cfg_.max_prefixes = c.max_prefixes;
  if (c.keep_received == cfg_.keep_received) return;
  cfg_.keep_received = c.keep_received;
  received_.keep(cfg_.keep_received);
  // Turned on: ask the peer for its routes again, so that the Adj-RIB-In fills.
  if (cfg_.keep_received && established()) soft_reset(soft_reset_direction::in);
}

void peer::answer_route_refresh(family f) {
  if (!routes_flow()) return;  // the initial update, still to come, is the answer
  // RFC 2918 §4 / RFC 7313 §4: resend the Adj-RIB-Out, framed by BoRR/EoRR when the
  // peer supports enhanced route refresh.
  const bool enhanced = fsm_.peer_open.find<cap_enhanced_route_refresh>() != nullptr;
  if (enhanced) send(route_refresh_message{f, iana::route_refresh_subtype::borr});
  rib_.recheck(carried_prefixes(), true);
  flush_routes(rib::adj_rib_out::unlimited);
  if (enhanced) send(route_refresh_message{f, iana::route_refresh_subtype::eorr});
}

void peer::send(const message& m) {
  if (!link_ || link_->closed()) return;
  ++counters_.messages_sent;
  const bool keepalive = std::holds_alternative<keepalive_message>(m);
  const bool notification = std::holds_alternative<notification_message>(m);
  if (keepalive) ++counters_.keepalives_sent;
  if (notification) ++counters_.notifications_sent;
  if (std::holds_alternative<update_message>(m)) ++counters_.updates_sent;
  // OPEN, KEEPALIVE and NOTIFICATION go ahead of queued UPDATEs (at a message boundary),
  // in the order they are sent; UPDATEs, End-of-RIB and ROUTE-REFRESH keep theirs.
  const bool urgent = keepalive || notification || std::holds_alternative<open_message>(m);
  encode(urgent ? link_->urgent() : link_->queue(), m, tx_ctx_);
  link_->write();
}

void peer::close_socket() {
  boost::system::error_code ec;
  if (socket_.is_open()) {
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
}

}  // namespace bgp::session
