// A hostile peer: a raw TCP socket on loopback that completes the OPEN exchange with a
// real bgp::speaker and then sends malformed messages. The speaker must answer with the
// NOTIFICATION RFC 4271 §6 / RFC 7606 prescribe, or keep the session for a
// treat-as-withdraw error, and never crash. A peer that stops reading
// (frozen_peer_fixture) must not stop the session's timers.
#include "hex.hpp"
#include "scripted_peer.hpp"

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>
#include <bgp/speaker.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

namespace bgp {
namespace {

using namespace std::chrono_literals;
using test::hostile_open;
using hostile_fixture = test::scripted_peer_fixture;

struct case_row {
  const char* description;
  std::string hex;  // whole message(s) sent once established
  std::uint8_t code, subcode;
};

class hostile_updates : public hostile_fixture, public ::testing::WithParamInterface<case_row> {};

TEST_P(hostile_updates, answered_with_the_rfc_notification) {
  const auto& row = GetParam();
  start_speaker();
  std::optional<notification_message> got;
  play([&] {
    if (!establish()) return;
    hostile.send(test::from_hex(row.hex));
    got = hostile.next_notification();
  });
  ASSERT_TRUE(got) << row.description << ": no NOTIFICATION";
  EXPECT_EQ(got->code, row.code) << row.description;
  EXPECT_EQ(got->subcode, row.subcode) << row.description;
  const auto st = spk->peers().at(0);
  EXPECT_NE(st.state, peer_state::established) << row.description;
  EXPECT_FALSE(st.last_down_reason.empty());
}

const std::string marker = "ffffffffffffffffffffffffffffffff";
const std::string base = "40010100" "40020602010000fde9" "4003047f000003";

INSTANTIATE_TEST_SUITE_P(
    table, hostile_updates,
    ::testing::Values(
        case_row{"bad marker", "00ffffffffffffffffffffffffffffff001304", 1, 1},
        case_row{"unknown message type", marker + "001307", 1, 3},
        case_row{"length above 4096 without extended messages", marker + "2000" "02", 1, 2},
        case_row{"MP_REACH_NLRI twice (RFC 7606 §3(g))",
                 test::to_hex(test::update("", base + "800e0900010104" "7f000003" "00" "800e0900010104" "7f000003" "00", "")), 3, 1},
        case_row{"NLRI prefix length 33", test::to_hex(test::update("", base, "210a00000001")), 3, 10},
        case_row{"unrecognized well-known attribute", test::to_hex(test::update("", base + "40630100", "200a000001")), 3, 2},
        case_row{"OPEN while Established (RFC 6608)", test::to_hex(encode(hostile_open(), {})), 5, 3},
        case_row{"ROUTE-REFRESH of 24 octets", marker + "0018050001000100", 7, 1}),
    [](const auto& param_info) { return std::to_string(param_info.index); });

TEST_F(hostile_fixture, bad_open_version_gets_2_1_with_our_version) {
  start_speaker();
  std::optional<notification_message> got;
  play([&] {
    if (!hostile.accept_one() || !hostile.read_message()) return;
    hostile.send(encode(hostile_open(3), {}));
    got = hostile.next_notification();
  });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->code, 2);
  EXPECT_EQ(got->subcode, 1);
  EXPECT_EQ(got->data, (bytes{0, 4}));
}

TEST_F(hostile_fixture, hold_time_one_second_is_unacceptable) {
  start_speaker();
  std::optional<notification_message> got;
  play([&] {
    if (!hostile.accept_one() || !hostile.read_message()) return;
    bytes open = encode(hostile_open(4, 90), {});
    open[22] = 0;  // hold time 1 s, patched past the encoder's checks
    open[23] = 1;
    hostile.send(open);
    got = hostile.next_notification();
  });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->code, 2);
  EXPECT_EQ(got->subcode, 6);
}

