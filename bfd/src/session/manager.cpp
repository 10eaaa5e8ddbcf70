// The only Asio code of bfd/: sockets per address family and hop mode, one timer over
// every session's deadlines, and the glue that turns datagrams and deadlines into FSM
// events and carries the actions out (RFC 5880 §6.8.6 reception, §6.8.7 transmission).
#include <bfd/manager.hpp>

#include "codec/auth.hpp"
#include "fsm/fsm.hpp"
#include "session/deadlines.hpp"
#include "session/socket.hpp"

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <map>
#include <net/if.h>
#include <random>
#include <unordered_map>

namespace bfd {

namespace asio = boost::asio;
using session::clock;
using session::deadline_kind;
using session::never;

namespace {

constexpr std::size_t max_batch = 64;  // datagrams read per readiness event

std::size_t endpoint_index(bool v6, hop_mode h) { return (v6 ? 2 : 0) + (h == hop_mode::multi_hop ? 1 : 0); }

// Addresses compared without an IPv6 scope id (a link-local peer's scope is its interface).
asio::ip::address plain(const asio::ip::address& a) {
  return a.is_v6() ? asio::ip::address(asio::ip::address_v6(a.to_v6().to_bytes())) : a;
}

fsm::config fsm_config(const profile& p) {
  return {p.transmit_interval_ms * 1000, p.receive_interval_ms * 1000,
          static_cast<std::uint8_t>(p.detect_multiplier), p.passive_mode};
}

codec::auth_key auth_key(const authentication& a) {
  codec::auth_key k;
  k.type = a.type;
  k.key_id = a.key_id;
  std::copy_n(a.key.begin(), std::min<std::size_t>(a.key.size(), 20), k.secret.begin());
  return k;
}

}  // namespace

struct manager::impl {
  struct endpoint {
    int tx_fd = -1;
    std::unique_ptr<asio::ip::udp::socket> rx;
    std::uint16_t rx_port = 0;
  };

  struct sess {
    session_config config;
    fsm::config fc;
    fsm::session s;
    codec::auth_key key;
    codec::rx_auth_state rx_auth;
    std::uint32_t xmit_seq = 0;
    unsigned ifindex = 0;
    session_counters counters;
    diagnostic last_down_diag = diagnostic::none;
    clock::time_point since, last_tx{}, last_rx{}, auth_forget_at = never;
    session::deadline_slots slots;
  };

  asio::io_context& io;
  manager_config cfg;
  std::mt19937 default_rng{std::random_device{}()};
  std::array<endpoint, 4> eps;
  std::unordered_map<std::uint32_t, sess> by_discr;
  std::map<session_key, std::uint32_t> by_key;
  session::deadline_heap heap;
  std::vector<session::deadline_heap::entry> deferred;  // run_due's scratch
  asio::steady_timer timer;
  clock::time_point armed = never;
  manager_stats stats;
  std::shared_ptr<std::vector<std::function<void(const state_change&)>>> handlers =
      std::make_shared<std::vector<std::function<void(const state_change&)>>>();
  std::array<std::uint8_t, 512> buf{};
  // Handlers already completed when the manager is destroyed still run (with success);
  // they check this token before touching the manager.
  std::shared_ptr<char> alive = std::make_shared<char>();

  impl(asio::io_context& i, manager_config c) : io(i), cfg(std::move(c)), timer(i) {
    if (!cfg.random) cfg.random = [this] { return static_cast<std::uint32_t>(default_rng()); };
  }

  ~impl() {
    for (auto& e : eps) session::close_fd(e.tx_fd);
  }

