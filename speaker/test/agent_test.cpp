// The agent carrying a plan to a real BGP session on loopback (a bgp::speaker stands in
// for the router; a second bfd::manager for the router's bfdd).
#include <gtest/gtest.h>

#include <cstdio>

#include "speaker/agent.hpp"

namespace {

TEST(agent, link_bandwidth_and_attributes_convert_to_a_bgp_route) {
  speaker::route_plan r;
  r.communities = {0x00010002};
  r.large_communities = {{1, 2, 3}};
  r.local_pref = 200;
  r.link_bandwidth_endpoints = 2;
  const auto route = speaker::to_route(*model::cidr::parse("10.0.0.5/32"), r, 4200000000u);
  EXPECT_EQ(route.destination.to_string(), "10.0.0.5/32");
  EXPECT_EQ(route.communities, std::vector<std::uint32_t>{0x00010002});
  EXPECT_EQ(route.local_pref, 200u);
  ASSERT_EQ(route.extended_communities.size(), 1u);
  // 0x40 0x04, AS_TRANS for a four-octet AS, 250,000,000 bytes/s = 0x4D6E6B28 as a float.
  EXPECT_EQ(route.extended_communities[0], 0x40045BA04D6E6B28ULL);
}

struct agent_fixture : ::testing::Test {
  boost::asio::io_context io;
  std::unique_ptr<bgp::speaker> router;
  std::map<bgp::prefix, bgp::path_attributes> at_router;

  template <class F>
  bool run_until(F done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < end) io.run_for(std::chrono::milliseconds(10));
    return done();
  }

  void make_router() {
    bgp::speaker_config rc;
    rc.asn = 64513;
    rc.router_id = 0x0A0A0A0A;
    rc.listen_address = bgp::ip_address::parse("127.0.0.4");
    rc.listen_port = 0;
    router = std::make_unique<bgp::speaker>(io, rc);
    bgp::peer_config node;
    node.address = *bgp::ip_address::parse("127.0.0.5");
    node.peer_as = 64512;
    node.passive = true;
    node.keep_received = true;  // received_prefixes counts what is held
    router->set_peer(node);
    router->subscribe([this](const bgp::speaker_event& e) {
      if (e.what != bgp::speaker_event::kind::routes_received) return;
      for (const auto& n : e.update->withdrawn) at_router.erase(n.route);
      for (const auto& n : e.update->routes) at_router[n.route] = e.update->attrs;
    });
    router->start();
  }

  // The node (127.0.0.5) peering with the router.
  speaker::peer_plan tor_plan() const {
    speaker::peer_plan p;
    p.name = "tor";
    p.my_asn = 64512;
    p.peer_asn = 64513;
    p.address = *model::ip_address::parse("127.0.0.4");
    p.port = router->listen_port();
    p.source_address = model::ip_address::parse("127.0.0.5");
    p.hold_time = std::chrono::seconds(9);
    p.connect_time = std::chrono::seconds(1);
    return p;
  }
};

