// The agent carrying a plan to a real BGP session on loopback (a bgp::speaker stands in
// for the router).
#include <gtest/gtest.h>

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
    router->set_peer(node);
    router->subscribe([this](const bgp::speaker_event& e) {
      if (e.what != bgp::speaker_event::kind::routes_received) return;
      for (const auto& n : e.update->withdrawn) at_router.erase(n.route);
      for (const auto& n : e.update->routes) at_router[n.route] = e.update->attrs;
    });
    router->start();
  }
};

TEST_F(agent_fixture, plan_changes_reach_the_router_and_sessions_are_reported) {
  make_router();
  speaker::agent_options ao;
  ao.router_id = model::ip_address::parse("192.0.2.1");
  speaker::agent a(io, ao);
  std::vector<std::string> sent;
  a.subscribe([&](const std::string& peer, const bgp::speaker_event& e) {
    if (e.what == bgp::speaker_event::kind::routes_sent) sent.push_back(peer);
  });
  speaker::peer_plan p;
  p.name = "tor";
  p.my_asn = 64512;
  p.peer_asn = 64513;
  p.address = *model::ip_address::parse("127.0.0.4");
  p.port = router->listen_port();
  p.source_address = model::ip_address::parse("127.0.0.5");
  p.hold_time = std::chrono::seconds(9);
  p.connect_time = std::chrono::seconds(1);
  speaker::route_plan attrs;
  attrs.communities = {0xFDE80001};
  a.apply({{"tor", *model::cidr::parse("10.0.0.5/32"), attrs}});  // before the peer exists: kept
  a.set_peers({p});
  ASSERT_TRUE(run_until([&] { return at_router.size() == 1; }));
  EXPECT_EQ(at_router.begin()->second.communities, std::vector<std::uint32_t>{0xFDE80001});
  a.apply({{"tor", *model::cidr::parse("10.0.0.5/32"), std::nullopt}, {"tor", *model::cidr::parse("10.0.0.6/32"), attrs}});
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

}  // namespace
