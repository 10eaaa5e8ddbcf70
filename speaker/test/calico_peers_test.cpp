// Table tests of Calico's BGPPeers as a node's sessions: which peers a node runs, with
// which AS numbers, addresses, router ID and password, as Calico's BIRD configuration
// makes them; and the planner re-planning when this node's Calico identity changes.
#include <gtest/gtest.h>

#include "model/decode.hpp"
#include "speaker/plan.hpp"

namespace {

using lines = std::vector<std::string>;

std::string calico_peer(const std::string& name, const std::string& spec) {
  return "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: " + name + "}\nspec: {" + spec + "}\n---\n";
}
std::string calico_node(const std::string& name, const std::string& bgp, const std::string& labels = "{}") {
  return "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: " + name + ", labels: " + labels +
         "}\nspec: {bgp: {" + bgp + "}}\n---\n";
}
std::string node(const std::string& name, const std::string& meta = "", const std::string& status = "{}") {
  return "apiVersion: v1\nkind: Node\nmetadata: {name: " + name + (meta.empty() ? "" : ", ") + meta +
         "}\nstatus: " + status + "\n---\n";
}
std::string config(const std::string& spec) {
  return "apiVersion: crd.projectcalico.org/v1\nkind: BGPConfiguration\nmetadata: {name: default}\nspec: {" + spec +
         "}\n---\n";
}
std::string secret(const std::string& ns, const std::string& name, const std::string& data) {
  return "apiVersion: v1\nkind: Secret\nmetadata: {name: " + name + ", namespace: " + ns + "}\nstringData: {" + data +
         "}\n---\n";
}

std::shared_ptr<const model::snapshot> snap(const std::string& manifests) {
  auto d = model::decode("c.yaml", manifests);
  EXPECT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  return std::make_shared<const model::snapshot>(std::move(d.objects));
}

// "name address:port asN>asM rid=X src=Y hold=H[ ka=K][ mh][ gr][ pw=P]"
lines sessions(const speaker::node_plan& p) {
  lines out;
  for (const auto& s : p.peers) {
    std::string l = s.name + " " + s.address.to_string() + ":" + std::to_string(s.port) + " as" +
                    std::to_string(s.my_asn) + ">as" + std::to_string(s.peer_asn);
    l += " rid=" + (s.router_id ? s.router_id->to_string() : "-");
    l += " src=" + (s.source_address ? s.source_address->to_string() : "-");
    l += " hold=" + std::to_string(s.hold_time.count());
    if (s.keepalive) l += " ka=" + std::to_string(s.keepalive->count());
    if (s.ebgp_multihop) l += " mh";
    if (s.graceful_restart) l += " gr";
    if (!s.password.empty()) l += " pw=" + s.password;
    out.push_back(l);
  }
  return out;
}
lines errors(const speaker::node_plan& p) {
  lines out;
  for (const auto& e : p.errors) out.push_back(e.to_string());
  return out;
}

TEST(calico_peers, sessions_as_calico_makes_them) {
  const std::string n1 = calico_node("n1", "asNumber: 65101, ipv4Address: 10.50.1.10/24, ipv6Address: 'fd00:50::10/64'",
                                     "{rack: rack1}");
  struct row {
    const char* description;
    std::string manifests;
    lines sessions;
    lines errors;
  };
  const std::vector<row> rows = {
      {"global peer: every node; the node's AS, address and router ID from its Calico Node",
       n1 + calico_peer("my-global-peer", "peerIP: 192.20.30.40, asNumber: 64567"),
       {"my-global-peer 192.20.30.40:179 as65101>as64567 rid=10.50.1.10 src=10.50.1.10 hold=240 mh gr"},
       {}},
      {"node-specific peer: the node it names only",
       n1 + calico_peer("rack1-tor", "node: n1, peerIP: 10.50.1.1, asNumber: 65101") +
           calico_peer("rack2-tor", "node: n2, peerIP: 10.50.2.1, asNumber: 65102"),
       {"rack1-tor 10.50.1.1:179 as65101>as65101 rid=10.50.1.10 src=10.50.1.10 hold=240 mh gr"},
       {}},
      {"nodeSelector over the node's labels (Calico's selector language)",
       n1 + calico_peer("rack1-tor", "peerIP: 10.50.1.1, asNumber: 65101, nodeSelector: \"rack == 'rack1'\"") +
           calico_peer("rack2-tor", "peerIP: 10.50.2.1, asNumber: 65102, nodeSelector: \"rack == 'rack2'\"") +
           calico_peer("not-rr", "peerIP: 10.50.9.9, asNumber: 65109, nodeSelector: '!has(i-am-a-route-reflector)'"),
       {"not-rr 10.50.9.9:179 as65101>as65109 rid=10.50.1.10 src=10.50.1.10 hold=240 mh gr",
        "rack1-tor 10.50.1.1:179 as65101>as65101 rid=10.50.1.10 src=10.50.1.10 hold=240 mh gr"},
       {}},
      {"IPv6 peer with a port: the node's IPv6 address is the source",
       n1 + calico_peer("v6", "peerIP: '[fd00:50::1]:1179', asNumber: 64567"),
       {"v6 fd00:50::1:1179 as65101>as64567 rid=10.50.1.10 src=fd00:50::10 hold=240 mh gr"},
       {}},
      {"localASNumber, sourceAddress None, keepaliveTime",
       n1 + calico_peer("tor", "peerIP: 192.20.30.40, asNumber: 64567, localASNumber: 64999, sourceAddress: None, "
                               "keepaliveTime: 100s"),
       {"tor 192.20.30.40:179 as64999>as64567 rid=10.50.1.10 src=- hold=300 ka=100 mh gr"},
       {}},
      {"no node AS: the default BGPConfiguration's",
       calico_node("n1", "ipv4Address: 10.50.1.10/24") + config("asNumber: 63400") +
           calico_peer("tor", "peerIP: 192.20.30.40, asNumber: 64567"),
       {"tor 192.20.30.40:179 as63400>as64567 rid=10.50.1.10 src=10.50.1.10 hold=240 mh gr"},
       {}},
      {"no AS anywhere: Calico's 64512; no Calico address: the InternalIP as router ID, the kernel's source",
       node("n1", "", "{addresses: [{type: InternalIP, address: 10.0.0.7}]}") +
           calico_peer("tor", "peerIP: 192.20.30.40, asNumber: 64567"),
       {"tor 192.20.30.40:179 as64512>as64567 rid=10.0.0.7 src=- hold=240 mh gr"},
       {}},
      {"Calico's Kubernetes datastore: the node's identity in v1 Node annotations",
       node("n1", "annotations: {projectcalico.org/IPv4Address: 10.2.0.50/19, projectcalico.org/ASNumber: '64514'}") +
           calico_peer("tor", "peerIP: 192.20.30.40, asNumber: 64567"),
       {"tor 192.20.30.40:179 as64514>as64567 rid=10.2.0.50 src=10.2.0.50 hold=240 mh gr"},
       {}},
      {"a peer at the node's own address is skipped, as Calico skips itself",
       n1 + calico_peer("rr", "peerIP: 10.50.1.10, asNumber: 65101"), {}, {}},
      {"peerSelector: peering with Calico nodes is not run (model::warnings says so)",
       n1 + calico_peer("rr-mesh", "nodeSelector: has(rr), peerSelector: has(rr)"), {}, {}},
      {"password from a Secret in calico-node's namespace",
       n1 + secret("kube-system", "bgp-secrets", "rr-password: very-secret") +
           calico_peer("tor", "peerIP: 192.20.30.40, asNumber: 64567, password: {secretKeyRef: {name: bgp-secrets, key: "
                              "rr-password}}"),
       {"tor 192.20.30.40:179 as65101>as64567 rid=10.50.1.10 src=10.50.1.10 hold=240 mh gr pw=very-secret"},
       {}},
      {"calico-system first",
       n1 + secret("kube-system", "bgp-secrets", "p: old") + secret("calico-system", "bgp-secrets", "p: new") +
           calico_peer("tor", "peerIP: 192.20.30.40, asNumber: 64567, password: {secretKeyRef: {name: bgp-secrets, key: p}}"),
       {"tor 192.20.30.40:179 as65101>as64567 rid=10.50.1.10 src=10.50.1.10 hold=240 mh gr pw=new"},
       {}},
      {"missing Secret: that peer is not run, and says why",
       n1 + calico_peer("tor", "peerIP: 192.20.30.40, asNumber: 64567, password: {secretKeyRef: {name: gone, key: p}}") +
           calico_peer("other", "peerIP: 192.20.30.41, asNumber: 64567"),
       {"other 192.20.30.41:179 as65101>as64567 rid=10.50.1.10 src=10.50.1.10 hold=240 mh gr"},
       {"c.yaml: Calico BGPPeer tor: spec.password.secretKeyRef: Secret gone not found in calico-system or kube-system "
        "(calico-node's namespace)"}},
      {"missing key", n1 + secret("calico-system", "s", "a: b") +
                          calico_peer("tor", "peerIP: 192.20.30.40, asNumber: 64567, password: {secretKeyRef: {name: s, key: p}}"),
       {},
       {"c.yaml: Calico BGPPeer tor: spec.password.secretKeyRef: Secret calico-system/s has no key \"p\""}},
      {"a MetalLB BGPPeer of the same address keeps it",
       n1 + "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: tor}\nspec: {myASN: 65101, peerASN: 64567, "
            "peerAddress: 192.20.30.40}\n---\n" +
           calico_peer("calico-tor", "peerIP: 192.20.30.40, asNumber: 64567"),
       {"tor 192.20.30.40:179 as65101>as64567 rid=- src=- hold=90"},
       {"c.yaml: Calico BGPPeer calico-tor: spec.peerIP: address 192.20.30.40 is already peered by BGPPeer tor on this "
        "node; this one is not run"}},
      {"a name two peers of the node share", n1 + "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: tor}\n"
                                                  "spec: {myASN: 65101, peerASN: 64567, peerAddress: 192.20.30.41}\n---\n" +
                                                  calico_peer("tor", "peerIP: 192.20.30.40, asNumber: 64567"),
       {"tor 192.20.30.41:179 as65101>as64567 rid=- src=- hold=90"},
       {"c.yaml: Calico BGPPeer tor: metadata.name: another BGPPeer of this node is named \"tor\"; this one is not run"}},
      {"bad annotation", node("n1", "annotations: {projectcalico.org/ASNumber: lots}"),
       {},
       {"Node n1: metadata.annotations[projectcalico.org/ASNumber]: invalid AS number \"lots\""}},
  };
  for (const auto& r : rows) {
    const auto p = speaker::plan(*snap(r.manifests), {}, "n1");
    EXPECT_EQ(sessions(p), r.sessions) << r.description;
    EXPECT_EQ(errors(p), r.errors) << r.description;
  }
}

// A Calico peer carries what every peer of the node carries: Calico's service ranges.
TEST(calico_peers, carry_the_calico_service_ranges) {
  const auto s = snap(calico_node("n1", "ipv4Address: 10.50.1.10/24") + config("serviceLoadBalancerIPs: [{cidr: 198.51.100.0/24}]") +
                      calico_peer("tor", "peerIP: 10.50.1.1, asNumber: 64567"));
  const auto p = speaker::plan(*s, {}, "n1");
  ASSERT_TRUE(p.routes.contains("tor"));
  EXPECT_TRUE(p.routes.at("tor").contains(*model::cidr::parse("198.51.100.0/24")));
}

// A change of this node's Calico Node re-plans the peers; another node's does not.
TEST(calico_peers, planner_follows_this_nodes_calico_identity) {
  const std::string peer = calico_peer("tor", "peerIP: 10.50.1.1, asNumber: 64567");
  auto before = snap(calico_node("n1", "asNumber: 65101") + calico_node("n2", "asNumber: 65102") + peer);
  speaker::planner pl("n1");
  pl.update_all(before, {});
  ASSERT_EQ(pl.peers().at(0).my_asn, 65101u);

  auto other = snap(calico_node("n1", "asNumber: 65101") + calico_node("n2", "asNumber: 65199") + peer);
  auto d = pl.update(other, model::diff(*before, *other), {}, {});
  EXPECT_FALSE(d.full) << "another node's identity";

  auto mine = snap(calico_node("n1", "asNumber: 65111") + calico_node("n2", "asNumber: 65199") + peer);
  d = pl.update(mine, model::diff(*other, *mine), {}, {});
  EXPECT_TRUE(d.full);
  EXPECT_TRUE(d.peers_changed);
  EXPECT_EQ(pl.peers().at(0).my_asn, 65111u);
  EXPECT_EQ(pl.current(), speaker::plan(*mine, {}, "n1"));
}

}  // namespace