  // ---- sockets ---------------------------------------------------------------
  std::string open_endpoint(bool v6, hop_mode h) {
    endpoint& e = eps[endpoint_index(v6, h)];
    if (e.rx) return {};
    const std::uint16_t port = h == hop_mode::single_hop ? cfg.single_hop_port : cfg.multi_hop_port;
    auto rx = session::open_receiver(v6, port, cfg.bind_device);
    if (!rx.error.empty()) return "BFD " + std::string(to_string(h)) + (v6 ? " IPv6" : " IPv4") + " port " +
                                  std::to_string(port) + ": " + rx.error;
    auto tx = session::open_sender(v6, cfg.bind_device, cfg.random);
    if (!tx.error.empty()) {
      session::close_fd(rx.fd);
      return "BFD sender: " + tx.error;
    }
    auto sock = std::make_unique<asio::ip::udp::socket>(io);
    boost::system::error_code ec;
    sock->assign(v6 ? asio::ip::udp::v6() : asio::ip::udp::v4(), rx.fd, ec);
    if (ec) {
      session::close_fd(rx.fd);
      session::close_fd(tx.fd);
      return "BFD socket: " + ec.message();
    }
    e.tx_fd = tx.fd;
    e.rx_port = rx.port;
    e.rx = std::move(sock);
    wait_readable(endpoint_index(v6, h));
    return {};
  }

  void wait_readable(std::size_t i) {
    eps[i].rx->async_wait(asio::socket_base::wait_read,
                          [this, i, token = std::weak_ptr<char>(alive)](boost::system::error_code ec) {
                            if (ec || token.expired()) return;  // the manager is going away
                            on_readable(i);
                          });
  }

  // ---- timers ----------------------------------------------------------------
  void arm() {
    const auto next = heap.next();
    if (next == never || next >= armed) return;
    armed = next;
    timer.expires_at(next);
    timer.async_wait([this, token = std::weak_ptr<char>(alive)](boost::system::error_code ec) {
      if (ec || token.expired()) return;  // re-armed earlier, or the manager is going away
      armed = never;
      run_due();
      arm();
    });
  }

  void set_deadline(std::uint32_t id, sess& x, deadline_kind k, clock::time_point when) {
    heap.set(id, x.slots, k, when);
  }

  // One wake-up serves every deadline due now and, for transmissions, those due within
  // the next `coalesce` as long as §6.8.7's floor (75 % of the interval since the
  // previous packet) holds: fewer wake-ups, and no packet later than it would be.
  // Detection never fires early; what cannot go now is queued again at its deadline.
  static constexpr auto coalesce = std::chrono::microseconds(500);

  void run_due() {
    const auto now = clock::now();
    session::deadline_heap::entry e;
    clock::time_point due;
    deferred.clear();
    while (heap.pop_due(now + coalesce, e)) {
      auto it = by_discr.find(e.id);
      if (it == by_discr.end() || !heap.settle(e, it->second.slots, now + coalesce, due)) continue;
      sess& x = it->second;
      if (e.kind == deadline_kind::transmit && (due <= now || may_send_early(x, now))) {
        periodic_send(e.id, x, now, due);
      } else if (e.kind == deadline_kind::detect && due <= now) {
        run_step(e.id, x, {fsm::event_kind::detection_expired, {}}, now);
      } else {
        deferred.push_back({due, e.id, e.kind});
      }
    }
    for (const auto& d : deferred) {
      auto it = by_discr.find(d.id);
      if (it != by_discr.end() && it->second.slots.due[static_cast<std::size_t>(d.kind)] == never)
        set_deadline(d.id, it->second, d.kind, d.when);
    }
  }

  static bool may_send_early(const sess& x, clock::time_point now) {
    const auto floor = std::chrono::microseconds(std::uint64_t{fsm::tx_interval(x.s)} * 3 / 4);
    return x.last_tx == clock::time_point{} || now - x.last_tx >= floor;
  }

  // ---- transmission (§6.8.7) -----------------------------------------------------
  void send_packet(sess& x, bool final, clock::time_point now) {
    auto p = fsm::packet_to_send(x.s, final);
    if (x.key.type != auth_type::none) {
      p.auth.type = x.key.type;
      p.auth.key_id = x.key.key_id;
      p.auth.sequence = x.xmit_seq++;  // §6.7.4: meticulous: every packet; keyed: we do too
    }
    auto wire = encode(p);
    if (x.key.type != auth_type::none) codec::sign(wire, x.key);
    const auto& k = x.config.key;
    const endpoint& ep = eps[endpoint_index(k.peer.is_v6(), k.hops)];
    const std::uint16_t port =
        x.config.peer_port ? x.config.peer_port : (k.hops == hop_mode::single_hop ? 3784 : 4784);
    if (session::send(ep.tx_fd, wire, k.peer, port, k.local, x.ifindex) != 0) ++stats.send_errors;
    ++x.counters.control_packet_output;
    x.last_tx = now;
  }

