// Two speakers talking over loopback in one io_context: sessions, routes with their
// attributes, withdrawals, graceful shutdown, OPEN errors. No root, no namespaces.
#include <bgp/iana.hpp>
#include <bgp/speaker.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>

namespace bgp {
namespace {

using namespace std::chrono_literals;

template <class F>
bool run_until(boost::asio::io_context& io, F done, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    io.run_for(10ms);
  }
  return true;
}

struct pair_fixture : ::testing::Test {
  boost::asio::io_context io;
  const ip_address a_addr = ip_address::v4(0x7F000001);  // 127.0.0.1
  const ip_address b_addr = ip_address::v4(0x7F000002);  // 127.0.0.2
  std::unique_ptr<speaker> a, b;
  std::map<prefix, path_attributes> at_b;  // what B holds from A
  std::vector<std::string> b_downs;
  std::vector<path_attributes> b_updates;
  std::vector<std::string> b_log;  // "route P" / "end-of-rib F", as B receives them
  std::function<void(speaker&)> before_a_starts;

  void make(std::uint32_t a_as, std::uint32_t b_as, std::uint32_t b_expects_as = 0, std::uint16_t hold = 90) {
    speaker_config bc;
    bc.asn = b_as;
    bc.router_id = 0x02020202;
    bc.listen_address = b_addr;
    bc.listen_port = 0;
    b = std::make_unique<speaker>(io, bc);
    peer_config pa;
    pa.address = a_addr;
    pa.peer_as = b_expects_as ? b_expects_as : a_as;
    pa.passive = true;
    pa.hold_time = hold;
    b->set_peer(pa);
    b->subscribe([this](const speaker_event& e) {
      if (e.what == speaker_event::kind::peer_down) b_downs.push_back(e.reason);
      if (e.what != speaker_event::kind::routes_received) return;
      const update_message& u = *e.update;
      if (const auto f = u.end_of_rib()) b_log.push_back("end-of-rib " + to_string(*f));
      for (const auto& n : u.routes) b_log.push_back("route " + n.route.to_string());
      if (u.reach)
        for (const auto& n : u.reach->routes) b_log.push_back("route " + n.route.to_string());
      for (const auto& n : u.withdrawn) at_b.erase(n.route);
      if (u.unreach)
        for (const auto& n : u.unreach->routes) at_b.erase(n.route);
      path_attributes attrs = u.attrs;
      if (!u.routes.empty() || u.reach) b_updates.push_back(attrs);
      for (const auto& n : u.routes) at_b[n.route] = attrs;
      if (u.reach)
        for (const auto& n : u.reach->routes) {
          auto x = attrs;
          x.next_hop = u.reach->next_hops.at(0);
          at_b[n.route] = x;
        }
    });
    b->start();

    speaker_config ac;
    ac.asn = a_as;
    ac.router_id = 0x01010101;
    ac.shutdown_drain = 300ms;
    a = std::make_unique<speaker>(io, ac);
    peer_config pb;
    pb.address = b_addr;
    pb.port = b->listen_port();
    pb.peer_as = b_as;
    pb.local_address = a_addr;
    pb.connect_retry = 1;
    pb.hold_time = hold;
    a->set_peer(pb);
    if (before_a_starts) before_a_starts(*a);
    a->start();
  }
  bool established() {
    return run_until(io, [&] {
      return a->peers().at(0).state == peer_state::established && b->peers().at(0).state == peer_state::established;
    });
  }
};

route r(const char* p) {
  route x;
  x.destination = *prefix::parse(p);
  return x;
}

TEST_F(pair_fixture, ebgp_routes_arrive_with_their_attributes) {
  make(65001, 4200000002u);
  route v4 = r("10.1.0.1/32");
  v4.communities = {0xFDE90064};
  v4.large_communities = {{65001, 1, 2}};
  v4.med = 10;
  v4.local_pref = 300;  // iBGP only: must not appear toward an eBGP peer
  a->announce(v4);
  route v6 = r("2001:db8::1/128");
  v6.next_hop = ip_address::parse("2001:db8::ff");
  a->announce(v6);
  ASSERT_TRUE(established());
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 2; }));
  const auto& got = at_b.at(v4.destination);
  EXPECT_EQ(got.path, (as_path{{segment_type::as_sequence, {65001}}}));
  EXPECT_EQ(got.next_hop, a_addr);  // next hop self
  EXPECT_EQ(got.communities, v4.communities);
  EXPECT_EQ(got.large_communities, v4.large_communities);
  EXPECT_EQ(got.med, 10u);
  EXPECT_FALSE(got.local_pref);
  EXPECT_EQ(at_b.at(v6.destination).next_hop, *ip_address::parse("2001:db8::ff"));
  const auto st = a->peers().at(0);
  EXPECT_TRUE(st.four_octet_as);
  EXPECT_EQ(st.families, (std::vector<family>{ipv4_unicast, ipv6_unicast}));
  EXPECT_EQ(st.sent_prefixes, 2u);
  EXPECT_EQ(b->peers().at(0).counters.prefixes_announced, 2u);
  EXPECT_EQ(b->peers().at(0).received_prefixes, 0u);  // counted, not held (no keep_received)

  a->withdraw(v4.destination);
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 1; }));
  EXPECT_EQ(b->peers().at(0).counters.prefixes_withdrawn, 1u);
}

