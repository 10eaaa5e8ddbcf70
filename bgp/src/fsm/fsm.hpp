// The BGP finite state machine of RFC 4271 §8 as a pure function:
// step(session, event, config) -> {session, actions}. No sockets, no clocks: the
// session coroutine (src/session) turns I/O and timer expiries into events and
// carries out the actions in order.
//
// Simplifications against §8.2.2, all allowed by the RFC's optional attributes:
// no DelayOpen, no passive TCP establishment flag beyond `passive`, no damping of peer
// oscillations here (the session layer's connect back-off does that).
#pragma once

#include <bgp/error.hpp>
#include <bgp/message.hpp>
#include <bgp/state.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace bgp::fsm {

// The session states are the public bgp::peer_state: what the FSM is in is what a
// peer's status reports, with no conversion between the two.
using state = peer_state;

struct config {
  std::uint32_t local_as = 0;
  std::uint32_t router_id = 0;  // host byte order
  std::uint32_t peer_as = 0;    // expected; 0 accepts any
  std::uint16_t hold_time = 90;  // proposed; 0 or >= 3
  std::uint16_t keepalive = 0;   // 0: a third of the negotiated hold time
  std::uint16_t connect_retry = 5;  // ConnectRetryTime, seconds (the session layer backs off)
  bool passive = false;
};

enum class event_kind : std::uint8_t {
  start,                  // ManualStart / AutomaticStart
  stop,                   // ManualStop (notification carries the Cease to send)
  connect_retry_expired,  // ConnectRetryTimer_Expires
  hold_expired,           // HoldTimer_Expires
  keepalive_expired,      // KeepaliveTimer_Expires
  tcp_connected,          // Tcp_CR_Acked / TcpConnectionConfirmed
  tcp_failed,             // TcpConnectionFails
  open_received,          // BGPOpen (decoded cleanly)
  keepalive_received,     // KeepAliveMsg
  update_received,        // UpdateMsg (possibly with a non-fatal RFC 7606 error)
  route_refresh_received,
  notification_received,  // NotifMsg
  message_error,          // BGPHeaderErr / BGPOpenMsgErr / UpdateMsgErr with session_reset
  incoming_open,          // a second connection from the peer sent its OPEN (`open`):
                          // a connection collision, RFC 4271 §6.8
};

struct event {
  event_kind kind = event_kind::start;
  open_message open;                 // with open_received
  notification_message notification;  // with notification_received, stop
  decode_error error;                // with message_error
  std::string reason;                // with tcp_failed, stop: for the down reason
};

enum class action_kind : std::uint8_t {
  connect,             // open the TCP connection (unless passive)
  close,               // drop the TCP connection
  send_open,
  send_keepalive,
  send_notification,   // `notification`
  arm_connect_retry,   // seconds
  stop_connect_retry,
  arm_hold,            // seconds; 0 means stop it
  arm_keepalive,       // seconds; 0 means stop it
  established,         // the session is up: send the Adj-RIB-Out, then End-of-RIB
  deliver_update,      // hand the UPDATE to the RIB side
  answer_route_refresh,
  down,                // the session left Established/OpenSent/OpenConfirm; `reason`
  take_incoming,       // go on over the incoming connection; ours ends once what is
                       // queued on it (a NOTIFICATION) is out
  reject_incoming,     // Cease 7 on the incoming connection, then close it
};

struct action {
  action_kind kind;
  std::uint32_t seconds = 0;
  notification_message notification;
  std::string reason;
};

// What the FSM remembers across events.
struct session {
  state st = state::idle;
  std::uint16_t hold_time = 0;  // negotiated
  std::uint16_t keepalive = 0;  // negotiated
  open_message peer_open;       // valid from OpenConfirm on
};

struct step_result {
  session next;
  std::vector<action> actions;
};

// Large initial hold time while waiting for the peer's OPEN, RFC 4271 §8.2.2 (4 min).
inline constexpr std::uint16_t initial_hold_seconds = 240;

step_result step(const session& s, const event& e, const config& c);

// RFC 4271 §6.8 (RFC 6286 §2.3 when the identifiers are equal): of two connections
// between the same speakers, the one opened by the speaker with the higher BGP
// Identifier is kept. True when that is the peer, who opened the incoming one.
bool incoming_wins(const config& c, const open_message& theirs);

// The reason text for a NOTIFICATION we received or sent, e.g.
// "peer sent NOTIFICATION 6/2 administrative shutdown: maintenance".
std::string notification_reason(const notification_message& n, bool received);

}  // namespace bgp::fsm