TEST_F(hostile_fixture, treat_as_withdraw_keeps_the_session) {
  start_speaker(90, 65002, true);
  std::optional<notification_message> got;
  play([&] {
    if (!establish()) return;
    hostile.send(test::update("", base, "200a000001" "200a000002"));
    // ORIGIN 3 is malformed (RFC 7606 §7.1): 10.0.0.1 is withdrawn, the session stays.
    hostile.send(test::update("", "40010103" "40020602010000fde9" "4003047f000003", "200a000001"));
    std::this_thread::sleep_for(500ms);
    hostile.send(encode(keepalive_message{}, {}));
    std::this_thread::sleep_for(500ms);
  });
  const auto st = spk->peers().at(0);
  EXPECT_EQ(st.state, peer_state::established) << st.last_down_reason;
  EXPECT_EQ(st.received_prefixes, 1u);
}

// RFC 4724 §4 with RFC 2918: OPEN, KEEPALIVE and ROUTE-REFRESH arrive in one segment, so
// the refresh is answered (every route, at once) before the first slice of the initial
// update has gone out. End-of-RIB must still follow, after every route.
TEST_F(hostile_fixture, end_of_rib_follows_a_refresh_answered_during_the_initial_update) {
  start_speaker();
  for (std::uint32_t i = 0; i < 40000; ++i) {
    route r;
    r.destination = prefix::make(ip_address::v4(0x0AB00000 + i), 32);
    spk->announce(r);
  }
  std::size_t routes = 0, routes_at_eor = 0;
  bool eor = false;
  play([&] {
    if (!hostile.accept_one() || !hostile.read_message()) return;
    bytes burst = encode(hostile_open(), {});
    encode(burst, keepalive_message{}, {});
    encode(burst, route_refresh_message{ipv4_unicast, iana::route_refresh_subtype::normal}, {});
    hostile.send(burst);
    while (auto m = hostile.read_message()) {
      const auto r = decode(*m, {});
      if (!r.msg) return;
      const auto* u = std::get_if<update_message>(&*r.msg);
      if (!u) continue;
      if (u->routes.empty() && u->withdrawn.empty() && !u->reach && !u->unreach) {
        eor = true;
        routes_at_eor = routes;
        return;
      }
      routes += u->routes.size();
    }
  });
  EXPECT_TRUE(eor) << routes << " routes, no End-of-RIB";
  EXPECT_EQ(routes_at_eor, 40000u);  // the answer replaced the initial update: each route once
}

TEST_F(hostile_fixture, garbage_then_close_is_a_clean_down) {
  start_speaker();
  play([&] {
    if (!establish()) return;
    hostile.send(test::from_hex(marker + "00"));  // half a header, then the connection goes
    std::this_thread::sleep_for(200ms);
    ::shutdown(hostile.conn, SHUT_RDWR);
  });
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (spk->peers().at(0).last_down_reason.empty() && std::chrono::steady_clock::now() < end) io.run_for(10ms);
  EXPECT_EQ(spk->peers().at(0).last_down_reason, "connection closed by peer");
}

// ---- A peer that stops reading (issue 18): the session's timers must not wait for
// our writes. Small socket buffers on the peer's side and routes that each have
// attributes of their own (one UPDATE a route), more than the kernel buffers of both
// ends hold, so that our writes block once the peer stops reading.

struct frozen_peer_fixture : hostile_fixture {
  frozen_peer_fixture() : hostile_fixture(4096) {}

  // Enough UPDATE octets to fill our send buffer (its ceiling, tcp_wmem) well past.
  static std::uint32_t more_than_the_buffers_hold() {
    std::size_t wmem_max = 4 << 20;
    if (FILE* f = std::fopen("/proc/sys/net/ipv4/tcp_wmem", "r")) {
      unsigned long lo = 0, def = 0, hi = 0;
      if (std::fscanf(f, "%lu %lu %lu", &lo, &def, &hi) == 3) wmem_max = hi;
      std::fclose(f);
    }
    return static_cast<std::uint32_t>(wmem_max * 2 / 50 + 10000);  // ~55 octets an UPDATE
  }
  void announce_unique(std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i) {
      route r;
      r.destination = prefix::make(ip_address::v4(0x0B000000 + i), 32);
      r.med = i;  // an attribute set of its own
      spk->announce(r);
    }
  }
};

