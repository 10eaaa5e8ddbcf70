// Table tests of Calico's objects: selector expressions (libcalico-go's meanings), BGPPeer
// and Node decoding with Calico's CRD and validator rules, and the warnings for what bgplb
// reads but does not do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/calico_selector.hpp"
#include "model/decode.hpp"
#include "model/validate.hpp"

namespace model {
namespace {

TEST(calico_selector, matches_as_calico_does) {
  const label_map rack1{{"rack", "rack-1"}, {"zone", "eu-west-1a"}, {"kubernetes.io/hostname", "n1"}};
  struct row {
    const char* expression;
    bool matches;  // rack1's labels
  };
  const row rows[] = {
      {"", true},
      {"all()", true},
      {"global()", true},
      {"rack == 'rack-1'", true},
      {"rack == \"rack-2\"", false},
      {"rack != 'rack-2'", true},
      {"missing != 'x'", true},  // != also matches a node without the label
      {"missing == 'x'", false},
      {"has(rack)", true},
      {"!has(rack)", false},
      {"!has(i-am-a-route-reflector)", true},
      {"! ! has(rack)", true},
      {"rack in {'rack-1', 'rack-2'}", true},
      {"rack in {}", false},
      {"rack not in {'rack-1'}", false},
      {"missing not in {'x'}", true},  // not in also matches without the label
      {"missing in {'x'}", false},
      {"zone contains 'west'", true},
      {"zone starts with 'eu-'", true},
      {"zone ends with '1b'", false},
      {"kubernetes.io/hostname == 'n1'", true},
      {"rack == 'rack-1' && zone == 'x'", false},
      {"rack == 'rack-1' && has(zone)", true},
      {"rack == 'x' || zone == 'eu-west-1a'", true},
      {"rack == 'x' || zone == 'y' && has(rack)", false},       // && binds tighter
      {"(rack == 'x' || has(zone)) && has(rack)", true},
      {"!(rack == 'rack-1')", false},
      {"insider == 'a' || rack in {'rack-1'}", true},  // "in" is a whole word
  };
  for (const auto& r : rows) {
    const auto p = calico_selector::parse(r.expression);
    ASSERT_TRUE(p.selector) << r.expression << ": " << p.error;
    EXPECT_EQ(p.selector->matches(rack1), r.matches) << r.expression;
    EXPECT_EQ(p.selector->text(), r.expression);
  }
}

TEST(calico_selector, refuses_what_calico_refuses) {
  struct row {
    const char* expression;
    const char* error;
  };
  const row rows[] = {
      {"rack = 'a'", "expected ==, !=, in, not in, contains, starts with or ends with after \"rack\" at offset 4"},
      {"rack == a", "expected a quoted string at offset 8"},
      {"rack == 'a", "unterminated string at offset 8"},
      {"has(rack", "expected ) at offset 8"},
      {"(has(a)", "expected ) at offset 7"},
      {"has(a) &&", "unexpected end of selector at offset 9"},
      {"rack in {'a' 'b'}", "expected } or , at offset 13"},
      {"has(a) has(b)", "unexpected \"h\" at offset 7"},
      {"&& has(a)", "expected a label, has(), all() or ( at offset 0"},
  };
  for (const auto& r : rows) {
    const auto p = calico_selector::parse(r.expression);
    EXPECT_FALSE(p.selector) << r.expression;
    EXPECT_EQ(p.error, r.error) << r.expression;
  }
}

std::vector<std::string> texts(const std::vector<error>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.to_string());
  return out;
}

std::string peer(const std::string& spec, const std::string& version = "projectcalico.org/v3") {
  return "apiVersion: " + version + "\nkind: BGPPeer\nmetadata: {name: tor}\nspec:\n" + spec;
}

TEST(calico_decode, bgp_peer_fields) {
  const auto d = decode("p.yaml", peer("  node: rack1-host1\n  peerIP: '[fd00::1]:1179'\n  asNumber: '65000.10'\n"
                                       "  localASNumber: 64999\n  password: {secretKeyRef: {name: bgp-secrets, key: rr-password}}\n"
                                       "  sourceAddress: None\n  keepaliveTime: 20s\n  maxRestartTime: 120s\n"));
  ASSERT_TRUE(d.errors.empty()) << to_string(d.errors);
  const auto& p = as<calico_bgp_peer>(d.objects.at(0));
  EXPECT_EQ(key_of(d.objects[0]).to_string(), "Calico BGPPeer tor");
  EXPECT_EQ(p.node, "rack1-host1");
  EXPECT_EQ(p.peer_ip, ip_address::parse("fd00::1"));
  EXPECT_EQ(p.peer_port, 1179);
  EXPECT_EQ(p.as_number, 65000u << 16 | 10u);
  EXPECT_EQ(p.local_as_number, 64999u);
  EXPECT_EQ(p.password, (secret_key_reference{"bgp-secrets", "rr-password"}));
  EXPECT_FALSE(p.source_node_ip);
  EXPECT_EQ(p.keepalive_time, std::chrono::seconds{20});
  EXPECT_TRUE(p.ignored.empty()) << "120s is bgplb's restart time too";

  const auto v4 = decode("p.yaml", peer("  peerIP: 192.0.2.1:1179\n  asNumber: 64512\n  nodeSelector: rack == 'rack-1'\n",
                                        "crd.projectcalico.org/v1"));
  ASSERT_TRUE(v4.errors.empty()) << to_string(v4.errors);
  const auto& q = as<calico_bgp_peer>(v4.objects.at(0));
  EXPECT_EQ(q.peer_ip, ip_address::parse("192.0.2.1"));
  EXPECT_EQ(q.peer_port, 1179);
  EXPECT_TRUE(q.node_selector->matches({{"rack", "rack-1"}}));
  EXPECT_TRUE(q.source_node_ip);
}

TEST(calico_decode, bgp_peer_rules) {
  const std::string f = "p.yaml: Calico BGPPeer tor: ";
  struct row {
    const char* description;
    std::string spec;
    std::vector<std::string> errors;
  };
  const std::vector<row> rows = {
      {"node and nodeSelector", "  node: n1\n  nodeSelector: all()\n  peerIP: 192.0.2.1\n  asNumber: 1\n",
       {f + "spec.nodeSelector: node and nodeSelector cannot both be set"}},
      {"peerIP and peerSelector", "  peerIP: 192.0.2.1\n  peerSelector: has(rr)\n",
       {f + "spec.peerSelector: peerIP and peerSelector cannot both be set"}},
      {"asNumber with peerSelector", "  peerSelector: has(rr)\n  asNumber: 64512\n",
       {f + "spec.asNumber: asNumber must be empty when peerSelector is set"}},
      {"peerIP needs the router's AS", "  peerIP: 192.0.2.1\n", {f + "spec.asNumber: required with peerIP: the router's AS number"}},
      {"a peer of some kind", "  asNumber: 64512\n",
       {f + "spec.peerIP: one of peerIP, peerSelector and localWorkloadSelector is required"}},
      {"IPv6 with a port needs brackets", "  peerIP: 'fd00::1:179x'\n  asNumber: 1\n",
       {f + "spec.peerIP: peerIP must be an IP address, optionally with a port as <IPv4>:<port> or [<IPv6>]:<port>, got "
            "\"fd00::1:179x\""}},
      {"port range", "  peerIP: 192.0.2.1:0\n  asNumber: 1\n",
       {f + "spec.peerIP: peerIP must be an IP address, optionally with a port as <IPv4>:<port> or [<IPv6>]:<port>, got "
            "\"192.0.2.1:0\""}},
      {"IPv4 in brackets", "  peerIP: '[192.0.2.1]:179'\n  asNumber: 1\n",
       {f + "spec.peerIP: peerIP must be an IP address, optionally with a port as <IPv4>:<port> or [<IPv6>]:<port>, got "
            "\"[192.0.2.1]:179\""}},
      {"asdot halves", "  peerIP: 192.0.2.1\n  asNumber: '70000.1'\n",
       {f + "spec.asNumber: invalid AS number \"70000.1\": want 0-4294967295 or asdot A.B"}},
      {"selector syntax", "  peerIP: 192.0.2.1\n  asNumber: 1\n  nodeSelector: rack = 'a'\n",
       {f + "spec.nodeSelector: invalid selector \"rack = 'a'\": expected ==, !=, in, not in, contains, starts with or "
            "ends with after \"rack\" at offset 4"}},
      {"keepOriginalNextHop and nextHopMode", "  peerIP: 192.0.2.1\n  asNumber: 1\n  keepOriginalNextHop: true\n  nextHopMode: Keep\n",
       {f + "spec.nextHopMode: keepOriginalNextHop and nextHopMode cannot both be set; keepOriginalNextHop is deprecated, "
            "use nextHopMode instead"}},
      {"secret key required", "  peerIP: 192.0.2.1\n  asNumber: 1\n  password: {secretKeyRef: {name: s}}\n",
       {f + "spec.password.secretKeyRef.key: required"}},
      {"sourceAddress values", "  peerIP: 192.0.2.1\n  asNumber: 1\n  sourceAddress: Auto\n",
       {f + "spec.sourceAddress: unsupported value \"Auto\": must be one of UseNodeIP, None"}},
      {"reachableBy needs peerIP", "  peerSelector: has(rr)\n  reachableBy: 10.0.0.1\n",
       {f + "spec.reachableBy: reachableBy must be empty when peerIP is empty"}},
      {"durations", "  peerIP: 192.0.2.1\n  asNumber: 1\n  maxRestartTime: 2 minutes\n",
       {f + "spec.maxRestartTime: invalid duration \"2 minutes\""}},
  };
  for (const auto& r : rows) {
    EXPECT_THAT(texts(decode("p.yaml", peer(r.spec)).errors), ::testing::ElementsAreArray(r.errors)) << r.description;
  }
  EXPECT_THAT(texts(decode("p.yaml", peer("  peerIP: 192.0.2.1\n  asNumber: 1\n", "projectcalico.org/v4")).errors),
              ::testing::ElementsAre("p.yaml: BGPPeer metallb-system/tor: apiVersion: unsupported apiVersion "
                                     "\"projectcalico.org/v4\" for BGPPeer: want metallb.io/v1beta2 or metallb.io/v1beta1 "
                                     "or projectcalico.org/v3 or crd.projectcalico.org/v1"));
}

TEST(calico_decode, node) {
  const auto d = decode("n.yaml", "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: n1, labels: {rack: r1}}\n"
                                  "spec: {bgp: {asNumber: 64514, ipv4Address: 10.0.0.5/24, ipv6Address: 'fd00::5/64', "
                                  "routeReflectorClusterID: 224.0.0.1}}\n---\n"
                                  "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n");
  ASSERT_TRUE(d.errors.empty()) << to_string(d.errors);
  ASSERT_EQ(d.objects.size(), 2u) << "a Calico Node and a v1 Node of one name are two objects";
  const auto& n = std::get<calico_node>(d.objects[0]);
  EXPECT_EQ(n.as_number, 64514u);
  EXPECT_EQ(n.ipv4_address, ip_address::parse("10.0.0.5"));
  EXPECT_EQ(n.ipv6_address, ip_address::parse("fd00::5"));
  EXPECT_THAT(texts(decode("n.yaml", "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: n1}\n"
                                     "spec: {bgp: {ipv4Address: 'fd00::5/64'}}\n")
                        .errors),
              ::testing::ElementsAre("n.yaml: Calico Node n1: spec.bgp.ipv4Address: invalid IPv4 address \"fd00::5/64\""));
}

TEST(calico_decode, warnings_for_what_bgplb_does_not_do) {
  const auto d = decode(
      "c.yaml",
      peer("  peerIP: 192.0.2.1\n  asNumber: 1\n  ttlSecurity: 1\n  filters: [f1]\n  keepOriginalNextHop: true\n"
           "  maxRestartTime: 300s\n  numAllowedLocalASNumbers: 2\n") +
          "---\n" +
          "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: rr-mesh}\nspec: {nodeSelector: has(rr), "
          "peerSelector: has(rr)}\n---\n"
          "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: n1}\nspec: {bgp: {routeReflectorClusterID: "
          "224.0.0.1}}\n---\n"
          "apiVersion: crd.projectcalico.org/v1\nkind: BGPConfiguration\nmetadata: {name: default}\n"
          "spec: {nodeToNodeMeshEnabled: true, asNumber: 64512}\n");
  ASSERT_TRUE(d.errors.empty()) << to_string(d.errors);
  const snapshot s(d.objects);
  EXPECT_TRUE(validate(s).empty()) << "Calico accepts them: nothing is refused";
  EXPECT_THAT(
      texts(warnings(s)),
      ::testing::ElementsAre(
          "c.yaml: Calico BGPPeer rr-mesh: spec.peerSelector: peerings with Calico nodes (node-to-node, route "
          "reflectors) carry pod routes, which bgplb does not announce; this BGPPeer is not run",
          "c.yaml: Calico BGPPeer tor: spec.filters: ignored: BGPFilters are not applied; the peer gets every route bgplb "
          "announces to it",
          "c.yaml: Calico BGPPeer tor: spec.ttlSecurity: ignored: the session runs without GTSM (RFC 5082)",
          "c.yaml: Calico BGPPeer tor: spec.numAllowedLocalASNumbers: ignored: bgplb installs no route learned from a "
          "peer, so the AS path loop check does not matter",
          "c.yaml: Calico BGPPeer tor: spec.keepOriginalNextHop: ignored: bgplb announces only its own service routes, "
          "with this node as the next hop",
          "c.yaml: Calico BGPPeer tor: spec.maxRestartTime: ignored: the bgplb speaker's graceful restart time is 120s on "
          "every session",
          "c.yaml: Calico Node n1: spec.bgp.routeReflectorClusterID: ignored: bgplb is no route reflector; the node's "
          "sessions are ordinary ones",
          "c.yaml: BGPConfiguration default: spec.nodeToNodeMeshEnabled: ignored: bgplb makes no node-to-node mesh (it "
          "announces services to routers only); Calico's own BGP keeps carrying pod routes"));
}

}  // namespace
}  // namespace model