  void periodic_send(std::uint32_t id, sess& x, clock::time_point now, clock::time_point deadline) {
    const auto interval = fsm::tx_interval(x.s);
    if (interval == 0) return;
    ++stats.transmissions;
    const auto late = std::chrono::duration_cast<std::chrono::microseconds>(now - deadline);
    stats.max_lateness = std::max(stats.max_lateness, late);
    const auto& bounds = manager_stats::lateness_bounds;
    const auto bucket = std::upper_bound(bounds.begin(), bounds.end(), late) - bounds.begin();
    ++stats.lateness_histogram[static_cast<std::size_t>(bucket)];
    // Late beyond §6.8.7's window: more than the full interval since the previous packet
    // (and more than was scheduled, should the interval have shrunk meanwhile).
    if (x.last_tx != clock::time_point{} && now - x.last_tx > std::chrono::microseconds(interval) &&
        now - x.last_tx > deadline - x.last_tx)
      ++stats.late_transmissions;
    send_packet(x, false, now);
    schedule_tx(id, x, now);
  }

  void schedule_tx(std::uint32_t id, sess& x, clock::time_point now) {
    const auto interval = fsm::tx_interval(x.s);
    if (interval == 0) {
      set_deadline(id, x, deadline_kind::transmit, never);
      return;
    }
    const auto from = x.last_tx == clock::time_point{} ? now : x.last_tx;
    const auto when = from + std::chrono::microseconds(fsm::jittered(interval, x.s.detect_mult, cfg.random()));
    set_deadline(id, x, deadline_kind::transmit, std::max(when, now));
  }

  void schedule_detect(std::uint32_t id, sess& x) {
    const auto dt = fsm::detection_time(x.s);
    set_deadline(id, x, deadline_kind::detect, dt ? x.last_rx + std::chrono::microseconds(dt) : never);
  }

  // ---- the FSM ---------------------------------------------------------------
  void run_step(std::uint32_t id, sess& x, const fsm::event& ev, clock::time_point now) {
    auto r = fsm::step(x.s, ev, x.fc);
    x.s = r.next;
    bool sent = false;
    for (const auto& a : r.acts) {
      switch (a.kind) {
        case fsm::action_kind::send_final:
          send_packet(x, true, now);
          sent = true;
          break;
        case fsm::action_kind::send_now:
          if (x.s.passive && x.s.remote_discr == 0) break;  // §6.1 passive role
          if (sent) break;  // one packet carries the news (and the Poll) already
          send_packet(x, false, now);
          sent = true;
          break;
        case fsm::action_kind::state_changed: on_state_changed(x, a.from, now); break;
        case fsm::action_kind::timing_changed: break;
      }
    }
    if (sent || r.acts.contains(fsm::action_kind::timing_changed)) schedule_tx(id, x, now);
    schedule_detect(id, x);
  }

  void on_state_changed(sess& x, state from, clock::time_point now) {
    x.since = now;
    ++x.counters.notifications;
    if (x.s.st == state::up) ++x.counters.session_up_events;
    if (from == state::up) {
      ++x.counters.session_down_events;
      x.last_down_diag = x.s.local_diag;
    }
    state_change ev{x.config.key, from, x.s.st, x.s.local_diag, x.s.remote_diag, x.s.remote_st};
    asio::post(io, [hs = handlers, ev] {
      for (const auto& h : *hs) h(ev);
    });
  }

  // ---- reception (§6.8.6) ------------------------------------------------------
  void drop(drop_reason r) { ++stats.drops[static_cast<std::size_t>(r)]; }

  void on_readable(std::size_t i) {
    const bool v6 = i >= 2;
    const hop_mode h = (i & 1) ? hop_mode::multi_hop : hop_mode::single_hop;
    const int fd = eps[i].rx->native_handle();
    session::datagram d;
    for (std::size_t n = 0; n < max_batch && session::receive(fd, buf, d); ++n) {
      const auto now = clock::now();
      on_datagram(v6, h, byte_view(buf.data(), d.size), d, now);
    }
    arm();
    wait_readable(i);
  }

