// The FSM as a table: {state, event} -> {next state, actions}. RFC 4271 §8.2.2.
#include "fsm/fsm.hpp"

#include <bgp/iana.hpp>

#include <gtest/gtest.h>

namespace bgp::fsm {
namespace {

config cfg(bool passive = false) {
  config c;
  c.local_as = 65001;
  c.router_id = 0x01010101;
  c.peer_as = 65002;
  c.hold_time = 90;
  c.passive = passive;
  return c;
}

event ev(event_kind k) {
  event e;
  e.kind = k;
  return e;
}

event open_from(std::uint32_t as, std::uint16_t hold, std::uint32_t id = 0x02020202) {
  event e = ev(event_kind::open_received);
  e.open.my_as = static_cast<std::uint16_t>(as > 0xFFFF ? iana::as_trans : as);
  e.open.hold_time = hold;
  e.open.bgp_id = id;
  e.open.capabilities.push_back(cap_four_octet_as{as});
  return e;
}

std::vector<action_kind> kinds(const step_result& r) {
  std::vector<action_kind> k;
  for (const auto& a : r.actions) k.push_back(a.kind);
  return k;
}

const action* find(const step_result& r, action_kind k) {
  for (const auto& a : r.actions)
    if (a.kind == k) return &a;
  return nullptr;
}

session in(state s, std::uint16_t hold = 90, std::uint16_t ka = 30) { return session{s, hold, ka, {}}; }

struct row {
  const char* description;
  state from;
  event_kind what;
  bool passive;
  state to;
  std::vector<action_kind> actions;
};

class transitions : public ::testing::TestWithParam<row> {};

TEST_P(transitions, rfc4271_8_2_2) {
  const auto& r = GetParam();
  const auto got = step(in(r.from), ev(r.what), cfg(r.passive));
  EXPECT_EQ(got.next.st, r.to) << r.description;
  EXPECT_EQ(kinds(got), r.actions) << r.description;
}

using A = action_kind;
INSTANTIATE_TEST_SUITE_P(
    table, transitions,
    ::testing::Values(
        row{"idle start connects", state::idle, event_kind::start, false, state::connect, {A::arm_connect_retry, A::connect}},
        row{"idle start passive waits", state::idle, event_kind::start, true, state::active, {A::arm_connect_retry}},
        row{"idle ignores keepalive", state::idle, event_kind::keepalive_received, false, state::idle, {}},
        row{"connect tcp up sends OPEN", state::connect, event_kind::tcp_connected, false, state::open_sent, {A::stop_connect_retry, A::send_open, A::arm_hold}},
        row{"connect tcp fails goes active", state::connect, event_kind::tcp_failed, false, state::active, {A::close, A::arm_connect_retry}},
        row{"active retry expires connects", state::active, event_kind::connect_retry_expired, false, state::connect, {A::close, A::arm_connect_retry, A::connect}},
        row{"active incoming connection", state::active, event_kind::tcp_connected, true, state::open_sent, {A::stop_connect_retry, A::send_open, A::arm_hold}},
        row{"connect stop", state::connect, event_kind::stop, false, state::idle, {A::stop_connect_retry, A::arm_hold, A::arm_keepalive, A::close, A::down}},
        row{"open_sent hold expires", state::open_sent, event_kind::hold_expired, false, state::idle, {A::send_notification, A::stop_connect_retry, A::arm_hold, A::arm_keepalive, A::close, A::down}},
        row{"open_sent keepalive is an FSM error", state::open_sent, event_kind::keepalive_received, false, state::idle, {A::send_notification, A::stop_connect_retry, A::arm_hold, A::arm_keepalive, A::close, A::down}},
        row{"open_sent connection lost", state::open_sent, event_kind::tcp_failed, false, state::idle, {A::stop_connect_retry, A::arm_hold, A::arm_keepalive, A::close, A::down}},
        row{"open_confirm keepalive establishes", state::open_confirm, event_kind::keepalive_received, false, state::established, {A::arm_hold, A::established}},
        row{"open_confirm keepalive timer", state::open_confirm, event_kind::keepalive_expired, false, state::open_confirm, {A::send_keepalive, A::arm_keepalive}},
        row{"open_confirm update is an FSM error", state::open_confirm, event_kind::update_received, false, state::idle, {A::send_notification, A::stop_connect_retry, A::arm_hold, A::arm_keepalive, A::close, A::down}},
        row{"established keepalive restarts hold", state::established, event_kind::keepalive_received, false, state::established, {A::arm_hold}},
        row{"established update", state::established, event_kind::update_received, false, state::established, {A::arm_hold, A::deliver_update}},
        row{"established route refresh", state::established, event_kind::route_refresh_received, false, state::established, {A::arm_hold, A::answer_route_refresh}},
        row{"established OPEN is an FSM error", state::established, event_kind::open_received, false, state::idle, {A::send_notification, A::stop_connect_retry, A::arm_hold, A::arm_keepalive, A::close, A::down}},
        row{"established notification", state::established, event_kind::notification_received, false, state::idle, {A::stop_connect_retry, A::arm_hold, A::arm_keepalive, A::close, A::down}},
        row{"established keepalive timer", state::established, event_kind::keepalive_expired, false, state::established, {A::send_keepalive, A::arm_keepalive}}),
    [](const auto& param_info) { return std::to_string(param_info.index); });

TEST(fsm, open_negotiates_hold_and_keepalive) {
  auto r = step(in(state::open_sent), open_from(65002, 9), cfg());
  EXPECT_EQ(r.next.st, state::open_confirm);
  EXPECT_EQ(r.next.hold_time, 9);
  EXPECT_EQ(r.next.keepalive, 3);
  EXPECT_EQ(find(r, A::arm_hold)->seconds, 9u);
  EXPECT_EQ(find(r, A::arm_keepalive)->seconds, 3u);
  ASSERT_NE(find(r, A::send_keepalive), nullptr);
  // Hold time 0: no keepalives, no hold timer.
  r = step(in(state::open_sent), open_from(65002, 0), cfg());
  EXPECT_EQ(r.next.hold_time, 0);
  EXPECT_EQ(find(r, A::arm_hold)->seconds, 0u);
  EXPECT_EQ(find(r, A::arm_keepalive)->seconds, 0u);
  // A configured keepalive below hold/3 wins.
  auto c = cfg();
  c.keepalive = 5;
  r = step(in(state::open_sent), open_from(65002, 90), c);
  EXPECT_EQ(r.next.keepalive, 5);
}

TEST(fsm, wrong_peer_as_is_bad_peer_as) {
  const auto r = step(in(state::open_sent), open_from(65003, 90), cfg());
  EXPECT_EQ(r.next.st, state::idle);
  const auto* n = find(r, A::send_notification);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->notification.code, 2);
  EXPECT_EQ(n->notification.subcode, 2);
  EXPECT_NE(find(r, A::down)->reason.find("peer says AS 65003, configured 65002"), std::string::npos);
}

TEST(fsm, four_octet_peer_as_from_capability) {
  auto c = cfg();
  c.peer_as = 4200000001u;
  const auto r = step(in(state::open_sent), open_from(4200000001u, 90), c);
  EXPECT_EQ(r.next.st, state::open_confirm);
}

TEST(fsm, ibgp_same_router_id_is_bad_identifier) {
  auto c = cfg();
  c.peer_as = 65001;
  const auto r = step(in(state::open_sent), open_from(65001, 90, 0x01010101), c);
  EXPECT_EQ(find(r, A::send_notification)->notification.subcode, 3);
}

TEST(fsm, down_reasons_read_well) {
  auto r = step(in(state::established, 9, 3), ev(event_kind::hold_expired), cfg());
  EXPECT_EQ(find(r, A::send_notification)->notification.code, 4);
  EXPECT_NE(find(r, A::down)->reason.find("hold timer expired (9 s)"), std::string::npos);
  event n = ev(event_kind::notification_received);
  n.notification = notification_message::cease(2, "maintenance");
  r = step(in(state::established), n, cfg());
  EXPECT_EQ(find(r, A::down)->reason, "peer sent NOTIFICATION 6/2 administrative shutdown: maintenance");
  event bad = ev(event_kind::message_error);
  bad.error = decode_error{3, 1, {}, error_action::session_reset, "attribute type 14 appears more than once", {}};
  r = step(in(state::established), bad, cfg());
  EXPECT_EQ(find(r, A::send_notification)->notification.subcode, 1);
  EXPECT_NE(find(r, A::down)->reason.find("appears more than once"), std::string::npos);
}

TEST(fsm, stop_sends_the_given_cease) {
  event e = ev(event_kind::stop);
  e.notification = notification_message::cease(iana::cease_subcode::peer_deconfigured, "bye");
  const auto r = step(in(state::established), e, cfg());
  EXPECT_EQ(find(r, A::send_notification)->notification, e.notification);
  EXPECT_EQ(r.next.st, state::idle);
}

// RFC 4271 §6.8: a connection collision is an event of the FSM (incoming_open, the
// incoming connection's OPEN attached); which connection stays is decided here.
event incoming(std::uint32_t id) {
  event e = open_from(65002, 9, id);
  e.kind = event_kind::incoming_open;
  return e;
}

struct collision_row {
  const char* description;
  state from;
  std::uint32_t their_id;  // ours is 1.1.1.1
  state to;
  std::vector<action_kind> actions;
};

class collisions : public ::testing::TestWithParam<collision_row> {};

TEST_P(collisions, rfc4271_6_8) {
  const auto& r = GetParam();
  const auto got = step(in(r.from), incoming(r.their_id), cfg());
  EXPECT_EQ(got.next.st, r.to) << r.description;
  EXPECT_EQ(kinds(got), r.actions) << r.description;
  if (const auto* n = find(got, A::send_notification); n && r.to != state::idle) {
    EXPECT_EQ(n->notification.code, iana::error_code::cease) << r.description;
    EXPECT_EQ(n->notification.subcode, iana::cease_subcode::connection_collision_resolution) << r.description;
  }
}

// Taking the incoming connection over = Cease 7 on ours (when it is up), switch, our
// OPEN on the new one, then their OPEN as received in OpenSent.
const std::vector<action_kind> take_over_from_connect = {
    A::stop_connect_retry, A::arm_keepalive, A::take_incoming, A::send_open,
    A::stop_connect_retry, A::send_keepalive, A::arm_keepalive, A::arm_hold};
std::vector<action_kind> take_over_with_cease() {
  auto k = take_over_from_connect;
  k.insert(k.begin(), A::send_notification);
  return k;
}

INSTANTIATE_TEST_SUITE_P(
    table, collisions,
    ::testing::Values(
        collision_row{"connect: ours is not up, the incoming one is taken", state::connect, 0x00000001, state::open_confirm, take_over_from_connect},
        collision_row{"active: the incoming one is taken", state::active, 0x00000001, state::open_confirm, take_over_from_connect},
        collision_row{"open_sent, theirs higher: theirs wins", state::open_sent, 0x02020202, state::open_confirm, take_over_with_cease()},
        collision_row{"open_confirm, theirs higher: theirs wins", state::open_confirm, 0x02020202, state::open_confirm, take_over_with_cease()},
        collision_row{"open_sent, ours higher: the incoming one is closed", state::open_sent, 0x00000001, state::open_sent, {A::reject_incoming}},
        collision_row{"open_confirm, ours higher: the incoming one is closed", state::open_confirm, 0x00000001, state::open_confirm, {A::reject_incoming}},
        collision_row{"established always wins", state::established, 0x02020202, state::established, {A::reject_incoming}},
        collision_row{"idle: no session to go on with", state::idle, 0x02020202, state::idle, {A::reject_incoming}}),
    [](const auto& param_info) { return std::to_string(param_info.index); });

TEST(fsm, taken_over_session_negotiates_the_incoming_open) {
  const auto r = step(in(state::open_confirm, 90, 30), incoming(0x02020202), cfg());
  EXPECT_EQ(r.next.hold_time, 9);  // from the incoming connection's OPEN
  EXPECT_EQ(r.next.peer_open.bgp_id, 0x02020202u);
  // A bad OPEN on the incoming connection fails the session there.
  auto e = incoming(0x02020202);
  e.open.capabilities = {cap_four_octet_as{65009}};
  const auto bad = step(in(state::open_sent), e, cfg());
  EXPECT_EQ(bad.next.st, state::idle);
  EXPECT_EQ(kinds(bad).back(), A::down);
}

TEST(fsm, equal_identifiers_compare_the_as) {
  auto c = cfg();  // 1.1.1.1 in AS 65001
  open_message theirs;
  theirs.bgp_id = c.router_id;
  theirs.capabilities = {cap_four_octet_as{65002}};
  EXPECT_TRUE(incoming_wins(c, theirs));  // RFC 6286 §2.3: the larger AS
  theirs.capabilities = {cap_four_octet_as{65000}};
  EXPECT_FALSE(incoming_wins(c, theirs));
}

}  // namespace
}  // namespace bgp::fsm