TEST_F(agent_fixture, plan_changes_reach_the_router_and_sessions_are_reported) {
  make_router();
  speaker::agent_options ao;
  ao.router_id = model::ip_address::parse("192.0.2.1");
  speaker::route_table routes;  // the plan's table, which the agent reads
  speaker::agent a(io, ao, routes);
  // As the planner does: the table first, then the changes that made it.
  auto apply = [&](const std::vector<speaker::route_change>& changes) {
    for (const auto& c : changes) {
      auto& table = routes[c.peer];
      if (c.route) table[c.prefix] = *c.route;
      else table.erase(c.prefix);
    }
    a.apply(changes);
  };
  std::vector<std::string> sent;
  a.subscribe([&](const std::string& peer, const bgp::speaker_event& e) {
    if (e.what == bgp::speaker_event::kind::routes_sent) sent.push_back(peer);
  });
  speaker::peer_plan p = tor_plan();
  speaker::route_plan attrs;
  attrs.communities = {0xFDE80001};
  apply({{"tor", *model::cidr::parse("10.0.0.5/32"), attrs}});  // before the peer exists: announced when it comes
  a.set_peers({p});
  ASSERT_TRUE(run_until([&] { return at_router.size() == 1; }));
  EXPECT_EQ(at_router.begin()->second.communities, std::vector<std::uint32_t>{0xFDE80001});
  apply({{"tor", *model::cidr::parse("10.0.0.5/32"), std::nullopt}, {"tor", *model::cidr::parse("10.0.0.6/32"), attrs}});
  ASSERT_TRUE(run_until([&] { return at_router.size() == 1 && at_router.contains(*bgp::prefix::parse("10.0.0.6/32")); }));
  EXPECT_FALSE(sent.empty());
  const auto s = a.sessions();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].name, "tor");
  EXPECT_EQ(s[0].status.state, bgp::peer_state::established);
  EXPECT_EQ(s[0].desired_prefixes, 1u);

  // A new hold time resets the session; the routes come back on the new one.
  p.hold_time = std::chrono::seconds(12);
  a.set_peers({p});
  ASSERT_TRUE(run_until([&] {
    auto v = a.sessions();
    return v.size() == 1 && v[0].status.state == bgp::peer_state::established && v[0].status.hold_time == 12;
  }));
  ASSERT_TRUE(run_until([&] { return at_router.size() == 1; }));
  a.set_peers({});
  EXPECT_TRUE(a.sessions().empty());
}

// ---- BFD tied to the BGP session ----

// The router's BFD side: a bfd::manager on 127.0.0.4 facing the node at 127.0.0.5, on a
// port of its own that survives a restart (so the agent's session can find it again).
struct bfd_fixture : agent_fixture {
  std::unique_ptr<bfd::manager> router_bfd;
  bfd::session_config rc;
  std::uint16_t router_bfd_port = 0;  // 0 until the first start picks one
  speaker::route_table routes;  // the plan's table, which the agent reads
  std::unique_ptr<speaker::agent> a;
  speaker::peer_plan p;
  std::vector<speaker::bfd_event> events;

  // Detection time 5 x the interval: a shared, busy machine stalls a process for a
  // hundred milliseconds now and then, and a test that wants no flap must not see one.
  static bfd::profile fast(std::uint32_t ms) {
    bfd::profile t;
    t.receive_interval_ms = t.transmit_interval_ms = ms;
    t.detect_multiplier = 5;
    return t;
  }

  // Starts (or restarts) the router's BFD; `agent_port` 0: not known yet (discard port).
  void start_router_bfd(std::uint16_t agent_port) {
    bfd::manager_config mc;
    mc.single_hop_port = router_bfd_port;
    mc.multi_hop_port = 0;
    router_bfd = std::make_unique<bfd::manager>(io, mc);
    rc.key = {boost::asio::ip::make_address("127.0.0.5"), boost::asio::ip::make_address("127.0.0.4"), "",
              bfd::hop_mode::single_hop};
    rc.timers = fast(100);
    rc.peer_port = agent_port ? agent_port : 9;
    ASSERT_EQ(router_bfd->set_session(rc), "");
    router_bfd_port = router_bfd->local_port(bfd::hop_mode::single_hop, false);
  }

  void start() {
    make_router();
    start_router_bfd(0);
    speaker::agent_options ao;
    ao.router_id = model::ip_address::parse("192.0.2.1");
    ao.bfd.single_hop_port = 0;
    ao.bfd.multi_hop_port = 0;
    ao.bfd_peer_port = router_bfd_port;
    ao.shutdown_drain = std::chrono::milliseconds(100);
    a = std::make_unique<speaker::agent>(io, ao, routes);
    a->subscribe_bfd([this](const speaker::bfd_event& e) {
      // Taken down at once: by the time the event is out, the session is no longer up.
      if (e.bgp_down) {
        EXPECT_NE(bgp_state(), bgp::peer_state::established);
      }
      events.push_back(e);
    });
    p = tor_plan();
    // A back-off (30 s × 0.75–1.25) longer than any wait here: the session must come
    // back because BFD came Up, not because the back-off ran out.
    p.connect_time = std::chrono::seconds(30);
    p.bfd = speaker::bfd_plan{"fast", fast(100)};
    routes["tor"][*model::cidr::parse("10.0.0.5/32")] = speaker::route_plan{};
    a->apply({{"tor", *model::cidr::parse("10.0.0.5/32"), speaker::route_plan{}}});
    a->set_peers({p});
    rc.peer_port = a->bfd().local_port(bfd::hop_mode::single_hop, false);
    ASSERT_NE(rc.peer_port, 0);
    ASSERT_EQ(router_bfd->set_session(rc), "");
  }