TEST_F(pair_fixture, ibgp_gets_local_pref_and_no_prepend) {
  make(65001, 65001);
  route x = r("10.1.0.2/32");
  a->announce(x);
  ASSERT_TRUE(established());
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 1; }));
  EXPECT_EQ(at_b.begin()->second.local_pref, 100u);
  EXPECT_EQ(at_b.begin()->second.path, as_path{});
}

TEST_F(pair_fixture, per_peer_routes_replace_and_fall_back_to_speaker_wide_ones) {
  make(65001, 65002);
  route wide = r("10.2.0.1/32");
  wide.communities = {0x00010001};
  a->announce(wide);
  route own = wide;
  own.communities = {0x00020002};
  a->announce_to(b_addr, own);                 // before Established: sent with the initial flush
  a->announce_to(b_addr, r("10.2.0.2/32"));
  a->announce_to(ip_address::v4(0x7F0000FE), r("10.2.0.3/32"));  // another peer's: never sent to B
  ASSERT_TRUE(established());
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 2; }));
  EXPECT_EQ(at_b.at(wide.destination).communities, own.communities);
  EXPECT_FALSE(at_b.contains(*prefix::parse("10.2.0.3/32")));

  a->withdraw_from(b_addr, own.destination);  // falls back to the speaker-wide route
  ASSERT_TRUE(run_until(io, [&] { return at_b.at(wide.destination).communities == wide.communities; }));
  a->withdraw_from(b_addr, *prefix::parse("10.2.0.2/32"));
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 1; }));
  a->announce_to(b_addr, own);
  a->withdraw(wide.destination);  // overridden toward B: B keeps the per-peer route
  a->announce_to(b_addr, r("10.2.0.4/32"));
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 2; }));
  EXPECT_EQ(at_b.at(wide.destination).communities, own.communities);
}

TEST_F(pair_fixture, ten_thousand_routes_in_few_updates) {
  make(65001, 65002);
  ASSERT_TRUE(established());
  for (std::uint32_t i = 0; i < 10000; ++i) {
    route x;
    x.destination = prefix::make(ip_address::v4(0x0A800000 + i), 32);
    a->announce(x);
  }
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 10000; }));
  EXPECT_LT(b_updates.size(), 20u);
  EXPECT_LT(a->peers().at(0).counters.updates_sent, 20u);
}

