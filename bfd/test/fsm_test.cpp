// RFC 5880 §6.8.6 state transitions, §6.8.3 Poll Sequences, §6.8.4 detection time and
// §6.8.7 jitter, on the pure FSM.
#include "fsm/fsm.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using namespace bfd;
using fsm::action_kind;
using fsm::event_kind;

const fsm::config cfg{300'000, 300'000, 3, false};

control_packet from_peer(state st, std::uint32_t your = 100) {
  control_packet p;
  p.sta = st;
  p.detect_mult = 3;
  p.my_discriminator = 77;
  p.your_discriminator = your;
  p.desired_min_tx = 300'000;
  p.required_min_rx = 300'000;
  return p;
}

fsm::event packet(const control_packet& p) { return {event_kind::packet, p}; }
fsm::event ev(event_kind k) { return {k, {}}; }

fsm::session in_state(state st) {
  auto s = fsm::make_session(100, cfg);
  if (st == state::down) return s;
  if (st == state::admin_down) return fsm::step(s, ev(event_kind::admin_down), cfg).next;
  s = fsm::step(s, packet(from_peer(state::down, 0)), cfg).next;  // -> Init
  if (st == state::init) return s;
  s = fsm::step(s, packet(from_peer(state::up)), cfg).next;  // -> Up, Poll for 300 ms
  s = fsm::step(s, [] {
        auto p = from_peer(state::up);
        p.final = true;
        return packet(p);
      }(), cfg).next;
  return s;
}

struct transition_row {
  const char* description;
  state from;
  fsm::event event;
  state to;
  diagnostic diag;
  bool changed;
};

// §6.8.6 "Reception of BFD Control Packets", the state table at its end, and §6.8.4.
std::vector<transition_row> transition_rows() {
  return {
      {"Down + Down -> Init", state::down, packet(from_peer(state::down, 0)), state::init, diagnostic::none, true},
      {"Down + Init -> Up", state::down, packet(from_peer(state::init)), state::up, diagnostic::none, true},
      {"Down + Up stays Down", state::down, packet(from_peer(state::up)), state::down, diagnostic::none, false},
      {"Down + AdminDown stays Down", state::down, packet(from_peer(state::admin_down, 0)), state::down,
       diagnostic::none, false},
      {"Init + Init -> Up", state::init, packet(from_peer(state::init)), state::up, diagnostic::none, true},
      {"Init + Up -> Up", state::init, packet(from_peer(state::up)), state::up, diagnostic::none, true},
      {"Init + Down stays Init", state::init, packet(from_peer(state::down)), state::init, diagnostic::none, false},
      {"Init + AdminDown -> Down, Diag 3", state::init, packet(from_peer(state::admin_down)), state::down,
       diagnostic::neighbor_signaled_session_down, true},
      {"Up + Down -> Down, Diag 3", state::up, packet(from_peer(state::down)), state::down,
       diagnostic::neighbor_signaled_session_down, true},
      {"Up + AdminDown -> Down, Diag 3", state::up, packet(from_peer(state::admin_down)), state::down,
       diagnostic::neighbor_signaled_session_down, true},
      {"Up + Init stays Up", state::up, packet(from_peer(state::init)), state::up, diagnostic::none, false},
      {"Up + Up stays Up", state::up, packet(from_peer(state::up)), state::up, diagnostic::none, false},
      {"AdminDown discards packets", state::admin_down, packet(from_peer(state::up)), state::admin_down,
       diagnostic::administratively_down, false},
      {"Up + detection time -> Down, Diag 1", state::up, ev(event_kind::detection_expired), state::down,
       diagnostic::control_detection_time_expired, true},
      {"Init + detection time -> Down, Diag 1", state::init, ev(event_kind::detection_expired), state::down,
       diagnostic::control_detection_time_expired, true},
      {"Down + detection time stays Down", state::down, ev(event_kind::detection_expired), state::down,
       diagnostic::none, false},
      {"Up + admin down -> AdminDown, Diag 7", state::up, ev(event_kind::admin_down), state::admin_down,
       diagnostic::administratively_down, true},
      {"AdminDown + admin up -> Down", state::admin_down, ev(event_kind::admin_up), state::down, diagnostic::none,
       true},
      {"Up + admin up does nothing", state::up, ev(event_kind::admin_up), state::up, diagnostic::none, false},
  };
}

TEST(Fsm, TransitionTable) {
  for (const auto& row : transition_rows()) {
    SCOPED_TRACE(row.description);
    const auto s = in_state(row.from);
    ASSERT_EQ(s.st, row.from);
    const auto r = fsm::step(s, row.event, cfg);
    EXPECT_EQ(r.next.st, row.to);
    EXPECT_EQ(r.next.local_diag, row.diag);
    EXPECT_EQ(r.acts.contains(action_kind::state_changed), row.changed);
    if (row.changed) {
      EXPECT_TRUE(r.acts.contains(action_kind::send_now));  // tell the peer at once
    }
  }
}