  bgp::peer_state bgp_state() const {
    auto v = a->sessions();
    return v.empty() ? bgp::peer_state::idle : v[0].status.state;
  }
  std::uint64_t established_count() const { return a->sessions().at(0).status.counters.established_transitions; }
  bfd::session_status node_bfd() const { return a->bfd().sessions().at(0); }
  bool router_has_route() const {
    auto st = router->peer(*bgp::ip_address::parse("127.0.0.5"));
    return st && st->state == bgp::peer_state::established && st->received_prefixes == 1;
  }
  bool all_up() {
    return bgp_state() == bgp::peer_state::established && node_bfd().local_state == bfd::state::up &&
           !node_bfd().poll_in_progress && router_has_route();
  }
  template <class F>
  bool holds_for(std::chrono::steady_clock::duration d, F cond) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
      if (!cond()) return false;
      io.run_for(std::chrono::milliseconds(10));
    }
    return cond();
  }
  bool any_bgp_down_event() const {
    return std::any_of(events.begin(), events.end(), [](const auto& e) { return e.bgp_down; });
  }
};

TEST_F(bfd_fixture, bfd_down_takes_bgp_down_until_bfd_is_up_again) {
  start();
  ASSERT_TRUE(run_until([&] { return all_up(); }));
  EXPECT_EQ(node_bfd().tx_interval_us, 100'000u);
  EXPECT_EQ(a->bfd_peer(node_bfd().config.key), "tor");

  // The router's BFD goes silent (as when the link is cut): detection time expires and
  // the BGP session goes down with it, then stays down.
  events.clear();
  const auto cut = std::chrono::steady_clock::now();
  router_bfd.reset();
  ASSERT_TRUE(run_until([&] { return any_bgp_down_event(); }));
  const auto took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - cut).count();
  std::printf("BFD silence to BGP down: %.1f ms (detection time 500 ms)\n", took);
  const auto& down = *std::find_if(events.begin(), events.end(), [](const auto& e) { return e.bgp_down; });
  EXPECT_EQ(down.peer, "tor");
  EXPECT_EQ(down.change->from, bfd::state::up);
  EXPECT_EQ(down.change->diag, bfd::diagnostic::control_detection_time_expired);
  EXPECT_TRUE(a->bfd_holds_down("tor"));
  ASSERT_TRUE(run_until([&] { return !router_has_route(); }));
  EXPECT_NE(a->sessions().at(0).status.last_down_reason.find("BFD session down: control detection time expired"),
            std::string::npos)
      << a->sessions().at(0).status.last_down_reason;
  EXPECT_NE(router->peer(*bgp::ip_address::parse("127.0.0.5"))->last_down_reason.find("6/10 BFD down"), std::string::npos)
      << router->peer(*bgp::ip_address::parse("127.0.0.5"))->last_down_reason;
  // Held: no new BGP session while BFD is down.
  EXPECT_TRUE(holds_for(std::chrono::seconds(2), [&] { return bgp_state() != bgp::peer_state::established; }));

  // BFD back (the router's bfdd restarts on the same port): BGP comes back with the route
  // at once, without waiting out the back-off.
  const auto before = established_count();
  start_router_bfd(a->bfd().local_port(bfd::hop_mode::single_hop, false));
  ASSERT_TRUE(run_until([&] { return all_up(); }));
  EXPECT_EQ(established_count(), before + 1);
  EXPECT_FALSE(a->bfd_holds_down("tor"));
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& e) { return e.bgp_released; }));
}

