// Planner table tests: each MetalLB announce rule (metallb-semantics §3) and Calico's
// service-range rules, named; then the incremental planner against the reference plan().
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <set>
#include <tuple>

#include "model/decode.hpp"
#include "model/validate.hpp"
#include "speaker/plan.hpp"

namespace {

using model::assignments;
using speaker::node_plan;

std::string pool(const std::string& name, const std::string& addresses, const std::string& meta = "") {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name + (meta.empty() ? "" : ", ") +
         meta + "}\nspec: {addresses: " + addresses + "}\n---\n";
}
std::string peer(const std::string& name, const std::string& address, const std::string& extra = "") {
  return "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: " + name +
         "}\nspec: {myASN: 64512, peerASN: 64513, peerAddress: " + address + (extra.empty() ? "" : ", ") + extra +
         "}\n---\n";
}
std::string advert(const std::string& name, const std::string& spec = "", const std::string& meta = "") {
  return "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: " + name +
         (meta.empty() ? "" : ", ") + meta + "}\nspec: {" + spec + "}\n---\n";
}
std::string node(const std::string& name, const std::string& labels = "{}", const std::string& status = "{}") {
  return "apiVersion: v1\nkind: Node\nmetadata: {name: " + name + ", labels: " + labels + "}\nstatus: " + status +
         "\n---\n";
}
std::string service(const std::string& name, const std::string& spec = "", const std::string& meta = "") {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: default" +
         (meta.empty() ? "" : ", ") + meta + "}\nspec: {type: LoadBalancer, clusterIP: 10.96.0.10, ports: [{port: 80}]" +
         (spec.empty() ? "" : ", ") + spec + "}\n---\n";
}
// `endpoints`: "node1:ready node2:notready node3:serving" (serving = terminating, serving).
std::string slice(const std::string& svc, const std::string& endpoints, const std::string& name = "") {
  std::string eps;
  int i = 0;
  std::size_t b = 0;
  while (b < endpoints.size()) {
    auto e = endpoints.find(' ', b);
    const auto item = endpoints.substr(b, e == std::string::npos ? std::string::npos : e - b);
    b = e == std::string::npos ? endpoints.size() : e + 1;
    const auto colon = item.find(':');
    const auto n = item.substr(0, colon);
    const auto state = item.substr(colon + 1);
    std::string cond = state == "ready"      ? "{ready: true}"
                       : state == "notready" ? "{ready: false, serving: false}"
                                             : "{ready: false, serving: true, terminating: true}";
    eps += (eps.empty() ? "" : ", ") + std::string("{addresses: [10.244.0.") + std::to_string(++i) +
           "], nodeName: " + n + ", conditions: " + cond + "}";
  }
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " + (name.empty() ? svc + "-x" : name) +
         ", namespace: default, labels: {kubernetes.io/service-name: " + svc +
         "}}\naddressType: IPv4\nendpoints: [" + eps + "]\n---\n";
}

std::shared_ptr<const model::snapshot> snap(const std::string& manifests) {
  auto d = model::decode("test.yaml", manifests);
  EXPECT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  auto s = std::make_shared<const model::snapshot>(std::move(d.objects));
  const auto errs = model::validate(*s);
  EXPECT_TRUE(errs.empty()) << model::to_string(errs);
  return s;
}

assignments ips(std::initializer_list<std::pair<const char*, const char*>> l) {
  std::map<model::name_key, std::vector<model::ip_address>> a;
  for (const auto& [name, ip] : l) a[{"default", name}].push_back(*model::ip_address::parse(ip));
  return assignments(a);
}

// "peer prefix [communities] [lp]" lines, to compare whole plans at a glance.
std::vector<std::string> routes(const node_plan& p) {
  std::vector<std::string> out;
  for (const auto& [peer, table] : p.routes)
    for (const auto& [prefix, r] : table) {
      std::string line = peer + " " + prefix.to_string();
      for (auto c : r.communities) line += " " + speaker::community_string(c);
      for (const auto& l : r.large_communities) line += " large:" + speaker::to_string(l);
      if (r.local_pref) line += " lp=" + std::to_string(*r.local_pref);
      if (r.link_bandwidth_endpoints) line += " weight=" + std::to_string(*r.link_bandwidth_endpoints);
      out.push_back(line);
    }
  return out;
}
std::vector<std::string> reasons(const node_plan& p) {
  std::vector<std::string> out;
  for (const auto& w : p.withheld) out.push_back(w.name + " " + w.ip.to_string() + ": " + w.reason);
  return out;
}

const std::string base = pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1") + advert("adv") + node("n1") +
                         node("n2");

using lines = std::vector<std::string>;

TEST(plan, cluster_policy_announces_from_every_node_while_any_endpoint_is_ready) {
  auto s = snap(base + service("web") + slice("web", "n2:ready"));
  const auto a = ips({{"web", "10.0.0.5"}});
  EXPECT_EQ(routes(speaker::plan(*s, a, "n1")), lines{"tor 10.0.0.5/32"});
  EXPECT_EQ(routes(speaker::plan(*s, a, "n2")), lines{"tor 10.0.0.5/32"});
  auto none = snap(base + service("web") + slice("web", "n2:notready"));
  EXPECT_EQ(reasons(speaker::plan(*none, a, "n1")), lines{"web 10.0.0.5: no ready endpoint on any node"});
}

TEST(plan, rule6_local_policy_announces_only_where_a_local_endpoint_is_ready) {
  auto s = snap(base + service("web", "externalTrafficPolicy: Local") + slice("web", "n2:ready n1:notready"));
  const auto a = ips({{"web", "10.0.0.5"}});
  EXPECT_EQ(routes(speaker::plan(*s, a, "n2")), lines{"tor 10.0.0.5/32"});
  const auto p1 = speaker::plan(*s, a, "n1");
  EXPECT_TRUE(p1.routes.empty());
  EXPECT_EQ(reasons(p1), lines{"web 10.0.0.5: no ready endpoint on node n1"});
}

TEST(plan, rule6_terminating_but_serving_endpoint_keeps_the_route) {
  auto s = snap(base + service("web", "externalTrafficPolicy: Local") + slice("web", "n1:serving"));
  EXPECT_EQ(routes(speaker::plan(*s, ips({{"web", "10.0.0.5"}}), "n1")), lines{"tor 10.0.0.5/32"});
}

TEST(plan, rule6_endpoint_with_unset_ready_counts) {
  auto s = snap(base + service("web", "externalTrafficPolicy: Local") +
                "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: w, namespace: default, labels: "
                "{kubernetes.io/service-name: web}}\naddressType: IPv4\nendpoints: [{addresses: [10.244.0.9], nodeName: n1}]\n");
  EXPECT_EQ(routes(speaker::plan(*s, ips({{"web", "10.0.0.5"}}), "n1")), lines{"tor 10.0.0.5/32"});
}

TEST(plan, rule5_excluded_node_announces_nothing) {
  auto s = snap(pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1") + advert("adv") +
                node("n1", "{node.kubernetes.io/exclude-from-external-load-balancers: ''}") + service("web") +
                slice("web", "n1:ready"));
  const auto p = speaker::plan(*s, ips({{"web", "10.0.0.5"}}), "n1");
  EXPECT_TRUE(p.routes.empty());
  EXPECT_EQ(reasons(p), lines{"web 10.0.0.5: node n1 is excluded by label "
                              "node.kubernetes.io/exclude-from-external-load-balancers"});
}

TEST(plan, rule4_network_unavailable_node_announces_nothing) {
  auto s = snap(pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1") + advert("adv") +
                node("n1", "{}", "{conditions: [{type: NetworkUnavailable, status: 'True'}]}") + service("web") +
                slice("web", "n1:ready"));
  EXPECT_EQ(reasons(speaker::plan(*s, ips({{"web", "10.0.0.5"}}), "n1")),
            lines{"web 10.0.0.5: node n1 has condition NetworkUnavailable=True"});
}

TEST(plan, rule1_advert_node_selector_must_select_this_node) {
  auto s = snap(pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1") +
                advert("adv", "nodeSelectors: [{matchLabels: {rack: a}}]") + node("n1", "{rack: b}") +
                node("n2", "{rack: a}") + service("web") + slice("web", "n1:ready"));
  const auto a = ips({{"web", "10.0.0.5"}});
  EXPECT_EQ(reasons(speaker::plan(*s, a, "n1")), lines{"web 10.0.0.5: no BGPAdvertisement for pool p1 selects node n1"});
  EXPECT_EQ(routes(speaker::plan(*s, a, "n2")), lines{"tor 10.0.0.5/32"});
}

TEST(plan, rule2_service_selectors_must_match) {
  auto s = snap(pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1") +
                advert("adv", "serviceSelectors: [{matchLabels: {tier: web}}]") + node("n1") + service("web") +
                service("db", "", "labels: {tier: web}") + slice("web", "n1:ready") + slice("db", "n1:ready"));
  const auto p = speaker::plan(*s, ips({{"web", "10.0.0.5"}, {"db", "10.0.0.6"}}), "n1");
  EXPECT_EQ(routes(p), lines{"tor 10.0.0.6/32"});
  EXPECT_EQ(reasons(p), lines{"web 10.0.0.5: no BGPAdvertisement for pool p1 selects the service's labels"});
}

TEST(plan, rule3_conflicting_local_pref_withholds) {
  // Two adverts with different localPref for one pool differ in peers, which validation
  // allows; for a service both match, MetalLB refuses to announce.
  auto s = snap(pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1") + peer("tor2", "192.168.0.2") +
                advert("a1", "localPref: 100, peers: [tor]") + advert("a2", "localPref: 200, peers: [tor2]") +
                node("n1") + service("web") + slice("web", "n1:ready"));
  EXPECT_EQ(reasons(speaker::plan(*s, ips({{"web", "10.0.0.5"}}), "n1")),
            lines{"web 10.0.0.5: conflicting localPref: BGPAdvertisement a1 sets 100, a2 sets 200"});
}

TEST(plan, advert_attributes_aggregation_communities_aliases_and_peers) {
  // Both sessions carry both families (an IPv4 session carries only IPv4 otherwise).
  auto s = snap(pool("p1", "[10.0.0.0/24, 'fd00::/120']") + peer("tor", "192.168.0.1", "dualStackAddressFamily: true") +
                peer("tor2", "192.168.0.2", "dualStackAddressFamily: true") +
                "apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: c}\nspec: {communities: [{name: "
                "no-export, value: '65535:65281'}, {name: big, value: 'large:64512:1:2'}]}\n---\n" +
                advert("agg", "aggregationLength: 24, aggregationLengthV6: 120, communities: [no-export, '64512:7'], "
                              "localPref: 150, peers: [tor2]") +
                advert("hosts", "communities: [big]") + node("n1") + service("web") + slice("web", "n1:ready"));
  const auto p = speaker::plan(*s, ips({{"web", "10.0.0.5"}, {"web", "fd00::5"}}), "n1");
  EXPECT_EQ(routes(p), (lines{"tor 10.0.0.5/32 large:64512:1:2", "tor fd00::5/128 large:64512:1:2",
                              "tor2 10.0.0.0/24 64512:7 65535:65281 lp=150", "tor2 10.0.0.5/32 large:64512:1:2",
                              "tor2 fd00::/120 64512:7 65535:65281 lp=150", "tor2 fd00::5/128 large:64512:1:2"}));
  const std::string first =
      R"([{"prefix":"10.0.0.0/24","peers":["tor2"],"communities":["64512:7","65535:65281"],"large_communities":[],"local_pref":150},)";
  EXPECT_EQ(speaker::announcements_json(p).substr(0, first.size()), first);
}

TEST(plan, peers_follow_node_selectors_and_secrets) {
  auto s = snap(pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1", "nodeSelectors: [{matchLabels: {rack: a}}]") +
                peer("spine", "192.168.0.9", "passwordSecret: {name: pw, namespace: metallb-system}, holdTime: 9s") +
                "apiVersion: v1\nkind: Secret\nmetadata: {name: pw, namespace: metallb-system}\ntype: "
                "kubernetes.io/basic-auth\nstringData: {password: s3cret}\n---\n" +
                advert("adv") + node("n1", "{rack: b}") + service("web") + slice("web", "n1:ready"));
  const auto p = speaker::plan(*s, ips({{"web", "10.0.0.5"}}), "n1");
  ASSERT_EQ(p.peers.size(), 1u);
  EXPECT_EQ(p.peers[0].name, "spine");
  EXPECT_EQ(p.peers[0].password, "s3cret");
  EXPECT_EQ(p.peers[0].hold_time, std::chrono::seconds{9});
  EXPECT_EQ(routes(p), lines{"spine 10.0.0.5/32"});
}

TEST(plan, address_outside_every_pool_is_withheld_with_reason) {
  auto s = snap(base + service("web") + slice("web", "n1:ready"));
  EXPECT_EQ(reasons(speaker::plan(*s, ips({{"web", "10.9.0.5"}}), "n1")),
            lines{"web 10.9.0.5: address 10.9.0.5 is in no IPAddressPool"});
}

TEST(plan, weighted_ecmp_carries_local_endpoint_count_when_asked) {
  auto s = snap(pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1") +
                advert("adv", "", "annotations: {bgplb.io/weighted-ecmp: 'true'}") + node("n1") +
                service("web", "externalTrafficPolicy: Local") + slice("web", "n1:ready n1:ready n2:ready"));
  EXPECT_EQ(routes(speaker::plan(*s, ips({{"web", "10.0.0.5"}}), "n1")), lines{"tor 10.0.0.5/32 weight=2"});
}

const std::string calico =
    "apiVersion: crd.projectcalico.org/v1\nkind: BGPConfiguration\nmetadata: {name: default}\nspec: {asNumber: 64512, "
    "serviceClusterIPs: [{cidr: 10.96.0.0/12}], serviceExternalIPs: [{cidr: 192.0.2.0/24}], "
    "communities: [{name: svc, value: '64512:300'}], prefixAdvertisements: [{cidr: 192.0.2.0/24, communities: [svc]}]}\n---\n";

TEST(plan, calico_ranges_from_every_node_and_local_services_as_host_routes) {
  auto s = snap(calico + peer("tor", "192.168.0.1") + node("n1") + node("n2") +
                service("web", "type: ClusterIP, externalIPs: [192.0.2.7], externalTrafficPolicy: Local") +
                slice("web", "n1:ready"));
  EXPECT_EQ(routes(speaker::plan(*s, {}, "n1")),
            (lines{"tor 10.96.0.0/12", "tor 10.96.0.10/32", "tor 192.0.2.0/24 64512:300", "tor 192.0.2.7/32 64512:300"}));
  const auto p2 = speaker::plan(*s, {}, "n2");
  EXPECT_EQ(routes(p2), (lines{"tor 10.96.0.0/12", "tor 192.0.2.0/24 64512:300"}));
  EXPECT_EQ(reasons(p2), (lines{"web 10.96.0.10: no ready endpoint on node n2", "web 192.0.2.7: no ready endpoint on node n2"}));
}

// Issue 15: a route goes only on sessions that carry its family: the family of the peer's
// address, or both with dualStackAddressFamily (MetalLB's rule).
TEST(plan, a_route_goes_only_on_sessions_of_its_family) {
  const auto dual = pool("p1", "[10.0.0.0/24, \"fd00::/120\"]") + peer("tor4", "192.168.0.1") + peer("tor6", "\"fd00:1::1\"") +
                    advert("adv") + node("n1") + service("web") + slice("web", "n1:ready");
  const auto a = ips({{"web", "10.0.0.5"}, {"web", "fd00::5"}});
  const auto p = speaker::plan(*snap(dual), a, "n1");
  EXPECT_EQ(routes(p), (lines{"tor4 10.0.0.5/32", "tor6 fd00::5/128"}));
  ASSERT_EQ(p.announced.size(), 2u);
  EXPECT_EQ(p.announced[0].peers, std::vector<std::string>{"tor4"});
  EXPECT_EQ(p.announced[1].peers, std::vector<std::string>{"tor6"});

  const auto only4 = pool("p1", "[10.0.0.0/24, \"fd00::/120\"]") + peer("tor4", "192.168.0.1") + advert("adv") + node("n1") +
                     service("web") + slice("web", "n1:ready");
  EXPECT_EQ(reasons(speaker::plan(*snap(only4), a, "n1")),
            lines{"web fd00::5: no BGPPeer of node n1 carries IPv6 (a session carries its peer address's family; "
                  "dualStackAddressFamily: true carries both)"});
  const auto both = pool("p1", "[10.0.0.0/24, \"fd00::/120\"]") + peer("tor4", "192.168.0.1", "dualStackAddressFamily: true") +
                    advert("adv") + node("n1") + service("web") + slice("web", "n1:ready");
  EXPECT_EQ(routes(speaker::plan(*snap(both), a, "n1")), (lines{"tor4 10.0.0.5/32", "tor4 fd00::5/128"}));
}

TEST(planner, survives_the_snapshots_it_was_built_from_being_freed) {
  // The context is built on a full re-plan and kept across incremental ones; it must not
  // point into the snapshot it came from (ASan catches a regression here).
  const std::string cfg = pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1") +
                          advert("adv", "serviceSelectors: [{matchLabels: {app: web}}]") + node("n1");
  const auto svc = service("web", "externalTrafficPolicy: Local", "labels: {app: web}");
  const auto a = ips({{"web", "10.0.0.5"}});
  speaker::planner p("n1");
  auto s1 = snap(cfg + svc + slice("web", "n1:ready"));
  p.update(s1, {}, a, {});
  auto s2 = snap(cfg + svc + slice("web", "n1:notready"));
  p.update(s2, model::diff(*s1, *s2), a, {});
  s1.reset();
  auto s3 = snap(cfg + svc + slice("web", "n1:ready"));
  const auto d = p.update(s3, model::diff(*s2, *s3), a, {});
  s2.reset();
  EXPECT_FALSE(d.full);
  EXPECT_EQ(routes(p.current()), lines{"tor 10.0.0.5/32"});
}

TEST(planner, the_first_plan_of_every_moved_service_equals_the_reference) {
  // As the node's service starts: a plan of the configuration alone, then the change that
  // publishes every service's address names them all as moved. Two services share an
  // address, two more fall in one aggregate, one has no endpoint, one no address.
  const std::string cfg = pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1") + peer("tor2", "192.168.0.2") +
                          advert("all", "communities: ['64512:1'], peers: [tor]") +
                          advert("agg", "aggregationLength: 28, peers: [tor2], localPref: 50") + node("n1");
  std::string objects = cfg;
  for (const char* name : {"s0", "s1", "s2", "s3", "s4", "s5"}) {
    objects += service(name);
    if (std::string(name) != "s4") objects += slice(name, "n1:ready");
  }
  const auto a = ips({{"s0", "10.0.0.5"}, {"s1", "10.0.0.5"}, {"s2", "10.0.0.17"}, {"s3", "10.0.0.18"}, {"s4", "10.0.0.40"}});
  speaker::planner p("n1");
  const auto config = snap(cfg);
  EXPECT_TRUE(p.update_all(config, {}).routes.empty());
  const auto all = snap(objects);
  std::vector<model::name_key> moved;
  for (const auto& [k, v] : a) moved.push_back(k);
  const auto d = p.update(all, model::diff(*config, *all), a, moved);
  const auto ref = speaker::plan(*all, a, "n1");
  EXPECT_FALSE(d.full);
  EXPECT_EQ(p.current(), ref);
  speaker::route_table replayed;
  for (const auto& c : d.routes) replayed[c.peer][c.prefix] = *c.route;
  EXPECT_EQ(replayed, ref.routes);
  EXPECT_EQ(routes(ref), (lines{"tor 10.0.0.5/32 64512:1", "tor 10.0.0.17/32 64512:1", "tor 10.0.0.18/32 64512:1",
                                "tor2 10.0.0.0/28 lp=50", "tor2 10.0.0.16/28 lp=50"}));
  EXPECT_EQ(d.started_announcing, (std::vector<model::name_key>{{"default", "s0"}, {"default", "s1"}, {"default", "s2"},
                                                                {"default", "s3"}}));
  EXPECT_EQ(d.newly_withheld, ref.withheld);
  ASSERT_EQ(ref.announced.size(), 4u);
  EXPECT_EQ(ref.announced[0].peers, (std::vector<std::string>{"tor", "tor2"}));

  // s0 loses its address: s1 still gives both of its routes, so nothing changes on the wire.
  const auto b = ips({{"s1", "10.0.0.5"}, {"s2", "10.0.0.17"}, {"s3", "10.0.0.18"}, {"s4", "10.0.0.40"}});
  const auto d2 = p.update(all, {}, b, {{"default", "s0"}});
  EXPECT_TRUE(d2.routes.empty());
  EXPECT_EQ(p.current(), speaker::plan(*all, b, "n1"));
  EXPECT_EQ(p.announcing(), (std::vector<model::name_key>{{"default", "s1"}, {"default", "s2"}, {"default", "s3"}}));

  // s2 too: its aggregate stays (s3 gives it), its host route goes.
  const auto c = ips({{"s1", "10.0.0.5"}, {"s3", "10.0.0.18"}, {"s4", "10.0.0.40"}});
  const auto d3 = p.update(all, {}, c, {{"default", "s2"}});
  ASSERT_EQ(d3.routes.size(), 1u);
  EXPECT_EQ(d3.routes[0], (speaker::route_change{"tor", *model::cidr::parse("10.0.0.17/32"), std::nullopt}));
  EXPECT_EQ(p.current(), speaker::plan(*all, c, "n1"));
}

// ---- BFD: a BGPPeer's bfdProfile ----

std::string bfd_profile(const std::string& name, const std::string& spec = "") {
  return "apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: " + name + "}\nspec: {" + spec + "}\n---\n";
}

TEST(plan, bfd_profile_is_resolved_with_metallb_defaults) {
  auto s = snap(pool("p1", "[10.0.0.0/24]") + peer("a-tor", "192.168.0.1", "bfdProfile: fast") +
                peer("b-spine", "192.168.0.9", "bfdProfile: plain") + peer("c-plain", "192.168.0.10") +
                bfd_profile("fast", "receiveInterval: 100, transmitInterval: 150, detectMultiplier: 5, echoInterval: 20, "
                                    "echoMode: true, passiveMode: true, minimumTtl: 10") +
                bfd_profile("plain") + advert("adv") + node("n1"));
  const auto p = speaker::plan(*s, {}, "n1");
  ASSERT_EQ(p.peers.size(), 3u);
  ASSERT_TRUE(p.peers[0].bfd);
  EXPECT_EQ(p.peers[0].bfd->profile, "fast");
  EXPECT_TRUE(p.peers[0].bfd->timers == (bfd::profile{.receive_interval_ms = 100, .transmit_interval_ms = 150,
                                                      .detect_multiplier = 5, .echo_interval_ms = 20, .echo_mode = true,
                                                      .passive_mode = true, .minimum_ttl = 10}));
  // MetalLB's documented defaults: 300 ms, 300 ms, 3, 50 ms, no echo, active, TTL 254.
  ASSERT_TRUE(p.peers[1].bfd);
  EXPECT_TRUE(p.peers[1].bfd->timers == (bfd::profile{.receive_interval_ms = 300, .transmit_interval_ms = 300,
                                                      .detect_multiplier = 3, .echo_interval_ms = 50, .echo_mode = false,
                                                      .passive_mode = false, .minimum_ttl = 254}));
  EXPECT_FALSE(p.peers[2].bfd);
}

TEST(plan, peer_naming_a_missing_bfd_profile_is_not_run) {
  // Validation reports the dangling name too; the planner must not run the peer without
  // the fast failure detection it asks for.
  auto d = model::decode("test.yaml", pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1", "bfdProfile: gone") +
                                          peer("spine", "192.168.0.9") + advert("adv") + node("n1"));
  ASSERT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  const model::snapshot s(std::move(d.objects));
  const auto p = speaker::plan(s, {}, "n1");
  ASSERT_EQ(p.peers.size(), 1u);
  EXPECT_EQ(p.peers[0].name, "spine");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].path, "spec.bfdProfile");
  EXPECT_EQ(p.errors[0].message, "BFDProfile metallb-system/gone not found");
  EXPECT_EQ(p.errors[0].object, "BGPPeer metallb-system/tor");
}