// RFC 4724 §4: the initial update (40,000 routes, several slices) ends with End-of-RIB for
// each family, after its last route; a ROUTE-REFRESH the peer sends as soon as it is
// Established is answered and does not lose it. (hostile_peer_test has the case where
// the refresh is answered in the middle of the initial update.)
TEST_F(pair_fixture, end_of_rib_follows_the_initial_update_even_with_a_refresh) {
  make(65001, 65002);
  std::size_t end_of_ribs = 0, routes_before_eor = 0, routes = 0;
  b->subscribe([&](const speaker_event& e) {
    if (e.what == speaker_event::kind::peer_state && e.state == peer_state::established)
      b->soft_reset_peer(a_addr, soft_reset_direction::in);  // ROUTE-REFRESH at once
    if (e.what != speaker_event::kind::routes_received) return;
    const update_message& u = *e.update;
    const bool eor = u.routes.empty() && u.withdrawn.empty() && !u.reach &&
                     (!u.unreach || u.unreach->routes.empty());
    if (eor) {
      if (end_of_ribs++ == 0) routes_before_eor = routes;
    }
    routes += u.routes.size();
  });
  for (std::uint32_t i = 0; i < 40000; ++i) {
    route x;
    x.destination = prefix::make(ip_address::v4(0x0AA00000 + i), 32);
    a->announce(x);
  }
  ASSERT_TRUE(established());
  ASSERT_TRUE(run_until(io, [&] { return end_of_ribs >= 2 && at_b.size() == 40000; }));
  EXPECT_EQ(end_of_ribs, 2u);  // IPv4 and IPv6
  EXPECT_GE(routes_before_eor, 40000u);
  EXPECT_EQ(a->peers().at(0).counters.route_refreshes_received, 2u);  // one per family
}

TEST_F(pair_fixture, graceful_shutdown_marks_routes_before_withdrawing) {
  make(65001, 65002);
  a->announce(r("10.1.0.3/32"));
  ASSERT_TRUE(established());
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 1; }));
  bool done = false;
  bool saw_gshut = false;
  a->shutdown("maintenance", [&] { done = true; });
  ASSERT_TRUE(run_until(io, [&] {
    if (!at_b.empty()) {
      const auto& c = at_b.begin()->second.communities;
      saw_gshut = saw_gshut || std::find(c.begin(), c.end(), iana::community::graceful_shutdown) != c.end();
    }
    return done;
  }));
  EXPECT_TRUE(saw_gshut);
  EXPECT_TRUE(at_b.empty());
  ASSERT_TRUE(run_until(io, [&] { return !b_downs.empty(); }));
  EXPECT_EQ(b_downs.at(0), "peer sent NOTIFICATION 6/2 administrative shutdown: maintenance");
}

TEST_F(pair_fixture, wrong_peer_as_is_refused_with_bad_peer_as) {
  make(65001, 65002, /*b_expects_as=*/65009);
  ASSERT_TRUE(run_until(io, [&] { return !a->peers().at(0).last_down_reason.empty(); }));
  EXPECT_EQ(a->peers().at(0).last_down_reason, "peer sent NOTIFICATION 2/2 OPEN message error: bad peer AS");
  EXPECT_NE(b->peers().at(0).last_down_reason.find("peer says AS 65001, configured 65009"), std::string::npos);
}

TEST_F(pair_fixture, keepalives_hold_a_short_session_up) {
  make(65001, 65002, 0, 3);
  ASSERT_TRUE(established());
  EXPECT_EQ(a->peers().at(0).hold_time, 3);
  EXPECT_EQ(a->peers().at(0).keepalive, 1);
  run_until(io, [] { return false; }, 4s);
  EXPECT_EQ(a->peers().at(0).state, peer_state::established);
  EXPECT_GE(b->peers().at(0).counters.keepalives_received, 3u);
}

