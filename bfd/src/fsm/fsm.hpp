// The BFD session of RFC 5880 §6 as a pure function: step(session, event, config) ->
// {session, actions}. The session variables are those of §6.8.1; the timer rules are
// §6.8.2 (negotiation), §6.8.3 (Poll Sequence on a change, with the old interval kept
// where the RFC says so), §6.8.4 (detection time), §6.8.7 (jitter, from a random
// number the caller passes). No sockets, no clocks: src/session turns packets and
// deadlines into events and carries the actions out.
//
// Asynchronous mode only. Deviations: Demand mode is neither used nor honoured (a peer
// asking for it keeps receiving periodic packets; RFC 5880 §6.6 lets us not support
// it, but a peer that sets D while both are Up would expect silence); the Echo
// function is not run (Required Min Echo RX Interval is always sent as 0, §6.8.9).
#pragma once

#include <bfd/packet.hpp>

#include <array>
#include <cstdint>

namespace bfd::fsm {

using micros = std::uint32_t;

// §6.8.3: "When bfd.SessionState is not Up, the system MUST set
// bfd.DesiredMinTxInterval to a value of not less than one second".
inline constexpr micros slow_tx = 1'000'000;

struct config {
  micros desired_min_tx = 300'000;
  micros required_min_rx = 300'000;
  std::uint8_t detect_mult = 3;
  bool passive = false;  // §6.1: wait for the peer's first packet before sending
  friend bool operator==(const config&, const config&) = default;
};

// §6.8.1 state variables, plus what §6.8.3 makes us keep during a Poll Sequence.
struct session {
  state st = state::down;                           // bfd.SessionState
  state remote_st = state::down;                    // bfd.RemoteSessionState
  std::uint32_t local_discr = 0;                    // bfd.LocalDiscr
  std::uint32_t remote_discr = 0;                   // bfd.RemoteDiscr
  diagnostic local_diag = diagnostic::none;         // bfd.LocalDiag
  diagnostic remote_diag = diagnostic::none;        // last Diag received
  micros desired_min_tx = slow_tx;                  // bfd.DesiredMinTxInterval (sent)
  micros required_min_rx = 0;                       // bfd.RequiredMinRxInterval (sent)
  std::uint8_t detect_mult = 3;                     // bfd.DetectMult (sent)
  micros tx_in_use = slow_tx;                       // ours, for our transmission interval
  micros rx_in_use = 0;                             // ours, for the detection time
  micros remote_min_rx = 1;                         // bfd.RemoteMinRxInterval
  micros remote_desired_tx = 0;                     // last Desired Min TX received
  std::uint8_t remote_detect_mult = 0;              // last Detect Mult received
  bool remote_demand = false;                       // bfd.RemoteDemandMode
  bool poll = false;                                // a Poll Sequence is under way
  bool passive = false;
  friend bool operator==(const session&, const session&) = default;
};

enum class event_kind : std::uint8_t {
  packet,             // a control packet that passed §6.8.6 (codec, session, authentication)
  detection_expired,  // §6.8.4: no packet for a Detection Time
  admin_down,         // operator disables the session (§6.8.16)
  admin_up,
  configure,          // the config changed (profile change): §6.8.3
};

struct event {
  event_kind kind = event_kind::packet;
  control_packet packet;  // with `packet`
};

enum class action_kind : std::uint8_t {
  send_final,      // §6.8.6: answer a Poll at once with F set
  send_now,        // send a packet now (state change, start of a Poll Sequence)
  state_changed,   // `from` -> session.st, with session.local_diag
  timing_changed,  // transmission interval or detection time changed: reschedule
};

struct action {
  action_kind kind = action_kind::send_now;
  state from = state::down;
};

// At most eight actions per step; no allocation on the packet path.
struct actions {
  std::array<action, 8> items{};
  std::uint8_t size = 0;
  void push(action a) { items[size++] = a; }
  const action* begin() const { return items.data(); }
  const action* end() const { return items.data() + size; }
  bool contains(action_kind k) const;
};

struct step_result {
  session next;
  actions acts;
};

// A new session in Down with `local_discr` (nonzero, unique, §6.8.1) and `c` applied.
session make_session(std::uint32_t local_discr, const config& c);

step_result step(const session& s, const event& e, const config& c);

// The packet to send now (§6.8.7): Poll while a Poll Sequence is under way, unless it
// answers a Poll (`final`); §6.5 forbids both bits at once.
control_packet packet_to_send(const session& s, bool final);

// §6.8.7: the interval between periodic packets, max(bfd.DesiredMinTxInterval in use,
// bfd.RemoteMinRxInterval); 0 when none may be sent (passive before the peer spoke,
// or the peer's Required Min RX Interval is zero).
micros tx_interval(const session& s);

// §6.8.4: the peer's Detect Mult times max(bfd.RequiredMinRxInterval in use, the peer's
// Desired Min TX Interval); 0 while nothing has been received.
micros detection_time(const session& s);

// §6.8.7: `interval` less a random 5–25 % (10–25 %, i.e. at most 90 %, when
// bfd.DetectMult is 1); `random` is any uniformly distributed 32-bit number. The RFC
// allows 0–25 %; the 5 % kept back absorbs the timer's wake-up latency.
micros jittered(micros interval, std::uint8_t detect_mult, std::uint32_t random);

}  // namespace bfd::fsm