TEST(planner, bfd_profile_change_changes_the_peer_and_no_route) {
  const std::string rest = pool("p1", "[10.0.0.0/24]") + peer("tor", "192.168.0.1", "bfdProfile: fast") + advert("adv") +
                           node("n1") + service("web") + slice("web", "n1:ready");
  const auto a = ips({{"web", "10.0.0.5"}});
  speaker::planner p("n1");
  auto s1 = snap(rest + bfd_profile("fast", "receiveInterval: 100"));
  p.update(s1, {}, a, {});
  ASSERT_TRUE(p.peers().at(0).bfd);
  EXPECT_EQ(p.peers().at(0).bfd->timers.receive_interval_ms, 100u);

  auto s2 = snap(rest + bfd_profile("fast", "receiveInterval: 50"));
  auto d = p.update(s2, model::diff(*s1, *s2), a, {});
  EXPECT_TRUE(d.peers_changed);
  EXPECT_TRUE(d.routes.empty());
  EXPECT_EQ(p.peers().at(0).bfd->timers.receive_interval_ms, 50u);

  // A profile no peer names changes nothing a peer carries.
  auto s3 = snap(rest + bfd_profile("fast", "receiveInterval: 50") + bfd_profile("unused", "receiveInterval: 10"));
  d = p.update(s3, model::diff(*s2, *s3), a, {});
  EXPECT_FALSE(d.peers_changed);
  EXPECT_TRUE(d.routes.empty());
}