  sess* find_session(bool v6, hop_mode h, const control_packet& p, const session::datagram& d, std::uint32_t& id) {
    const auto src = plain(d.source);
    if (p.your_discriminator != 0) {
      // §6.8.6: "If the Your Discriminator field is nonzero, it MUST be used to select
      // the session"; we also require it to come from that session's peer.
      auto it = by_discr.find(p.your_discriminator);
      if (it == by_discr.end()) return drop(drop_reason::unknown_discriminator), nullptr;
      const auto& k = it->second.config.key;
      if (k.hops != h || k.peer.is_v6() != v6 || plain(k.peer) != src)
        return drop(drop_reason::unknown_discriminator), nullptr;
      id = it->first;
      return &it->second;
    }
    // "If the Your Discriminator field is zero, the session MUST be selected based on
    // some combination of other fields" — source, destination, interface, hop mode.
    for (auto it = by_key.lower_bound(session_key{src, std::nullopt, {}, hop_mode::single_hop});
         it != by_key.end() && plain(it->first.peer) == src; ++it) {
      const auto& k = it->first;
      sess& x = by_discr.at(it->second);
      if (k.hops != h || (k.local && plain(*k.local) != plain(d.destination)) ||
          (x.ifindex != 0 && d.ifindex != x.ifindex))
        continue;
      id = it->second;
      return &x;
    }
    return drop(drop_reason::no_session), nullptr;
  }

  void on_datagram(bool v6, hop_mode h, byte_view data, const session::datagram& d, clock::time_point now) {
    const auto r = decode(data);
    if (r.reason != drop_reason::none) return drop(r.reason);
    std::uint32_t id = 0;
    sess* x = find_session(v6, h, r.packet, d, id);
    if (!x) return;
    // RFC 5881 §5: without authentication "received packets MUST be discarded" unless
    // the TTL/Hop Limit is 255. RFC 5883 §2 leaves multihop to a configured minimum.
    const int min_ttl = h == hop_mode::single_hop ? 255 : static_cast<int>(x->config.timers.minimum_ttl);
    if (d.ttl >= 0 && d.ttl < min_ttl) {
      ++x->counters.dropped;
      return drop(drop_reason::ttl);
    }
    // §6.7.1: bfd.AuthSeqKnown is reset after twice the Detection Time without packets.
    if (now > x->auth_forget_at) x->rx_auth.seq_known = false;
    const auto why = codec::verify(data.first(r.length), r.packet, x->key, x->rx_auth);
    if (why != drop_reason::none) {
      ++x->counters.dropped;
      return drop(why);
    }
    ++x->counters.control_packet_input;
    x->last_rx = now;
    run_step(id, *x, {fsm::event_kind::packet, r.packet}, now);
    const auto dt = fsm::detection_time(x->s);
    x->auth_forget_at = dt ? now + 2 * std::chrono::microseconds(dt) : never;
  }

  // ---- configuration -----------------------------------------------------------
  std::uint32_t new_discriminator() {
    for (;;) {
      const std::uint32_t d = cfg.random();
      if (d != 0 && !by_discr.contains(d)) return d;
    }
  }

