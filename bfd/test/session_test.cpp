// Two bfd::managers on loopback (ephemeral ports, one io_context): sessions come Up
// over IPv4 and IPv6, single hop and multihop, renegotiate with Poll/Final without a
// flap, go Down for the right reason, authenticate, and stay Up under a flood of
// malformed packets. Every wait is "until a condition holds" with a generous limit;
// no assertion depends on how fast the machine is.
#include <bfd/json.hpp>
#include <bfd/manager.hpp>
#include <bfd/metrics.hpp>

#include <boost/asio/ip/udp.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <random>

namespace {

using namespace bfd;
namespace asio = boost::asio;
using namespace std::chrono_literals;

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    io.run_for(2ms);
  }
  return true;
}

manager_config ephemeral() {
  manager_config c;
  c.single_hop_port = 0;
  c.multi_hop_port = 0;
  return c;
}

struct pair_bed {
  asio::io_context io;
  std::unique_ptr<manager> a = std::make_unique<manager>(io, ephemeral());
  std::unique_ptr<manager> b = std::make_unique<manager>(io, ephemeral());
  session_config ca, cb;
  std::vector<state_change> events_a, events_b;

  explicit pair_bed(bool v6 = false, hop_mode h = hop_mode::single_hop, profile p = fast()) {
    const auto lo = v6 ? asio::ip::make_address("::1") : asio::ip::make_address("127.0.0.1");
    ca.key = cb.key = session_key{lo, std::nullopt, {}, h};
    ca.timers = cb.timers = p;
    a->subscribe([this](const state_change& c) { events_a.push_back(c); });
    b->subscribe([this](const state_change& c) { events_b.push_back(c); });
  }

  static profile fast() {
    profile p;
    p.receive_interval_ms = p.transmit_interval_ms = 20;
    return p;
  }

  // B first (towards the discard port), so A can be pointed at B's port, then B at A's.
  void start() {
    cb.peer_port = 9;
    ASSERT_EQ(b->set_session(cb), "");
    ca.peer_port = b->local_port(cb.key.hops, cb.key.peer.is_v6());
    ASSERT_EQ(a->set_session(ca), "");
    cb.peer_port = a->local_port(ca.key.hops, ca.key.peer.is_v6());
    ASSERT_EQ(b->set_session(cb), "");
  }

  session_status sa() { return *a->status(ca.key); }
  session_status sb() { return *b->status(cb.key); }

  bool both(state s) { return sa().local_state == s && sb().local_state == s; }
  bool settled() { return both(state::up) && !sa().poll_in_progress && !sb().poll_in_progress; }
};