// ---- incremental == reference ----

std::string random_manifests(std::mt19937& rng, int services) {
  std::string m = pool("p1", "[10.0.0.0/24]") + pool("p2", "['fd00::/120']", "labels: {v6: 'y'}") +
                  peer("tor", "192.168.0.1") + peer("tor2", "192.168.0.2", "nodeSelectors: [{matchLabels: {rack: a}}]") +
                  node("n1", "{rack: a}") + node("n2");
  m += advert("all", "communities: ['64512:1']");
  if (rng() % 8) m += advert("agg", "aggregationLength: 28, peers: [tor2], ipAddressPools: [p1]");
  if (rng() % 8) m += advert("v6", "ipAddressPoolSelectors: [{matchLabels: {v6: 'y'}}], communities: ['large:1:2:3']");
  const char* states[] = {"ready", "notready", "serving"};
  for (int i = 0; i < services; ++i) {
    const auto name = "s" + std::to_string(i);
    m += service(name, rng() % 2 ? "externalTrafficPolicy: Local" : "");
    std::string eps;
    for (int e = rng() % 3; e > 0; --e)
      eps += (eps.empty() ? "" : " ") + std::string(rng() % 2 ? "n1:" : "n2:") + states[rng() % 3];
    if (!eps.empty()) m += slice(name, eps);
  }
  return m;
}