// RFC 4271 §8.2.2: HoldTimer_Expires in any connected state. The peer completes the
// OPEN exchange, reads the first UPDATE, then neither reads nor sends: our writes of
// the initial update block, and the session must still go down when the hold time
// (3 s) has passed since the peer's last message.
TEST_F(frozen_peer_fixture, hold_timer_expires_while_a_write_is_blocked) {
  start_speaker(3);
  announce_unique(more_than_the_buffers_hold());
  std::atomic<bool> frozen{false};
  std::chrono::steady_clock::time_point frozen_at;
  std::atomic<bool> stop{false};
  std::thread t([&] {
    if (!establish(3)) return;
    while (auto m = hostile.read_message()) {  // until the first UPDATE
      const auto r = decode(*m, {});
      if (r.msg && std::holds_alternative<update_message>(*r.msg)) break;
    }
    frozen_at = std::chrono::steady_clock::now();
    frozen = true;
    while (!stop) std::this_thread::sleep_for(10ms);  // reads nothing, sends nothing
  });
  std::optional<std::chrono::steady_clock::time_point> down_at;
  std::string reason;
  spk->subscribe([&](const speaker_event& e) {
    if (e.what == speaker_event::kind::peer_down && !down_at) {
      down_at = std::chrono::steady_clock::now();
      reason = e.reason;
    }
  });
  const auto end = std::chrono::steady_clock::now() + 20s;
  while (!down_at && std::chrono::steady_clock::now() < end) io.run_for(10ms);
  stop = true;
  t.join();
  ASSERT_TRUE(frozen) << "the peer never saw an UPDATE";
  ASSERT_TRUE(down_at) << "still " << to_string(spk->peers().at(0).state) << " 20 s after the peer froze";
  EXPECT_EQ(reason.rfind("hold timer expired", 0), 0u) << reason;
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(*down_at - frozen_at);
  EXPECT_LE(after, 4000ms) << "hold time 3 s; down " << after.count() << " ms after the peer froze";
  EXPECT_NE(spk->peers().at(0).state, peer_state::established);
}

// The same peer reading slowly: every octet it gets is whole messages (a KEEPALIVE is
// never inside another message), KEEPALIVEs keep coming while the initial update is
// going out, and End-of-RIB follows the last route.
TEST_F(frozen_peer_fixture, keepalives_go_between_messages_of_a_long_initial_update) {
  start_speaker(3);
  // More than the kernel buffers hold, read at about 50,000 routes a second: the dump
  // lasts some 3 s, and KEEPALIVEs queued during it reach the peer before its end.
  announce_unique(more_than_the_buffers_hold());
  std::size_t routes = 0, keepalives_during_dump = 0, bad = 0;
  bool eor = false;
  std::thread t([&] {
    if (!establish(3)) return;
    bool dumping = false;
    const auto give_up = std::chrono::steady_clock::now() + 40s;
    while (std::chrono::steady_clock::now() < give_up) {
      auto m = hostile.read_message();
      if (!m) return;
      const auto r = decode(*m, {});
      if (!r.ok()) {
        ++bad;
        return;
      }
      if (std::holds_alternative<keepalive_message>(*r.msg)) {
        if (dumping) ++keepalives_during_dump;
        hostile.send(encode(keepalive_message{}, {}));  // we are alive, only slow
        continue;
      }
      const auto* u = std::get_if<update_message>(&*r.msg);
      if (!u) continue;
      if (u->end_of_rib()) {
        eor = true;
        return;
      }
      dumping = true;
      routes += u->routes.size();
      if (routes % 1000 == 0) std::this_thread::sleep_for(20ms);
    }
  });
  const auto end = std::chrono::steady_clock::now() + 45s;
  while (!eor && !bad && std::chrono::steady_clock::now() < end) {
    io.run_for(10ms);
    if (!spk->peers().at(0).last_down_reason.empty()) break;
  }
  ::shutdown(hostile.conn, SHUT_RDWR);
  t.join();
  EXPECT_EQ(bad, 0u) << "a message the peer got did not decode";
  EXPECT_TRUE(eor) << routes << " routes, no End-of-RIB; " << spk->peers().at(0).last_down_reason;
  EXPECT_GE(keepalives_during_dump, 1u) << "KEEPALIVEs while the initial update was going out";
}

}  // namespace
}  // namespace bgp