void expect_up_and_negotiated(pair_bed& t) {
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); })) << to_string(t.sa().local_state);
  const auto a = t.sa(), b = t.sb();
  EXPECT_EQ(a.remote_state, state::up);
  EXPECT_EQ(a.remote_discriminator, b.local_discriminator);
  EXPECT_EQ(b.remote_discriminator, a.local_discriminator);
  EXPECT_EQ(a.tx_interval_us, 20'000u);
  EXPECT_EQ(a.detection_time_us, 60'000u);
  EXPECT_EQ(a.counters.session_up_events, 1u);
  EXPECT_EQ(a.counters.session_down_events, 0u);
  EXPECT_GT(a.counters.control_packet_input, 0u);
  EXPECT_GT(a.counters.control_packet_output, 0u);
  EXPECT_FALSE(a.echo_active);
}

TEST(Session, UpOverIpv4) {
  pair_bed t;
  t.start();
  expect_up_and_negotiated(t);
  ASSERT_TRUE(run_until(t.io, [&] { return !t.events_a.empty() && t.events_a.back().to == state::up; }));
  EXPECT_EQ(t.events_a.back().diag, diagnostic::none);
}

TEST(Session, UpOverIpv6) {
  pair_bed t(true);
  t.start();
  expect_up_and_negotiated(t);
}

TEST(Session, MultihopUp) {
  pair_bed t(false, hop_mode::multi_hop);
  t.start();
  expect_up_and_negotiated(t);
  EXPECT_NE(t.a->local_port(hop_mode::multi_hop, false), 0);
  EXPECT_EQ(t.a->local_port(hop_mode::single_hop, false), 0);  // no socket it does not need
}

TEST(Session, ProfileChangeRenegotiatesWithoutFlap) {
  pair_bed t;
  t.start();
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); }));
  t.ca.timers.transmit_interval_ms = 40;
  t.ca.timers.receive_interval_ms = 30;
  t.ca.timers.detect_multiplier = 5;
  ASSERT_EQ(t.a->set_session(t.ca), "");
  EXPECT_TRUE(t.sa().poll_in_progress);
  ASSERT_TRUE(run_until(t.io, [&] { return !t.sa().poll_in_progress && t.sb().remote_desired_tx_us == 40'000; }));
  // Both directions in force: A sends every max(40, B's 20) ms; B waits 5 x 40 ms.
  EXPECT_EQ(t.sa().tx_interval_us, 40'000u);
  EXPECT_EQ(t.sa().detection_time_us, 3u * 30'000u);
  ASSERT_TRUE(run_until(t.io, [&] { return t.sb().detection_time_us == 200'000u; }));
  EXPECT_EQ(t.sb().tx_interval_us, 30'000u);  // B honours A's larger Required Min RX
  // Both sides change, again without a flap.
  t.cb.timers.transmit_interval_ms = 25;
  ASSERT_EQ(t.b->set_session(t.cb), "");
  ASSERT_TRUE(run_until(t.io, [&] { return !t.sb().poll_in_progress && t.sa().remote_desired_tx_us == 25'000; }));
  EXPECT_EQ(t.sa().counters.session_down_events, 0u);
  EXPECT_EQ(t.sb().counters.session_down_events, 0u);
  EXPECT_EQ(t.sa().local_state, state::up);
  EXPECT_EQ(t.sb().local_state, state::up);
}

TEST(Session, AdminDownAndUp) {
  pair_bed t;
  t.start();
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); }));
  ASSERT_TRUE(t.a->set_admin_down(t.ca.key, true));
  ASSERT_TRUE(run_until(t.io, [&] { return t.sb().local_state == state::down; }));
  EXPECT_EQ(t.sa().local_state, state::admin_down);
  EXPECT_EQ(t.sa().local_diag, diagnostic::administratively_down);
  EXPECT_EQ(t.sb().local_diag, diagnostic::neighbor_signaled_session_down);
  EXPECT_EQ(t.sb().remote_state, state::admin_down);
  ASSERT_TRUE(run_until(t.io, [&] { return !t.events_b.empty() && t.events_b.back().to == state::down; }));
  EXPECT_EQ(t.events_b.back().remote_state, state::admin_down);  // RFC 5882 §3.2: not a failure
  ASSERT_TRUE(t.a->set_admin_down(t.ca.key, false));
  ASSERT_TRUE(run_until(t.io, [&] { return t.both(state::up); }));
  EXPECT_EQ(t.sb().counters.session_up_events, 2u);
  EXPECT_EQ(t.sb().last_down_diag, diagnostic::neighbor_signaled_session_down);
}

TEST(Session, RemovalSignalsThePeer) {
  pair_bed t;
  t.start();
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); }));
  ASSERT_TRUE(t.a->remove_session(t.ca.key));
  EXPECT_FALSE(t.a->status(t.ca.key));
  EXPECT_FALSE(t.a->remove_session(t.ca.key));
  ASSERT_TRUE(run_until(t.io, [&] { return t.sb().local_state == state::down; }));
  EXPECT_EQ(t.sb().remote_state, state::admin_down);
}

TEST(Session, PeerGoneIsDetected) {
  pair_bed t;
  t.start();
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); }));
  t.a.reset();  // no AdminDown: as if the peer's link or process died
  ASSERT_TRUE(run_until(t.io, [&] { return t.sb().local_state == state::down; }));
  EXPECT_EQ(t.sb().local_diag, diagnostic::control_detection_time_expired);
  EXPECT_EQ(t.sb().last_down_diag, diagnostic::control_detection_time_expired);
  EXPECT_EQ(t.sb().remote_discriminator, 0u);
  ASSERT_TRUE(run_until(t.io, [&] { return !t.events_b.empty() && t.events_b.back().to == state::down; }));
  EXPECT_EQ(t.events_b.back().diag, diagnostic::control_detection_time_expired);
}