TEST_F(bfd_fixture, profile_change_renegotiates_without_a_flap) {
  start();
  ASSERT_TRUE(run_until([&] { return all_up(); }));
  const auto before = established_count();
  p.bfd->timers = fast(150);
  a->set_peers({p});
  ASSERT_TRUE(run_until([&] { return all_up() && node_bfd().tx_interval_us == 150'000u; }));
  EXPECT_EQ(node_bfd().desired_min_tx_us, 150'000u);
  EXPECT_EQ(node_bfd().required_min_rx_us, 150'000u);
  EXPECT_EQ(node_bfd().counters.session_down_events, 0u);
  EXPECT_EQ(established_count(), before);
  EXPECT_FALSE(any_bgp_down_event());
}

TEST_F(bfd_fixture, peer_admin_down_leaves_bgp_up_and_removal_sends_admin_down) {
  start();
  ASSERT_TRUE(run_until([&] { return all_up(); }));
  const auto before = established_count();
  // RFC 5882 §3.2: the router turned BFD off; that says nothing about the path.
  events.clear();
  ASSERT_TRUE(router_bfd->set_admin_down(rc.key, true));
  ASSERT_TRUE(run_until([&] { return node_bfd().local_state == bfd::state::down; }));
  ASSERT_TRUE(run_until([&] { return !events.empty(); }));
  EXPECT_EQ(events.back().change->remote_state, bfd::state::admin_down);
  EXPECT_FALSE(any_bgp_down_event());
  EXPECT_FALSE(a->bfd_holds_down("tor"));
  EXPECT_EQ(bgp_state(), bgp::peer_state::established);
  ASSERT_TRUE(router_bfd->set_admin_down(rc.key, false));
  ASSERT_TRUE(run_until([&] { return all_up(); }));

  // The profile goes from the BGPPeer: the session is removed with AdminDown, BGP stays.
  p.bfd.reset();
  a->set_peers({p});
  EXPECT_TRUE(a->bfd().sessions().empty());
  ASSERT_TRUE(run_until([&] { return router_bfd->status(rc.key)->remote_state == bfd::state::admin_down; }));
  EXPECT_EQ(bgp_state(), bgp::peer_state::established);
  EXPECT_EQ(established_count(), before);
}

TEST_F(bfd_fixture, router_turning_bfd_off_during_an_outage_releases_bgp) {
  start();
  ASSERT_TRUE(run_until([&] { return all_up(); }));
  router_bfd.reset();
  ASSERT_TRUE(run_until([&] { return a->bfd_holds_down("tor"); }));
  // Until the router has seen the NOTIFICATION it still counts the old session's route:
  // wait for that, or the route found below would be the old one.
  ASSERT_TRUE(run_until([&] { return !router_has_route(); }));
  // The router comes back with BFD administratively down: our session stays Down (no
  // state change), yet that is no failure of the path (RFC 5882 §3.2).
  events.clear();
  start_router_bfd(a->bfd().local_port(bfd::hop_mode::single_hop, false));
  ASSERT_TRUE(router_bfd->set_admin_down(rc.key, true));
  ASSERT_TRUE(run_until([&] { return router_has_route(); }));
  EXPECT_FALSE(a->bfd_holds_down("tor"));
  EXPECT_NE(node_bfd().local_state, bfd::state::up);
  EXPECT_EQ(node_bfd().remote_state, bfd::state::admin_down);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back().bgp_released);
}

TEST_F(bfd_fixture, shutdown_closes_bgp_then_says_admin_down) {
  start();
  ASSERT_TRUE(run_until([&] { return all_up(); }));
  bool done = false;
  a->shutdown("maintenance", [&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_TRUE(a->bfd().sessions().empty());
  ASSERT_TRUE(run_until([&] { return router_bfd->status(rc.key)->remote_state == bfd::state::admin_down; }));
  EXPECT_EQ(router_bfd->status(rc.key)->remote_diag, bfd::diagnostic::administratively_down);
  EXPECT_NE(router->peer(*bgp::ip_address::parse("127.0.0.5"))->last_down_reason.find("6/2"), std::string::npos)
      << router->peer(*bgp::ip_address::parse("127.0.0.5"))->last_down_reason;
  EXPECT_FALSE(any_bgp_down_event());
}

}  // namespace