assignments random_ips(std::mt19937& rng, int services) {
  std::map<model::name_key, std::vector<model::ip_address>> a;
  for (int i = 0; i < services; ++i) {
    if (rng() % 4 == 0) continue;
    const auto n = static_cast<unsigned>(rng() % 40);
    a[{"default", "s" + std::to_string(i)}].push_back(rng() % 3 ? model::ip_address::v4(0x0A000000 + n)
                                                                  : *model::ip_address::parse("fd00::" + std::to_string(n + 1)));
  }
  return assignments(a);
}

TEST(planner, incremental_updates_equal_a_fresh_plan) {
  std::mt19937 rng(7);
  int incremental = 0;
  for (int round = 0; round < 40; ++round) {
    const int n = 1 + static_cast<int>(rng() % 12);
    speaker::planner inc("n1");
    auto before = snap(random_manifests(rng, n));
    auto a = random_ips(rng, n);
    const auto first = inc.update(before, {}, a, {});
    speaker::route_table applied = inc.routes();
    auto announced_before = inc.announcing();
    ASSERT_EQ(first.started_announcing, announced_before) << "the first plan starts every service it announces";
    for (int step = 0; step < 8; ++step) {
      auto after = snap(random_manifests(rng, n));
      auto b = rng() % 2 ? random_ips(rng, n) : a;
      std::set<model::name_key> changed;
      for (const auto& [k, v] : a)
        if (!b.contains(k) || b.at(k) != v) changed.insert(k);
      for (const auto& [k, v] : b)
        if (!a.contains(k)) changed.insert(k);
      const auto d = inc.update(after, model::diff(*before, *after), b, {changed.begin(), changed.end()});
      incremental += d.full ? 0 : 1;
      for (const auto& c : d.routes) {
        if (c.route) applied[c.peer][c.prefix] = *c.route;
        else {
          applied[c.peer].erase(c.prefix);
          if (applied[c.peer].empty()) applied.erase(c.peer);
        }
      }
      const auto ref = speaker::plan(*after, b, "n1");
      ASSERT_EQ(inc.current(), ref) << "round " << round << " step " << step;
      ASSERT_EQ(applied, ref.routes) << "the deltas replay to the plan; round " << round << " step " << step;
      std::vector<model::name_key> announcing;
      for (const auto& x : ref.announced)
        if (announcing.empty() || announcing.back() != model::name_key{x.ns, x.name}) announcing.push_back({x.ns, x.name});
      ASSERT_EQ(inc.announcing(), announcing) << "round " << round << " step " << step;
      std::vector<std::tuple<std::string, std::string, std::string, std::string>> visited, listed;  // what /metrics reads
      inc.visit_announced([&](const model::name_key& k, const model::ip_address& ip) {
        visited.emplace_back(k.ns, k.name, ip.to_string(), "");
      });
      inc.visit_withheld([&](const model::name_key& k, const model::ip_address& ip, const std::string& why) {
        visited.emplace_back(k.ns, k.name, ip.to_string(), why);
      });
      for (const auto& x : ref.announced) listed.emplace_back(x.ns, x.name, x.ip.to_string(), "");
      for (const auto& x : ref.withheld) listed.emplace_back(x.ns, x.name, x.ip.to_string(), x.reason);
      ASSERT_EQ(visited, listed) << "round " << round << " step " << step;
      // The same in parts of at most three services, as a scrape walks them.
      std::vector<std::tuple<std::string, std::string, std::string, std::string>> in_parts;
      int budget = 0;
      const auto go_on = [&] { return ++budget % 3 != 0; };
      std::optional<model::name_key> at;
      do {
        at = inc.visit_announced(
            at, [&](const model::name_key& k, const model::ip_address& ip) { in_parts.emplace_back(k.ns, k.name, ip.to_string(), ""); },
            go_on);
      } while (at);
      do {
        at = inc.visit_withheld(
            at,
            [&](const model::name_key& k, const model::ip_address& ip, const std::string& why) {
              in_parts.emplace_back(k.ns, k.name, ip.to_string(), why);
            },
            go_on);
      } while (at);
      ASSERT_EQ(in_parts, listed) << "round " << round << " step " << step;
      std::vector<model::name_key> started;  // MetalLB's nodeAssigned Events
      std::set_difference(announcing.begin(), announcing.end(), announced_before.begin(), announced_before.end(),
                          std::back_inserter(started));
      ASSERT_EQ(d.started_announcing, started) << "round " << round << " step " << step;
      announced_before = announcing;
      before = after;
      a = b;
    }
  }
  EXPECT_GT(incremental, 50) << "most steps must take the incremental path";
}

// Names merged stay sorted and each once, whichever side is empty or larger.
TEST(service_names, merge_keeps_them_sorted_and_each_once) {
  using speaker::service_names;
  service_names a{{"a", "1"}, {"a", "3"}, {"b", "1"}};
  speaker::merge_names(a, {{"a", "2"}, {"a", "3"}, {"c", "0"}});
  EXPECT_EQ(a, (service_names{{"a", "1"}, {"a", "2"}, {"a", "3"}, {"b", "1"}, {"c", "0"}}));
  service_names empty;
  speaker::merge_names(empty, a);
  EXPECT_EQ(empty, a);
  speaker::merge_names(a, {});
  EXPECT_EQ(a.size(), 5u);
}

}  // namespace