TEST(Session, PeerRestartComesBackUp) {
  pair_bed t;
  t.start();
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); }));
  const auto old_discr = t.sa().local_discriminator;
  const auto port = t.ca.peer_port;
  t.a = std::make_unique<manager>(t.io, ephemeral());
  t.ca.peer_port = port;
  ASSERT_EQ(t.a->set_session(t.ca), "");
  t.cb.peer_port = t.a->local_port(hop_mode::single_hop, false);
  ASSERT_EQ(t.b->set_session(t.cb), "");
  // B sees the new discriminator only after it has given up the old one.
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled() && t.sb().remote_discriminator != old_discr; }));
  EXPECT_GE(t.sb().counters.session_up_events, 2u);
}

TEST(Session, SharedSecretAuthenticates) {
  for (auto type : {auth_type::keyed_sha1, auth_type::meticulous_keyed_sha1}) {
    pair_bed t;
    t.ca.auth = t.cb.auth = authentication{type, 3, "bfd-secret"};
    t.start();
    expect_up_and_negotiated(t);
    EXPECT_EQ(t.sa().counters.dropped, 0u);
  }
}

TEST(Session, WrongKeyNeverComesUp) {
  pair_bed t;
  t.ca.auth = authentication{auth_type::keyed_sha1, 3, "one"};
  t.cb.auth = authentication{auth_type::keyed_sha1, 3, "two"};
  t.start();
  const auto digest = static_cast<std::size_t>(drop_reason::auth_digest);
  ASSERT_TRUE(run_until(t.io, [&] { return t.a->stats().drops[digest] >= 2 && t.b->stats().drops[digest] >= 2; }));
  EXPECT_EQ(t.sa().local_state, state::down);
  EXPECT_EQ(t.sb().local_state, state::down);
  EXPECT_GE(t.sa().counters.dropped, 2u);
}

TEST(Session, InvalidConfigIsRefused) {
  asio::io_context io;
  manager m(io, ephemeral());
  session_config c;
  c.key.peer = asio::ip::make_address("127.0.0.1");
  c.timers.detect_multiplier = 1;
  EXPECT_NE(m.set_session(c).find("detectMultiplier"), std::string::npos);
  c.timers.detect_multiplier = 3;
  c.key.local = asio::ip::make_address("::1");
  EXPECT_NE(m.set_session(c).find("family"), std::string::npos);
  c.key.local.reset();
  c.key.interface = "no-such-if0";
  EXPECT_NE(m.set_session(c).find("no interface"), std::string::npos);
  c.key.interface.clear();
  c.auth.type = auth_type::keyed_md5;
  c.auth.key = "k";
  EXPECT_NE(m.set_session(c).find("SHA1"), std::string::npos);
  EXPECT_TRUE(m.sessions().empty());
}

// A datagram sender with its own TTL (255: passes GTSM; lower: must be refused).
struct raw_sender {
  asio::ip::udp::socket s;
  asio::ip::udp::endpoint to;
  raw_sender(asio::io_context& io, std::uint16_t port, int ttl) : s(io, asio::ip::udp::v4()), to(asio::ip::make_address("127.0.0.1"), port) {
    setsockopt(s.native_handle(), IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
  }
  void send(const bytes& b) {
    boost::system::error_code ec;
    s.send_to(asio::buffer(b), to, 0, ec);
  }
};

bytes packet_to(std::uint32_t your, state st, std::uint32_t my = 0x4242) {
  control_packet p;
  p.sta = st;
  p.detect_mult = 3;
  p.my_discriminator = my;
  p.your_discriminator = your;
  p.desired_min_tx = p.required_min_rx = 20'000;
  return encode(p);
}

TEST(Session, MalformedFloodKeepsTheSessionUp) {
  pair_bed t;
  t.start();
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); }));
  const auto port = t.b->local_port(hop_mode::single_hop, false);
  raw_sender gtsm(t.io, port, 255), low_ttl(t.io, port, 64);
  const auto b_discr = t.sb().local_discriminator;
  auto good = packet_to(b_discr, state::up, t.sa().local_discriminator);
  std::mt19937 rng(7);
  std::vector<bytes> bad;
  bad.push_back({});
  bad.push_back({0x20, 0x40});
  auto with = [&](std::size_t at, std::uint8_t v) {
    auto b = good;
    b[at] = v;
    return b;
  };
  bad.push_back(with(0, 0x40));                          // version 2
  bad.push_back(with(3, 20));                            // Length too small
  bad.push_back(with(3, 60));                            // Length beyond payload
  bad.push_back(with(2, 0));                             // Detect Mult zero
  bad.push_back(with(1, 0xc1));                          // Multipoint
  bad.push_back(packet_to(b_discr, state::up, 0));       // My Discriminator zero
  bad.push_back(packet_to(0, state::up));                // Your Discriminator zero in Up
  bad.push_back(packet_to(b_discr ^ 1, state::up));      // no such session
  bad.push_back(with(1, 0xc4));                          // A bit, nothing behind it
  const std::size_t rounds = 300;
  for (std::size_t i = 0; i < rounds; ++i) {
    for (const auto& b : bad) gtsm.send(b);
    bytes junk(rng() % 80);
    for (auto& x : junk) x = static_cast<std::uint8_t>(rng());
    gtsm.send(junk);
    low_ttl.send(good);  // valid, from the peer's address, but TTL 64 (RFC 5881 §5)
    t.io.poll();
  }
  const auto& st = t.b->stats();
  auto drops = [&](drop_reason r) { return st.drops[static_cast<std::size_t>(r)]; };
  ASSERT_TRUE(run_until(t.io, [&] { return drops(drop_reason::ttl) >= rounds / 2; }));
  for (auto r : {drop_reason::truncated, drop_reason::bad_version, drop_reason::length_too_small,
                 drop_reason::length_exceeds_payload, drop_reason::zero_detect_mult, drop_reason::multipoint,
                 drop_reason::zero_my_discriminator, drop_reason::zero_your_discriminator,
                 drop_reason::unknown_discriminator})
    EXPECT_GT(drops(r), 0u) << to_string(r);
  // And the session never noticed.
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); }));
  EXPECT_EQ(t.sb().counters.session_down_events, 0u);
  EXPECT_EQ(t.sa().counters.session_down_events, 0u);
  EXPECT_GT(t.sb().counters.dropped, 0u);  // the TTL 64 copies, counted on the session
}

