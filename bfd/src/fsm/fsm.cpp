// RFC 5880 §6.8 as a pure function; see fsm.hpp.
#include "fsm/fsm.hpp"

#include <algorithm>

namespace bfd::fsm {

bool actions::contains(action_kind k) const {
  return std::any_of(begin(), end(), [k](const action& a) { return a.kind == k; });
}

namespace {

// §6.8.3: slow start while not Up.
micros wanted_tx(const session& s, const config& c) {
  return s.st == state::up ? c.desired_min_tx : std::max(c.desired_min_tx, slow_tx);
}

// §6.8.3: apply the config's intervals. A change while a Poll Sequence is under way
// waits for its Final (`poll` stays set, the sent values stay those being polled).
// Otherwise a change starts a Poll Sequence once the peer is known; while Up, a longer
// transmission interval and a shorter receive interval take effect only at the Final.
void apply_intervals(session& s, const config& c, actions& out) {
  s.detect_mult = c.detect_mult;
  s.passive = c.passive;
  const micros tx = wanted_tx(s, c), rx = c.required_min_rx;
  if (tx == s.desired_min_tx && rx == s.required_min_rx) return;
  if (s.poll) return;
  const micros old_tx_in_use = s.tx_in_use, old_rx_in_use = s.rx_in_use;
  s.desired_min_tx = tx;
  s.required_min_rx = rx;
  if (s.st == state::up) {
    // "If bfd.DesiredMinTxInterval is increased and bfd.SessionState is Up, the actual
    // transmission interval used MUST NOT change until the Poll Sequence ... has
    // terminated." / "If bfd.RequiredMinRxInterval is reduced and bfd.SessionState is
    // Up, the previous value ... MUST be used when calculating the Detection Time".
    s.tx_in_use = std::min(s.tx_in_use, tx);
    s.rx_in_use = std::max(s.rx_in_use, rx);
  } else {
    s.tx_in_use = tx;
    s.rx_in_use = rx;
  }
  // "If either bfd.DesiredMinTxInterval is changed or bfd.RequiredMinRxInterval is
  // changed, a Poll Sequence MUST be initiated" (no one to poll before the peer spoke).
  if (s.remote_discr != 0) {
    s.poll = true;
    out.push({action_kind::send_now});
  }
  if (s.tx_in_use != old_tx_in_use || s.rx_in_use != old_rx_in_use) out.push({action_kind::timing_changed});
}

void change_state(session& s, state to, diagnostic diag, const config& c, actions& out) {
  const state from = s.st;
  s.st = to;
  s.local_diag = diag;
  out.push({action_kind::state_changed, from});
  if (to != state::up) {
    // Leaving Up (or never there): slow start again at once, no Poll Sequence to wait for.
    s.poll = false;
    s.desired_min_tx = s.tx_in_use = wanted_tx(s, c);
    s.required_min_rx = s.rx_in_use = c.required_min_rx;
    out.push({action_kind::timing_changed});
    out.push({action_kind::send_now});
  } else {
    // Up ends slow start: the faster interval is negotiated with a Poll Sequence.
    const std::uint8_t before = out.size;
    apply_intervals(s, c, out);
    if (out.size == before) out.push({action_kind::send_now});
  }
}

void receive(session& s, const control_packet& p, const config& c, actions& out) {
  // §6.8.6, after the packet and its session were found valid:
  const micros old_tx = tx_interval(s), old_detect = detection_time(s);
  s.remote_discr = p.my_discriminator;
  s.remote_st = p.sta;
  s.remote_diag = p.diag;
  s.remote_demand = p.demand;
  s.remote_min_rx = p.required_min_rx;
  s.remote_desired_tx = p.desired_min_tx;
  s.remote_detect_mult = p.detect_mult;
  // "If the Final (F) bit is set and the local system has sent a Poll, terminate the
  // Poll Sequence" — the polled values are now in force both ways (§6.8.3).
  if (p.final && s.poll) {
    s.poll = false;
    s.tx_in_use = s.desired_min_tx;
    s.rx_in_use = s.required_min_rx;
    apply_intervals(s, c, out);  // a change that arrived during the sequence
  }
  if (tx_interval(s) != old_tx || detection_time(s) != old_detect) out.push({action_kind::timing_changed});
  // "If the packet was received with the Poll (P) bit set, ... a BFD Control packet
  // MUST be transmitted with the Final (F) bit set" (§6.8.7: without delay).
  if (p.poll) out.push({action_kind::send_final});
  // "If bfd.SessionState is AdminDown: Discard the packet"
  if (s.st == state::admin_down) return;
  if (p.sta == state::admin_down) {
    // "If received state is AdminDown: If bfd.SessionState is not Down, set
    // bfd.LocalDiag to 3 (Neighbor signaled session down), set bfd.SessionState to Down"
    if (s.st != state::down) change_state(s, state::down, diagnostic::neighbor_signaled_session_down, c, out);
    return;
  }
  switch (s.st) {
    case state::down:
      if (p.sta == state::down) change_state(s, state::init, diagnostic::none, c, out);
      else if (p.sta == state::init) change_state(s, state::up, diagnostic::none, c, out);
      break;
    case state::init:
      if (p.sta == state::init || p.sta == state::up) change_state(s, state::up, diagnostic::none, c, out);
      break;
    case state::up:
      if (p.sta == state::down)
        change_state(s, state::down, diagnostic::neighbor_signaled_session_down, c, out);
      break;
    case state::admin_down: break;
  }
}

}  // namespace

session make_session(std::uint32_t local_discr, const config& c) {
  session s;
  s.local_discr = local_discr;
  s.detect_mult = c.detect_mult;
  s.passive = c.passive;
  s.desired_min_tx = s.tx_in_use = wanted_tx(s, c);
  s.required_min_rx = s.rx_in_use = c.required_min_rx;
  return s;
}

step_result step(const session& in, const event& e, const config& c) {
  step_result r{in, {}};
  session& s = r.next;
  switch (e.kind) {
    case event_kind::packet: receive(s, e.packet, c, r.acts); break;
    case event_kind::detection_expired:
      // §6.8.1: "If a period of a Detection Time passes without the receipt of a valid,
      // authenticated BFD packet from the remote system, [bfd.RemoteDiscr] MUST be set
      // to zero." §6.8.4: in Init or Up the session goes Down with Diag 1.
      s.remote_discr = 0;
      s.remote_st = state::down;
      s.remote_detect_mult = 0;
      s.remote_min_rx = 1;
      s.remote_desired_tx = 0;
      if (s.st == state::init || s.st == state::up)
        change_state(s, state::down, diagnostic::control_detection_time_expired, c, r.acts);
      else
        r.acts.push({action_kind::timing_changed});
      break;
    case event_kind::admin_down:
      // §6.8.16: "set bfd.SessionState to AdminDown ... bfd.LocalDiag to an appropriate
      // value" (7, Administratively Down).
      if (s.st != state::admin_down) change_state(s, state::admin_down, diagnostic::administratively_down, c, r.acts);
      break;
    case event_kind::admin_up:
      if (s.st == state::admin_down) change_state(s, state::down, diagnostic::none, c, r.acts);
      break;
    case event_kind::configure: apply_intervals(s, c, r.acts); break;
  }
  return r;
}

control_packet packet_to_send(const session& s, bool final) {
  control_packet p;
  p.diag = s.local_diag;
  p.sta = s.st;
  p.poll = s.poll && !final;
  p.final = final;
  p.detect_mult = s.detect_mult;
  p.my_discriminator = s.local_discr;
  p.your_discriminator = s.remote_discr;
  p.desired_min_tx = s.desired_min_tx;
  p.required_min_rx = s.required_min_rx;
  p.required_min_echo_rx = 0;  // §6.8.9: we do not receive Echo packets
  return p;
}

micros tx_interval(const session& s) {
  // §6.1 passive role; §6.8.7: "A system MUST NOT periodically transmit BFD Control
  // packets if bfd.RemoteMinRxInterval is zero."
  if (s.passive && s.remote_discr == 0) return 0;
  if (s.remote_min_rx == 0) return 0;
  return std::max(s.tx_in_use, s.remote_min_rx);
}

micros detection_time(const session& s) {
  if (s.remote_discr == 0 || s.remote_detect_mult == 0) return 0;
  const std::uint64_t t = std::uint64_t{s.remote_detect_mult} * std::max(s.rx_in_use, s.remote_desired_tx);
  return static_cast<micros>(std::min<std::uint64_t>(t, 0xffffffffu));
}

micros jittered(micros interval, std::uint8_t detect_mult, std::uint32_t random) {
  // §6.8.7: "reduced by a random value of 0 to 25%"; with bfd.DetectMult 1 "no more
  // than 90% of the negotiated transmission interval, and MUST be no less than 75%".
  // We draw from 75-95 % (75-90 %): the last 5 % is the margin for the timer's own
  // wake-up latency, so a packet due at 100 % cannot end up later than the interval.
  const std::uint64_t lo = 75, hi = detect_mult == 1 ? 90 : 95;
  // A percentage in [lo, hi] at 1/1000 resolution.
  const std::uint64_t permille = lo * 10 + random % ((hi - lo) * 10 + 1);
  return static_cast<micros>(std::uint64_t{interval} * permille / 1000);
}

}  // namespace bfd::fsm