TEST(Fsm, ReceptionRecordsThePeer) {
  auto p = from_peer(state::down, 0);
  p.desired_min_tx = 123'000;
  p.required_min_rx = 456'000;
  p.detect_mult = 5;
  p.diag = diagnostic::path_down;
  const auto s = fsm::step(fsm::make_session(100, cfg), packet(p), cfg).next;
  EXPECT_EQ(s.remote_discr, 77u);
  EXPECT_EQ(s.remote_desired_tx, 123'000u);
  EXPECT_EQ(s.remote_min_rx, 456'000u);
  EXPECT_EQ(s.remote_detect_mult, 5);
  EXPECT_EQ(s.remote_diag, diagnostic::path_down);
  EXPECT_EQ(fsm::packet_to_send(s, false).your_discriminator, 77u);
}

TEST(Fsm, DetectionTimeForgetsThePeer) {
  const auto s = fsm::step(in_state(state::up), ev(event_kind::detection_expired), cfg).next;
  EXPECT_EQ(s.remote_discr, 0u);
  EXPECT_EQ(fsm::detection_time(s), 0u);
  EXPECT_EQ(fsm::packet_to_send(s, false).your_discriminator, 0u);
}

TEST(Fsm, SlowStartUntilUpThenPollToTheProfile) {
  auto s = fsm::make_session(100, cfg);
  // §6.8.3: not less than one second while not Up.
  EXPECT_EQ(s.desired_min_tx, fsm::slow_tx);
  EXPECT_EQ(s.required_min_rx, 300'000u);
  s = fsm::step(s, packet(from_peer(state::down, 0)), cfg).next;
  EXPECT_EQ(s.st, state::init);
  EXPECT_FALSE(s.poll);
  const auto r = fsm::step(s, packet(from_peer(state::up)), cfg);
  EXPECT_EQ(r.next.st, state::up);
  EXPECT_TRUE(r.next.poll);
  EXPECT_EQ(r.next.desired_min_tx, 300'000u);
  EXPECT_EQ(r.next.tx_in_use, 300'000u);  // a decrease applies at once
  const auto out = fsm::packet_to_send(r.next, false);
  EXPECT_TRUE(out.poll);
  EXPECT_FALSE(out.final);
}

TEST(Fsm, PollIsAnsweredWithFinalOnly) {
  auto p = from_peer(state::up);
  p.poll = true;
  auto s = in_state(state::up);
  s.poll = true;  // even during our own Poll Sequence
  const auto r = fsm::step(s, packet(p), cfg);
  EXPECT_TRUE(r.acts.contains(action_kind::send_final));
  const auto out = fsm::packet_to_send(r.next, true);
  EXPECT_TRUE(out.final);
  EXPECT_FALSE(out.poll);  // §6.5: never both
}

control_packet final_from_peer() {
  auto p = from_peer(state::up);
  p.final = true;
  return p;
}

struct poll_row {
  const char* description;
  fsm::micros new_tx, new_rx;
  fsm::micros tx_during, rx_during;  // in use before the Final
};

// §6.8.3: an increase of the transmission interval and a decrease of the receive
// interval wait for the Final; the opposite changes apply at once.
const poll_row poll_rows[] = {
    {"transmit slower waits", 600'000, 300'000, 300'000, 300'000},
    {"transmit faster at once", 100'000, 300'000, 100'000, 300'000},
    {"receive faster waits", 300'000, 100'000, 300'000, 300'000},
    {"receive slower at once", 300'000, 900'000, 300'000, 900'000},
    {"both ways", 900'000, 50'000, 300'000, 300'000},
};

TEST(Fsm, PollSequenceTable) {
  for (const auto& row : poll_rows) {
    SCOPED_TRACE(row.description);
    const fsm::config next{row.new_tx, row.new_rx, 3, false};
    const auto r = fsm::step(in_state(state::up), ev(event_kind::configure), next);
    EXPECT_TRUE(r.next.poll);
    EXPECT_TRUE(r.acts.contains(action_kind::send_now));
    EXPECT_EQ(r.next.desired_min_tx, row.new_tx);  // sent at once
    EXPECT_EQ(r.next.required_min_rx, row.new_rx);
    EXPECT_EQ(r.next.tx_in_use, row.tx_during);
    EXPECT_EQ(r.next.rx_in_use, row.rx_during);
    EXPECT_EQ(r.next.st, state::up);
    const auto done = fsm::step(r.next, packet(final_from_peer()), next);
    EXPECT_FALSE(done.next.poll);
    EXPECT_EQ(done.next.tx_in_use, row.new_tx);
    EXPECT_EQ(done.next.rx_in_use, row.new_rx);
    EXPECT_FALSE(done.acts.contains(action_kind::state_changed));  // no flap
  }
}

TEST(Fsm, ChangeDuringAPollWaitsForItsFinal) {
  const fsm::config first{600'000, 300'000, 3, false}, second{900'000, 300'000, 3, false};
  auto s = fsm::step(in_state(state::up), ev(event_kind::configure), first).next;
  s = fsm::step(s, ev(event_kind::configure), second).next;
  EXPECT_EQ(s.desired_min_tx, 600'000u);  // still the values being polled
  const auto r = fsm::step(s, packet(final_from_peer()), second);
  EXPECT_TRUE(r.next.poll);  // a new sequence for the second change
  EXPECT_EQ(r.next.desired_min_tx, 900'000u);
  EXPECT_EQ(r.next.tx_in_use, 600'000u);
}

TEST(Fsm, FinalWithoutPollChangesNothing) {
  const auto s = in_state(state::up);
  const auto r = fsm::step(s, packet(final_from_peer()), cfg);
  EXPECT_EQ(r.next, s);
}

TEST(Fsm, UnchangedConfigStartsNoPoll) {
  const auto r = fsm::step(in_state(state::up), ev(event_kind::configure), cfg);
  EXPECT_FALSE(r.next.poll);
  EXPECT_EQ(r.acts.size, 0);
}

TEST(Fsm, LeavingUpReturnsToSlowStartWithoutPoll) {
  auto s = fsm::step(in_state(state::up), ev(event_kind::configure), fsm::config{600'000, 300'000, 3, false}).next;
  s = fsm::step(s, packet(from_peer(state::down)), cfg).next;
  EXPECT_EQ(s.st, state::down);
  EXPECT_FALSE(s.poll);
  EXPECT_EQ(s.desired_min_tx, fsm::slow_tx);
  EXPECT_EQ(s.tx_in_use, fsm::slow_tx);
}

TEST(Fsm, TransmissionInterval) {
  auto s = in_state(state::up);
  EXPECT_EQ(fsm::tx_interval(s), 300'000u);
  s.remote_min_rx = 500'000;  // §6.8.7: the larger of ours and the peer's
  EXPECT_EQ(fsm::tx_interval(s), 500'000u);
  s.remote_min_rx = 0;  // the peer wants none
  EXPECT_EQ(fsm::tx_interval(s), 0u);
}

TEST(Fsm, PassiveWaitsForThePeer) {
  const fsm::config passive{300'000, 300'000, 3, true};
  auto s = fsm::make_session(100, passive);
  EXPECT_EQ(fsm::tx_interval(s), 0u);
  s = fsm::step(s, packet(from_peer(state::down, 0)), passive).next;
  EXPECT_EQ(s.st, state::init);
  EXPECT_EQ(fsm::tx_interval(s), fsm::slow_tx);
}

TEST(Fsm, DetectionTime) {
  auto s = fsm::make_session(100, cfg);
  EXPECT_EQ(fsm::detection_time(s), 0u);  // nothing received yet
  auto p = from_peer(state::down, 0);
  p.detect_mult = 4;
  p.desired_min_tx = 200'000;
  s = fsm::step(s, packet(p), cfg).next;
  // §6.8.4: the peer's Detect Mult x max(our Required Min RX, its Desired Min TX).
  EXPECT_EQ(fsm::detection_time(s), 4u * 300'000u);
  p.desired_min_tx = 1'000'000;
  s = fsm::step(s, packet(p), cfg).next;
  EXPECT_EQ(fsm::detection_time(s), 4u * 1'000'000u);
}

TEST(Fsm, JitterWindow) {
  // §6.8.7: 75-100 % of the interval (we use 75-95 %); at most 90 % with Detect Mult 1.
  for (std::uint32_t r : {0u, 1u, 125u, 200u, 201u, 999u, 0xffffffffu, 0x7fffffffu}) {
    const auto j = fsm::jittered(100'000, 3, r);
    EXPECT_GE(j, 75'000u);
    EXPECT_LE(j, 95'000u);
    const auto j1 = fsm::jittered(100'000, 1, r);
    EXPECT_GE(j1, 75'000u);
    EXPECT_LE(j1, 90'000u);
  }
  EXPECT_EQ(fsm::jittered(100'000, 3, 0), 75'000u);
  EXPECT_EQ(fsm::jittered(100'000, 3, 200), 95'000u);
  EXPECT_EQ(fsm::jittered(100'000, 1, 150), 90'000u);
}

TEST(Fsm, OutgoingPacketCarriesTheVariables) {
  const auto s = in_state(state::up);
  const auto p = fsm::packet_to_send(s, false);
  EXPECT_EQ(p.sta, state::up);
  EXPECT_EQ(p.my_discriminator, 100u);
  EXPECT_EQ(p.your_discriminator, 77u);
  EXPECT_EQ(p.detect_mult, 3);
  EXPECT_EQ(p.desired_min_tx, 300'000u);
  EXPECT_EQ(p.required_min_rx, 300'000u);
  EXPECT_EQ(p.required_min_echo_rx, 0u);
  EXPECT_FALSE(p.multipoint);
  EXPECT_EQ(decode(encode(p)).reason, drop_reason::none);
}

}  // namespace