  std::string set_session(const session_config& c) {
    if (auto e = validate(c); !e.empty()) return c.key.to_string() + ": " + e;
    unsigned ifindex = 0;
    if (!c.key.interface.empty()) {
      ifindex = if_nametoindex(c.key.interface.c_str());
      if (ifindex == 0) return c.key.to_string() + ": no interface " + c.key.interface;
    }
    if (auto e = open_endpoint(c.key.peer.is_v6(), c.key.hops); !e.empty()) return e;
    const auto now = clock::now();
    if (auto it = by_key.find(c.key); it != by_key.end()) {
      sess& x = by_discr.at(it->second);
      const bool rekey = x.config.auth != c.auth;
      x.config = c;
      x.fc = fsm_config(c.timers);
      x.ifindex = ifindex;
      if (rekey) {
        x.key = auth_key(c.auth);
        x.rx_auth = {};
      }
      run_step(it->second, x, {fsm::event_kind::configure, {}}, now);
      arm();
      return {};
    }
    const std::uint32_t id = new_discriminator();
    sess& x = by_discr[id];
    x.config = c;
    x.fc = fsm_config(c.timers);
    x.s = fsm::make_session(id, x.fc);
    x.key = auth_key(c.auth);
    x.xmit_seq = cfg.random();  // §6.7.1: "initialized to a random 32 bit value"
    x.ifindex = ifindex;
    x.since = now;
    by_key[c.key] = id;
    // The first packet goes out at once (an active session, §6.1), then periodically.
    if (fsm::tx_interval(x.s) != 0) set_deadline(id, x, deadline_kind::transmit, now);
    arm();
    return {};
  }

  bool remove_session(const session_key& k) {
    auto it = by_key.find(k);
    if (it == by_key.end()) return false;
    sess& x = by_discr.at(it->second);
    // Tell the peer at once rather than let its detection time run out (§6.8.16).
    if (x.s.remote_discr != 0 && x.s.st != state::admin_down) {
      x.s.st = state::admin_down;
      x.s.local_diag = diagnostic::administratively_down;
      x.s.poll = false;
      send_packet(x, false, clock::now());
    }
    by_discr.erase(it->second);
    by_key.erase(it);
    return true;
  }

  bool set_admin_down(const session_key& k, bool down) {
    auto it = by_key.find(k);
    if (it == by_key.end()) return false;
    run_step(it->second, by_discr.at(it->second),
             {down ? fsm::event_kind::admin_down : fsm::event_kind::admin_up, {}}, clock::now());
    arm();
    return true;
  }

  session_status status_of(const sess& x) const {
    session_status st;
    st.config = x.config;
    st.local_state = x.s.st;
    st.remote_state = x.s.remote_st;
    st.local_diag = x.s.local_diag;
    st.remote_diag = x.s.remote_diag;
    st.last_down_diag = x.last_down_diag;
    st.local_discriminator = x.s.local_discr;
    st.remote_discriminator = x.s.remote_discr;
    st.tx_interval_us = fsm::tx_interval(x.s);
    st.detection_time_us = fsm::detection_time(x.s);
    st.desired_min_tx_us = x.s.desired_min_tx;
    st.required_min_rx_us = x.s.required_min_rx;
    st.remote_min_rx_us = x.s.remote_discr ? x.s.remote_min_rx : 0;
    st.remote_desired_tx_us = x.s.remote_desired_tx;
    st.remote_detect_mult = x.s.remote_detect_mult;
    st.poll_in_progress = x.s.poll;
    st.admin_down = x.s.st == state::admin_down;
    st.counters = x.counters;
    st.since = x.since;
    return st;
  }
};

manager::manager(asio::io_context& io, manager_config config) : impl_(std::make_unique<impl>(io, std::move(config))) {}
manager::~manager() = default;

std::string manager::set_session(const session_config& config) { return impl_->set_session(config); }
bool manager::remove_session(const session_key& key) { return impl_->remove_session(key); }
bool manager::set_admin_down(const session_key& key, bool down) { return impl_->set_admin_down(key, down); }

std::optional<session_status> manager::status(const session_key& key) const {
  auto it = impl_->by_key.find(key);
  if (it == impl_->by_key.end()) return std::nullopt;
  return impl_->status_of(impl_->by_discr.at(it->second));
}

std::vector<session_status> manager::sessions() const {
  std::vector<session_status> out;
  out.reserve(impl_->by_key.size());
  for (const auto& [k, id] : impl_->by_key) out.push_back(impl_->status_of(impl_->by_discr.at(id)));
  return out;
}

const manager_stats& manager::stats() const { return impl_->stats; }

void manager::subscribe(std::function<void(const state_change&)> handler) {
  impl_->handlers->push_back(std::move(handler));
}

std::uint16_t manager::local_port(hop_mode h, bool ipv6) const { return impl_->eps[endpoint_index(ipv6, h)].rx_port; }

}  // namespace bfd
