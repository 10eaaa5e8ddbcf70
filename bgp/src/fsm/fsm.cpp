// RFC 4271 §8.2.2 transitions, one function per state.
#include "fsm/fsm.hpp"

#include <bgp/iana.hpp>

#include <algorithm>

namespace bgp {

std::string_view to_string(peer_state s) {
  switch (s) {
    case peer_state::idle: return "idle";
    case peer_state::connect: return "connect";
    case peer_state::active: return "active";
    case peer_state::open_sent: return "open_sent";
    case peer_state::open_confirm: return "open_confirm";
    case peer_state::established: return "established";
  }
  return "idle";
}

}  // namespace bgp

namespace bgp::fsm {

std::string notification_reason(const notification_message& n, bool received) {
  std::string r = std::string(received ? "peer sent" : "sent") + " NOTIFICATION " +
                  describe_notification(n.code, n.subcode);
  if (auto text = n.shutdown_message(); text && !text->empty()) r += ": " + *text;
  return r;
}

namespace {

namespace ec = iana::error_code;

struct builder {
  step_result r;
  builder(const session& s) { r.next = s; }
  builder& act(action_kind k, std::uint32_t seconds = 0) {
    r.actions.push_back(action{k, seconds, {}, {}});
    return *this;
  }
  builder& notify(notification_message n) {
    r.actions.push_back(action{action_kind::send_notification, 0, std::move(n), {}});
    return *this;
  }
  // Back to Idle: stop every timer, drop the connection, say why.
  step_result to_idle(std::string reason) {
    act(action_kind::stop_connect_retry);
    act(action_kind::arm_hold, 0);
    act(action_kind::arm_keepalive, 0);
    act(action_kind::close);
    r.actions.push_back(action{action_kind::down, 0, {}, std::move(reason)});
    r.next = session{};
    return std::move(r);
  }
  // Send a NOTIFICATION, then back to Idle.
  step_result fail(notification_message n) {
    std::string reason = notification_reason(n, false);
    notify(std::move(n));
    return to_idle(std::move(reason));
  }
  step_result go(state s) {
    r.next.st = s;
    return std::move(r);
  }
};

notification_message fsm_error(state s) {
  const std::uint8_t sub = s == state::open_sent      ? iana::fsm_subcode::unexpected_in_open_sent
                           : s == state::open_confirm ? iana::fsm_subcode::unexpected_in_open_confirm
                           : s == state::established  ? iana::fsm_subcode::unexpected_in_established
                                                      : iana::fsm_subcode::unspecified;
  return notification_message{ec::fsm, sub, {}};  // RFC 6608
}

notification_message hold_expired() { return notification_message{ec::hold_timer_expired, 0, {}}; }

// Events every connected state handles alike.
bool common(builder& b, const session& s, const event& e, step_result& out) {
  switch (e.kind) {
    case event_kind::stop: {
      out = b.fail(e.notification.code ? e.notification
                                       : notification_message::cease(iana::cease_subcode::administrative_shutdown, {}));
      auto& why = out.actions.back().reason;
      if (!e.reason.empty() && why.find(e.reason) == std::string::npos) why += " (" + e.reason + ")";
      return true;
    }
    case event_kind::hold_expired:
      out = b.fail(hold_expired());
      out.actions.back().reason = "hold timer expired (" + std::to_string(s.hold_time ? s.hold_time : initial_hold_seconds) + " s)";
      return true;
    case event_kind::tcp_failed:
      out = b.to_idle(e.reason.empty() ? "connection closed by peer" : e.reason);
      return true;
    case event_kind::notification_received:
      out = b.to_idle(notification_reason(e.notification, true));
      return true;
    case event_kind::message_error:
      out = b.fail(to_notification(e.error));
      out.actions.back().reason += " (" + e.error.reason + ")";
      return true;
    default:
      return false;
  }
}

// OpenConfirm and Established: the keepalive timer, and events that mean nothing here.
bool keeping_alive(builder& b, const session& s, const event& e, step_result& out) {
  switch (e.kind) {
    case event_kind::keepalive_expired:
      b.act(action_kind::send_keepalive);
      b.act(action_kind::arm_keepalive, s.keepalive);
      out = b.go(s.st);
      return true;
    case event_kind::start:
    case event_kind::connect_retry_expired:
    case event_kind::tcp_connected:
      out = b.go(s.st);
      return true;
    default:
      return false;
  }
}

step_result open_sent(const session& s, const event& e, const config& c);

// RFC 4271 §6.8: the incoming connection replaces ours. Ours gets Cease 7 when it is up
// (we sent an OPEN on it); the session goes on over the incoming one as in OpenSent,
// with the peer's OPEN, which is in, received at once.
step_result take_incoming(const session& s, const event& e, const config& c, bool ours_up) {
  builder b(s);
  if (ours_up) b.notify(notification_message{ec::cease, iana::cease_subcode::connection_collision_resolution, {}});
  b.act(action_kind::stop_connect_retry);
  b.act(action_kind::arm_keepalive, 0);
  b.act(action_kind::take_incoming);
  b.act(action_kind::send_open);
  event open = e;
  open.kind = event_kind::open_received;
  step_result rest = open_sent(session{state::open_sent, 0, 0, {}}, open, c);
  b.r.actions.insert(b.r.actions.end(), std::make_move_iterator(rest.actions.begin()),
                     std::make_move_iterator(rest.actions.end()));
  b.r.next = std::move(rest.next);
  return std::move(b.r);
}

// The incoming connection loses: ours stays as it is.
step_result reject_incoming(const session& s) {
  builder b(s);
  b.act(action_kind::reject_incoming);
  return b.go(s.st);
}

step_result idle(const session& s, const event& e, const config& c) {
  builder b(s);
  if (e.kind == event_kind::incoming_open) return reject_incoming(s);
  if (e.kind != event_kind::start) return b.go(state::idle);
  b.act(action_kind::arm_connect_retry, c.connect_retry);
  if (c.passive) return b.go(state::active);
  b.act(action_kind::connect);
  return b.go(state::connect);
}

step_result connecting(const session& s, const event& e, const config& c) {
  builder b(s);
  switch (e.kind) {
    case event_kind::stop:
      return b.to_idle(e.reason.empty() ? "stopped" : e.reason);
    case event_kind::connect_retry_expired:
      b.act(action_kind::close);
      b.act(action_kind::arm_connect_retry, c.connect_retry);
      if (c.passive) return b.go(state::active);
      b.act(action_kind::connect);
      return b.go(state::connect);
    case event_kind::tcp_connected:
      b.act(action_kind::stop_connect_retry);
      b.act(action_kind::send_open);
      b.act(action_kind::arm_hold, initial_hold_seconds);
      return b.go(state::open_sent);
    case event_kind::tcp_failed:
      b.act(action_kind::close);
      b.act(action_kind::arm_connect_retry, c.connect_retry);
      return b.go(state::active);
    case event_kind::incoming_open:  // ours is not up: the incoming one is the session's
      return take_incoming(s, e, c, false);
    default:
      return b.go(s.st);  // RFC 4271 §8.2.2: other events are ignored here
  }
}

step_result open_sent(const session& s, const event& e, const config& c) {
  builder b(s);
  step_result out;
  if (common(b, s, e, out)) return out;
  if (e.kind == event_kind::incoming_open)
    return incoming_wins(c, e.open) ? take_incoming(s, e, c, true) : reject_incoming(s);
  if (e.kind != event_kind::open_received) {
    if (e.kind == event_kind::keepalive_expired || e.kind == event_kind::start ||
        e.kind == event_kind::connect_retry_expired || e.kind == event_kind::tcp_connected)
      return b.go(s.st);
    return b.fail(fsm_error(s.st));
  }
  const open_message& o = e.open;
  const std::uint32_t peer_as = o.effective_as();
  // RFC 4271 §6.2: the AS must be the one configured for the peer.
  if (c.peer_as != 0 && peer_as != c.peer_as) {
    auto r = b.fail(notification_message{ec::open_message, iana::open_subcode::bad_peer_as, {}});
    r.actions.back().reason += " (peer says AS " + std::to_string(peer_as) + ", configured " +
                               std::to_string(c.peer_as) + ")";
    return r;
  }
  // RFC 6286 §2.2: within an AS the identifiers must differ.
  if (peer_as == c.local_as && o.bgp_id == c.router_id) {
    auto r = b.fail(notification_message{ec::open_message, iana::open_subcode::bad_bgp_identifier, {}});
    r.actions.back().reason += " (peer uses our own router id)";
    return r;
  }
  // RFC 4271 §4.2: the smaller hold time; the keepalive a third of it unless
  // configured lower.
  b.r.next.hold_time = std::min(c.hold_time, o.hold_time);
  std::uint16_t ka = static_cast<std::uint16_t>(b.r.next.hold_time / 3);
  if (c.keepalive != 0 && c.keepalive < ka) ka = c.keepalive;
  if (b.r.next.hold_time != 0 && ka == 0) ka = 1;
  b.r.next.keepalive = ka;
  b.r.next.peer_open = o;
  b.act(action_kind::stop_connect_retry);
  b.act(action_kind::send_keepalive);
  b.act(action_kind::arm_keepalive, ka);
  b.act(action_kind::arm_hold, b.r.next.hold_time);
  return b.go(state::open_confirm);
}

step_result open_confirm(const session& s, const event& e, const config& c) {
  builder b(s);
  step_result out;
  if (common(b, s, e, out)) return out;
  if (keeping_alive(b, s, e, out)) return out;
  if (e.kind == event_kind::incoming_open)
    return incoming_wins(c, e.open) ? take_incoming(s, e, c, true) : reject_incoming(s);
  if (e.kind != event_kind::keepalive_received) return b.fail(fsm_error(s.st));
  b.act(action_kind::arm_hold, s.hold_time);
  b.act(action_kind::established);
  return b.go(state::established);
}

step_result established(const session& s, const event& e, const config&) {
  builder b(s);
  step_result out;
  if (common(b, s, e, out)) return out;
  if (keeping_alive(b, s, e, out)) return out;
  // RFC 4271 §6.8: a collision with an Established session closes the new connection.
  if (e.kind == event_kind::incoming_open) return reject_incoming(s);
  switch (e.kind) {
    case event_kind::keepalive_received:
      b.act(action_kind::arm_hold, s.hold_time);
      return b.go(s.st);
    case event_kind::update_received:
      b.act(action_kind::arm_hold, s.hold_time);
      b.act(action_kind::deliver_update);
      return b.go(s.st);
    case event_kind::route_refresh_received:
      b.act(action_kind::arm_hold, s.hold_time);
      b.act(action_kind::answer_route_refresh);
      return b.go(s.st);
    default:
      return b.fail(fsm_error(s.st));
  }
}

}  // namespace

bool incoming_wins(const config& c, const open_message& theirs) {
  if (theirs.bgp_id != c.router_id) return theirs.bgp_id > c.router_id;
  return theirs.effective_as() > c.local_as;
}

step_result step(const session& s, const event& e, const config& c) {
  switch (s.st) {
    case state::idle: return idle(s, e, c);
    case state::connect:
    case state::active: return connecting(s, e, c);
    case state::open_sent: return open_sent(s, e, c);
    case state::open_confirm: return open_confirm(s, e, c);
    case state::established: return established(s, e, c);
  }
  return idle(s, e, c);
}

}  // namespace bgp::fsm