TEST_F(pair_fixture, config_change_resets_only_when_needed) {
  make(65001, 65002);
  ASSERT_TRUE(established());
  auto cfg_b = a->peers().at(0);
  peer_config pb;
  pb.address = b_addr;
  pb.port = b->listen_port();
  pb.peer_as = 65002;
  pb.local_address = a_addr;
  pb.connect_retry = 1;
  pb.description = "tor-1";  // absorbed
  a->set_peer(pb);
  run_until(io, [] { return false; }, 200ms);
  EXPECT_EQ(a->peers().at(0).state, peer_state::established);
  EXPECT_EQ(a->peers().at(0).counters.established_transitions, 1u);
  EXPECT_EQ(a->peers().at(0).description, "tor-1");
}


// Issue 16 / RFC 4724 §4: the session comes up at once, the initial update and
// End-of-RIB wait until the owner says its routes are complete, and then carry every
// route announced meanwhile, End-of-RIB last.
TEST_F(pair_fixture, initial_update_and_end_of_rib_wait_until_the_routes_are_ready) {
  before_a_starts = [](speaker& s) { s.set_initial_routes_ready(false); };
  make(65001, 65002, 0, 3);
  a->announce(r("10.1.0.1/32"));
  ASSERT_TRUE(established());
  EXPECT_TRUE(a->peers().at(0).awaiting_initial_routes);
  a->announce(r("10.1.0.2/32"));
  route v6 = r("2001:db8::2/128");
  v6.next_hop = ip_address::parse("2001:db8::ff");
  a->announce(v6);
  io.run_for(std::chrono::milliseconds(3500));  // longer than the hold time: keepalives run
  EXPECT_EQ(a->peers().at(0).state, peer_state::established);
  EXPECT_EQ(b->peers().at(0).state, peer_state::established);
  EXPECT_TRUE(b_log.empty()) << b_log.front();  // no route, no End-of-RIB
  EXPECT_TRUE(a->adj_rib_out(b_addr, ipv4_unicast)->empty());

  a->set_initial_routes_ready(true);
  EXPECT_FALSE(a->peers().at(0).awaiting_initial_routes);
  ASSERT_TRUE(run_until(io, [&] { return b_log.size() == 5; })) << b_log.size() << " messages, the last " << b_log.back();
  const std::vector<std::string> routes(b_log.begin(), b_log.begin() + 3), eors(b_log.begin() + 3, b_log.end());
  EXPECT_EQ(std::set<std::string>(routes.begin(), routes.end()),
            (std::set<std::string>{"route 10.1.0.1/32", "route 10.1.0.2/32", "route 2001:db8::2/128"}));
  EXPECT_EQ(std::set<std::string>(eors.begin(), eors.end()),
            (std::set<std::string>{"end-of-rib ipv4-unicast", "end-of-rib ipv6-unicast"}));
  // From then on, changes go out as usual.
  a->announce(r("10.1.0.3/32"));
  ASSERT_TRUE(run_until(io, [&] { return b_log.size() == 6; }));
  EXPECT_EQ(b_log.back(), "route 10.1.0.3/32");
}

// B's limit is 5 prefixes; A announces 10.
struct max_prefixes_fixture : pair_fixture {
  void ten_routes_to_a_limit_of_five(bool keep_received) {
    make(65001, 65002);
    peer_config pa;
    pa.address = a_addr;
    pa.peer_as = 65001;
    pa.passive = true;
    pa.max_prefixes = 5;
    pa.keep_received = keep_received;  // the limit is on what is held
    b->set_peer(pa);  // a changed limit is absorbed by the live session
    ASSERT_TRUE(established());
    for (std::uint32_t i = 0; i < 10; ++i) {
      route x;
      x.destination = prefix::make(ip_address::v4(0x0A900000 + i), 32);
      a->announce(x);
    }
  }
};

TEST_F(max_prefixes_fixture, kept_routes_past_the_limit_end_the_session_with_cease_1) {
  ten_routes_to_a_limit_of_five(true);
  ASSERT_TRUE(run_until(io, [&] { return !a->peers().at(0).last_down_reason.empty(); }));
  EXPECT_EQ(a->peers().at(0).last_down_reason, "peer sent NOTIFICATION 6/1 maximum number of prefixes reached");
  EXPECT_EQ(b->peers().at(0).last_down_reason,
            "sent NOTIFICATION 6/1 maximum number of prefixes reached (more than 5 ipv4-unicast prefixes received)");
}