TEST(Session, MetricsUnderMetalLBsNames) {
  pair_bed t;
  t.start();
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); }));
  const auto s = t.sa();
  std::map<std::string_view, double> v;
  for (const auto& m : metrics) v[m.name] = m.value(s);
  EXPECT_EQ(v.size(), 8u);
  EXPECT_EQ(v["metallb_bfd_session_up"], 1.0);
  EXPECT_EQ(v["metallb_bfd_control_packet_input"], static_cast<double>(s.counters.control_packet_input));
  EXPECT_GT(v["metallb_bfd_control_packet_output"], 0.0);
  EXPECT_EQ(v["metallb_bfd_session_up_events"], 1.0);
  EXPECT_EQ(v["metallb_bfd_session_down_events"], 0.0);
  EXPECT_EQ(v["metallb_bfd_echo_packet_output"], 0.0);
  EXPECT_GE(v["metallb_bfd_zebra_notifications"], 1.0);  // Down -> (Init ->) Up
}

TEST(Session, StatusAsJson) {
  pair_bed t;
  t.start();
  ASSERT_TRUE(run_until(t.io, [&] { return t.settled(); }));
  const auto s = t.sa();
  const auto o = to_json(s, s.since + std::chrono::milliseconds(1500));
  EXPECT_EQ(o.at("peer").as_string(), "127.0.0.1");
  EXPECT_FALSE(o.contains("local"));
  EXPECT_EQ(o.at("hops").as_string(), "single-hop");
  EXPECT_EQ(o.at("state").as_string(), "Up");
  EXPECT_EQ(o.at("diag").as_string(), "no diagnostic");
  EXPECT_EQ(o.at("tx_interval_us").to_number<std::uint32_t>(), 20'000u);
  EXPECT_EQ(o.at("detection_time_us").to_number<std::uint32_t>(), 60'000u);
  EXPECT_EQ(o.at("profile").at("receive_interval_ms").to_number<std::uint32_t>(), 20u);
  EXPECT_EQ(o.at("profile").at("minimum_ttl").to_number<std::uint32_t>(), 254u);
  EXPECT_EQ(o.at("counters").at("up_events").to_number<std::uint64_t>(), 1u);
  EXPECT_DOUBLE_EQ(o.at("since_s").as_double(), 1.5);
  EXPECT_FALSE(o.at("echo_active").as_bool());
  const auto st = to_json(t.b->stats());
  EXPECT_TRUE(st.at("drops").as_object().empty());
  EXPECT_EQ(st.at("lateness_histogram_lt_100us_1ms_5ms_20ms_more").as_array().size(), 5u);
}

}  // namespace