// Nothing received is held without keep_received, so there is nothing for the limit to
// protect: a peer that sends more keeps its session (and ours our routes).
TEST_F(max_prefixes_fixture, limits_only_what_is_kept) {
  ten_routes_to_a_limit_of_five(false);
  ASSERT_TRUE(run_until(io, [&] { return b->peers().at(0).counters.prefixes_announced == 10; }));
  io.run_for(100ms);
  EXPECT_EQ(b->peers().at(0).state, peer_state::established) << b->peers().at(0).last_down_reason;
  EXPECT_EQ(b->peers().at(0).received_prefixes, 0u);
}

TEST(peer_config, received_prefixes_limit_by_default) {
  EXPECT_EQ(peer_config{}.max_prefixes, default_max_received_prefixes);
  EXPECT_FALSE(peer_config{}.keep_received);
}

TEST_F(pair_fixture, adj_rib_in_keeps_received_routes_only_when_asked) {
  make(65001, 65002);
  route v4 = r("10.1.0.7/32");
  v4.communities = {0xFDE90007};
  route v6 = r("2001:db8::7/128");
  v6.next_hop = ip_address::parse("2001:db8::ff");
  a->announce(v4);
  a->announce(v6);
  ASSERT_TRUE(established());
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 2; }));
  EXPECT_TRUE(b->adj_rib_in(a_addr, ipv4_unicast)->empty());  // counted, not kept
  EXPECT_EQ(b->peers().at(0).received_prefixes, 0u);
  EXPECT_EQ(b->peers().at(0).counters.prefixes_announced, 2u);
  EXPECT_FALSE(b->adj_rib_in(ip_address::v4(0x7F000009), ipv4_unicast));  // no such peer

  peer_config pa;
  pa.address = a_addr;
  pa.peer_as = 65001;
  pa.passive = true;
  pa.keep_received = true;
  b->set_peer(pa);  // absorbed; B asks A for its routes again (ROUTE-REFRESH)
  const auto kept = [&](family f) { return b->adj_rib_in(a_addr, f)->size(); };
  ASSERT_TRUE(run_until(io, [&] { return kept(ipv4_unicast) == 1 && kept(ipv6_unicast) == 1; }));
  EXPECT_EQ(b->peers().at(0).counters.established_transitions, 1u);
  const auto in4 = b->adj_rib_in(a_addr, ipv4_unicast)->at(0);
  EXPECT_EQ(in4.destination.route, v4.destination);
  EXPECT_EQ(in4.attrs.communities, v4.communities);
  EXPECT_EQ(in4.attrs.path, (as_path{{segment_type::as_sequence, {65001}}}));
  EXPECT_EQ(in4.next_hops, std::vector<ip_address>{a_addr});
  const auto in6 = b->adj_rib_in(a_addr, ipv6_unicast)->at(0);
  EXPECT_EQ(in6.next_hops.at(0), *ip_address::parse("2001:db8::ff"));
  EXPECT_FALSE(in6.attrs.next_hop);  // MP routes carry theirs in MP_REACH_NLRI

  a->withdraw(v4.destination);
  ASSERT_TRUE(run_until(io, [&] { return kept(ipv4_unicast) == 0; }));
  EXPECT_EQ(kept(ipv6_unicast), 1u);
  EXPECT_EQ(b->peers().at(0).received_prefixes, 1u);
  pa.keep_received = false;
  b->set_peer(pa);  // what was held goes; the counters stay
  EXPECT_EQ(kept(ipv6_unicast), 0u);
  EXPECT_EQ(b->peers().at(0).received_prefixes, 0u);
  EXPECT_GE(b->peers().at(0).counters.prefixes_announced, 4u);  // twice each: refreshed
}

TEST(speaker_peers, an_asn_change_resets_only_that_peer) {
  boost::asio::io_context io;
  std::vector<std::unique_ptr<speaker>> routers;
  speaker_config ac;
  ac.asn = 65001;
  ac.router_id = 0x01010101;
  speaker a(io, ac);
  for (std::uint32_t k = 2; k <= 3; ++k) {
    speaker_config rc;
    rc.asn = 65000 + k;
    rc.router_id = 0x02020200 + k;
    rc.listen_address = ip_address::v4(0x7F000000 + k);
    rc.listen_port = 0;
    routers.push_back(std::make_unique<speaker>(io, rc));
    peer_config back;
    back.address = ip_address::v4(0x7F000001);
    back.peer_as = 65001;
    back.passive = true;
    routers.back()->set_peer(back);
    routers.back()->start();
    peer_config p;
    p.address = ip_address::v4(0x7F000000 + k);
    p.port = routers.back()->listen_port();
    p.peer_as = 65000 + k;
    p.local_address = ip_address::v4(0x7F000001);
    p.connect_retry = 1;
    a.set_peer(p);
  }
  a.start();
  auto up = [&] {
    for (const auto& s : a.peers())
      if (s.state != peer_state::established) return false;
    return true;
  };
  ASSERT_TRUE(run_until(io, up));
  // The peer at 127.0.0.3 now claims another AS: only that session goes down.
  peer_config changed;
  changed.address = ip_address::v4(0x7F000003);
  changed.port = routers[1]->listen_port();
  changed.peer_as = 65099;
  changed.local_address = ip_address::v4(0x7F000001);
  changed.connect_retry = 1;
  a.set_peer(changed);
  run_until(io, [] { return false; }, 300ms);
  const auto first = a.peer(ip_address::v4(0x7F000002));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->state, peer_state::established);
  EXPECT_EQ(first->counters.established_transitions, 1u);
  const auto second = a.peer(ip_address::v4(0x7F000003));
  ASSERT_TRUE(second);
  EXPECT_NE(second->state, peer_state::established);
}

// RFC 4271 §6.8: two speakers that both connect at once (neither passive) end up on one
// connection, the same one on both sides, within a few seconds; a lost collision used to
// leave both in OpenSent until the 240 s hold timer. The race depends on the order in
// which the connects and accepts complete, so it is run many times.
TEST(speaker_peers, simultaneous_open_settles_on_one_connection) {
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    boost::asio::io_context io;
    std::vector<std::unique_ptr<speaker>> s;
    for (std::uint32_t k = 1; k <= 2; ++k) {
      speaker_config c;
      c.asn = 65000 + k;
      c.router_id = 0x0A000000 + k;  // the second has the higher BGP Identifier
      c.listen_address = ip_address::v4(0x7F000000 + k);
      c.listen_port = 0;
      s.push_back(std::make_unique<speaker>(io, c));
      s.back()->start();
    }
    for (std::uint32_t k = 1; k <= 2; ++k) {
      const std::uint32_t other = 3 - k;
      peer_config p;
      p.address = ip_address::v4(0x7F000000 + other);
      p.port = s[other - 1]->listen_port();
      p.peer_as = 65000 + other;
      p.local_address = ip_address::v4(0x7F000000 + k);
      p.connect_retry = 1;
      s[k - 1]->set_peer(p);
    }
    const auto a_addr = ip_address::v4(0x7F000001), b_addr = ip_address::v4(0x7F000002);
    ASSERT_TRUE(run_until(io, [&] {
      return s[0]->peer(b_addr)->state == peer_state::established && s[1]->peer(a_addr)->state == peer_state::established;
    }, 5s)) << "A " << to_string(s[0]->peer(b_addr)->state) << ", B " << to_string(s[1]->peer(a_addr)->state);
    const auto a = s[0]->inspect_peer(b_addr), b = s[1]->inspect_peer(a_addr);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->local_port, b->remote_port);
    EXPECT_EQ(a->remote_port, b->local_port);
  }
}

}  // namespace
}  // namespace bgp
