// Table tests of model::decode: every per-object rule, each row naming the rule it checks
// and the exact error text (file, object, field path, rule).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/decode.hpp"

namespace model {
namespace {

std::vector<std::string> error_strings(const decode_result& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.to_string());
  return out;
}

std::string pool(const std::string& name, const std::string& spec) {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name +
         ", namespace: metallb-system}\nspec:\n" + spec;
}

std::string peer(const std::string& spec, const std::string& version = "v1beta2") {
  return "apiVersion: metallb.io/" + version + "\nkind: BGPPeer\nmetadata: {name: p, namespace: metallb-system}\nspec:\n" + spec;
}

struct row {
  const char* description;
  std::string input;
  std::vector<std::string> errors;
};

void run(const std::vector<row>& rows) {
  for (const auto& r : rows) {
    const auto out = decode("f.yaml", r.input);
    EXPECT_THAT(error_strings(out), ::testing::ElementsAreArray(r.errors)) << r.description;
    if (r.input.find("---") == std::string::npos) {
      EXPECT_EQ(out.objects.empty(), !r.errors.empty()) << r.description;
    }
  }
}

TEST(decode, documents_and_metadata) {
  run({
      {"YAML syntax error names line and column", "kind: [", {"f.yaml: line 1, column 1: YAML syntax error: end of sequence flow not found"}},
      {"kind required", "apiVersion: v1\nmetadata: {name: x}", {"f.yaml: kind: required"}},
      {"name required", "apiVersion: v1\nkind: Service\n", {"f.yaml: Service default/<unnamed>: metadata.name: required"}},
      {"unsupported apiVersion",
       "apiVersion: metallb.io/v1alpha1\nkind: IPAddressPool\nmetadata: {name: x}\n",
       {"f.yaml: IPAddressPool metallb-system/x: apiVersion: unsupported apiVersion \"metallb.io/v1alpha1\" for "
        "IPAddressPool: want metallb.io/v1beta1"}},
      {"MetalLB object outside the MetalLB namespace",
       "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: x, namespace: default}\nspec: {addresses: [10.0.0.0/24]}\n",
       {"f.yaml: IPAddressPool default/x: metadata.namespace: MetalLB objects must live in namespace \"metallb-system\""}},
      {"error inside a List item names the item",
       "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n  spec: {type: Bogus}\n",
       {"f.yaml: Service default/s: spec.type: unsupported value \"Bogus\": must be one of ClusterIP, NodePort, "
        "LoadBalancer, ExternalName"}},
      {"trailing content after a flow mapping (yaml-cpp's LoadAll loops forever on it)",
       "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}},\n  \"x\": 1}\n",
       {"f.yaml: line 1, column 69: YAML syntax error: unexpected content after the end of a document"}},
      {"anchors and aliases", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: &l {t: x}, annotations: *l}\n", {}},
      {"self-referencing alias does not recurse forever", "apiVersion: v1\nkind: Namespace\nmetadata: &m {name: a, labels: *m}\n",
       {"f.yaml: metadata.labels.labels: expected a string, got a map"}},
      {"second document named", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n- 1\n",
       {"f.yaml: document 2: expected an object (a map), got a list"}},
  });
}

TEST(decode, multi_document_list_and_json) {
  const auto out = decode("f.yaml",
                          "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\n"
                          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ignored}\n---\n"
                          "apiVersion: v1\nkind: ServiceList\nitems:\n"
                          "- {apiVersion: v1, kind: Service, metadata: {name: s1}}\n"
                          "- {apiVersion: v1, kind: Service, metadata: {name: s2, namespace: prod}}\n");
  EXPECT_TRUE(out.errors.empty()) << to_string(out.errors);
  ASSERT_EQ(out.objects.size(), 3u);
  EXPECT_EQ(key_of(out.objects[0]).to_string(), "Namespace a");
  EXPECT_EQ(key_of(out.objects[1]).to_string(), "Service default/s1");
  EXPECT_EQ(key_of(out.objects[2]).to_string(), "Service prod/s2");

  const auto json = decode("f.json", R"({"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool",
      "metadata":{"name":"p"},"spec":{"addresses":["10.0.0.0/24"],"autoAssign":false}})");
  ASSERT_TRUE(json.errors.empty()) << to_string(json.errors);
  const auto& p = std::get<ip_address_pool>(json.objects.at(0));
  EXPECT_EQ(p.meta.ns, "metallb-system");
  EXPECT_FALSE(p.auto_assign);
  EXPECT_EQ(p.ranges.at(0).size(), 256);
}

TEST(decode, service_fields) {
  const auto out = decode("svc.yaml", R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: prod
  annotations: {metallb.io/allow-shared-ip: k}
spec:
  type: LoadBalancer
  clusterIPs: [10.96.0.10, "fd00::10"]
  ipFamilyPolicy: RequireDualStack
  externalTrafficPolicy: Local
  loadBalancerClass: bgplb
  selector: {app: web}
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
  loadBalancerSourceRanges: [203.0.113.0/24, "2001:db8::/32"]
  ports:
  - {name: http, port: 80, nodePort: 30080}
  - {name: dns, port: 53, protocol: UDP}
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.1}]
)");
  ASSERT_TRUE(out.errors.empty()) << to_string(out.errors);
  const auto& s = std::get<service>(out.objects.at(0));
  EXPECT_EQ(s.type, "LoadBalancer");
  ASSERT_EQ(s.cluster_ips.size(), 2u);
  EXPECT_EQ(s.cluster_ips[1].to_string(), "fd00::10");
  EXPECT_EQ(s.extra->family_policy, ip_family_policy::require_dual_stack);
  EXPECT_EQ(s.external_traffic_policy, traffic_policy::local);
  EXPECT_EQ(s.extra->load_balancer_class, "bgplb");
  ASSERT_EQ(s.ports.size(), 2u);
  EXPECT_EQ(s.ports[0].protocol, "TCP");
  EXPECT_EQ(s.ports[1].protocol, "UDP");
  EXPECT_EQ(s.ports[0].node_port, 30080);
  EXPECT_EQ(s.ports[1].node_port, std::nullopt);
  EXPECT_EQ(s.extra->session_affinity_timeout, 600);
  ASSERT_EQ(s.extra->load_balancer_source_ranges.size(), 2u);
  EXPECT_EQ(s.extra->load_balancer_source_ranges[1].to_string(), "2001:db8::/32");
  EXPECT_EQ(s.ingress_ips.at(0).to_string(), "192.0.2.1");
  EXPECT_EQ(s.meta.annotations.at("metallb.io/allow-shared-ip"), "k");
}

// The fields few Services set live in service::extra, allocated only when one is set
// (docs/memory.md): a plain Service holds no box and reads them as defaults.
TEST(decode, a_service_boxes_only_the_rare_fields_it_sets) {
  const auto head = std::string("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: n}\nspec: {type: LoadBalancer, ");
  const auto plain = decode("a.yaml", head + "externalTrafficPolicy: Local, ports: [{port: 80}], selector: {app: a}}\n");
  ASSERT_TRUE(plain.errors.empty()) << to_string(plain.errors);
  const auto& p = std::get<service>(plain.objects.at(0));
  EXPECT_FALSE(p.extra.allocated());
  EXPECT_TRUE(p.extra->external_ips.empty());
  EXPECT_EQ(p.extra->load_balancer_class, std::nullopt);
  EXPECT_EQ(p.extra->family_policy, std::nullopt);
  EXPECT_EQ(p.extra->session_affinity_timeout, std::nullopt);
  EXPECT_FALSE(p.extra.allocated()) << "read through a const Service";

  for (const char* field : {"externalIPs: [192.0.2.7]", "loadBalancerIP: 192.0.2.8", "loadBalancerClass: x",
                            "ipFamilies: [IPv4]", "ipFamilyPolicy: SingleStack", "sessionAffinity: ClientIP",
                            "loadBalancerSourceRanges: [10.0.0.0/8]"}) {
    const auto one = decode("a.yaml", head + field + "}\n");
    ASSERT_TRUE(one.errors.empty()) << field << ": " << to_string(one.errors);
    const auto& s = std::get<service>(one.objects.at(0));
    EXPECT_TRUE(s.extra.allocated()) << field;
    EXPECT_NE(s, p) << field;
  }

  service copy = p;  // an empty box copies as an empty box, and equals one holding defaults
  EXPECT_FALSE(copy.extra.allocated());
  service written = p;
  written.extra->load_balancer_ip = "";
  EXPECT_TRUE(written.extra.allocated());
  EXPECT_EQ(written, p);
}

TEST(decode, service_rules) {
  const std::string head = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n";
  run({
      {"cluster IP must be an address", head + "  clusterIP: 10.0.0.300\n",
       {"f.yaml: Service default/s: spec.clusterIP: invalid IP address \"10.0.0.300\""}},
      {"dual cluster IPs of one family", head + "  clusterIPs: [10.0.0.1, 10.0.0.2]\n",
       {"f.yaml: Service default/s: spec.clusterIPs: cluster IPs must be of different IP families"}},
      {"port range", head + "  ports: [{port: 70000}]\n",
       {"f.yaml: Service default/s: spec.ports[0].port: 70000 is out of range 1-65535"}},
      {"port required", head + "  ports: [{name: x}]\n", {"f.yaml: Service default/s: spec.ports[0].port: required"}},
      {"quoted number is a string", head + "  ports: [{port: \"80\"}]\n",
       {"f.yaml: Service default/s: spec.ports[0].port: expected an integer, got \"80\""}},
      {"protocol", head + "  ports: [{port: 80, protocol: ICMP}]\n",
       {"f.yaml: Service default/s: spec.ports[0].protocol: unsupported value \"ICMP\": must be one of TCP, UDP, SCTP"}},
      {"ingress IP", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nstatus: {loadBalancer: {ingress: [{ip: x}]}}\n",
       {"f.yaml: Service default/s: status.loadBalancer.ingress[0].ip: invalid IP address \"x\""}},
      // The API server's family rules (ValidateServiceClusterIPsRelatedFields).
      {"families without cluster IPs", head + "  type: LoadBalancer\n  ipFamilies: [IPv6, IPv4]\n  ipFamilyPolicy: PreferDualStack\n",
       {}},
      {"ipFamilies: no duplicates", head + "  ipFamilies: [IPv4, IPv4]\n  ipFamilyPolicy: RequireDualStack\n",
       {"f.yaml: Service default/s: spec.ipFamilies[1]: duplicate IP family IPv4"}},
      {"ipFamilies: at most two", head + "  ipFamilies: [IPv4, IPv6, IPv4]\n  ipFamilyPolicy: RequireDualStack\n",
       {"f.yaml: Service default/s: spec.ipFamilies: at most two IP families are allowed"}},
      {"ipFamilies follow the cluster IPs", head + "  clusterIP: 10.96.0.1\n  ipFamilies: [IPv6]\n",
       {"f.yaml: Service default/s: spec.ipFamilies[0]: does not match the family of cluster IP 10.96.0.1"}},
      {"SingleStack with two families", head + "  ipFamilies: [IPv4, IPv6]\n  ipFamilyPolicy: SingleStack\n",
       {"f.yaml: Service default/s: spec.ipFamilyPolicy: must be RequireDualStack or PreferDualStack when two "
        "ipFamilies are given"}},
      {"SingleStack with two cluster IPs", head + "  clusterIPs: [10.96.0.1, 'fd00::1']\n  ipFamilyPolicy: SingleStack\n",
       {"f.yaml: Service default/s: spec.ipFamilyPolicy: must be RequireDualStack or PreferDualStack when two "
        "clusterIPs are given"}},
      {"headless LoadBalancer", head + "  type: LoadBalancer\n  clusterIP: None\n",
       {"f.yaml: Service default/s: spec.clusterIP: may not be \"None\" for LoadBalancer services"}},
      {"headless ClusterIP service is fine", head + "  clusterIPs: [None]\n", {}},
      // sessionAffinity and loadBalancerSourceRanges (ValidateService).
      {"affinity without a timeout takes Kubernetes' 10800 s", head + "  sessionAffinity: ClientIP\n", {}},
      {"affinity", head + "  sessionAffinity: Sticky\n",
       {"f.yaml: Service default/s: spec.sessionAffinity: unsupported value \"Sticky\": must be one of None, ClientIP"}},
      {"affinity timeout range", head + "  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}\n",
       {"f.yaml: Service default/s: spec.sessionAffinityConfig.clientIP.timeoutSeconds: 86401 is out of range 1-86400"}},
      {"affinity timeout without affinity", head + "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n",
       {"f.yaml: Service default/s: spec.sessionAffinityConfig.clientIP.timeoutSeconds: only with sessionAffinity: "
        "ClientIP"}},
      {"source range", head + "  loadBalancerSourceRanges: [10.0.0.0/33]\n",
       {"f.yaml: Service default/s: spec.loadBalancerSourceRanges[0]: invalid CIDR \"10.0.0.0/33\""}},
      {"node port range", head + "  ports: [{port: 80, nodePort: 70000}]\n",
       {"f.yaml: Service default/s: spec.ports[0].nodePort: 70000 is out of range 0-65535"}},
  });
}

TEST(decode, ip_address_pool_rules) {
  run({
      {"no addresses", pool("p", "  addresses: []\n"),
       {"f.yaml: IPAddressPool metallb-system/p: spec.addresses: pool has no addresses defined"}},
      {"bad CIDR", pool("p", "  addresses: [10.0.0.0/24, 10.0.1.0/33]\n"),
       {"f.yaml: IPAddressPool metallb-system/p: spec.addresses[1]: invalid CIDR \"10.0.1.0/33\""}},
      {"reversed range", pool("p", "  addresses: [10.0.0.9-10.0.0.1]\n"),
       {"f.yaml: IPAddressPool metallb-system/p: spec.addresses[0]: invalid IP range \"10.0.0.9-10.0.0.1\": start IP "
        "10.0.0.9 is after the end IP 10.0.0.1"}},
      {"overlap inside one pool", pool("p", "  addresses: [10.0.0.0/24, 10.0.0.128/25]\n"),
       {"f.yaml: IPAddressPool metallb-system/p: spec.addresses[1]: 10.0.0.128/25 overlaps spec.addresses[0] "
        "(10.0.0.0/24)"}},
      {"autoAssign must be a boolean", pool("p", "  addresses: [10.0.0.0/24]\n  autoAssign: maybe\n"),
       {"f.yaml: IPAddressPool metallb-system/p: spec.autoAssign: expected a boolean, got \"maybe\""}},
      {"selector operator needs values",
       pool("p", "  addresses: [10.0.0.0/24]\n  serviceAllocation:\n    serviceSelectors:\n    - matchExpressions: [{key: a, operator: In}]\n"),
       {"f.yaml: IPAddressPool metallb-system/p: spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].values: "
        "must be specified when operator is In"}},
      {"valid pool", pool("p", "  addresses: [10.0.0.0/24, 10.0.1.1-10.0.1.5, 'fd00::/120']\n"), {}},
  });
}

TEST(decode, bgp_peer_rules) {
  const std::string base = "  myASN: 64512\n  peerAddress: 192.0.2.1\n";
  run({
      {"valid eBGP peer", peer(base + "  peerASN: 64513\n  holdTime: 90s\n  keepaliveTime: 30s\n"), {}},
      {"ASN out of range", peer("  myASN: 4294967296\n  peerASN: 1\n  peerAddress: 192.0.2.1\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.myASN: 4294967296 is out of range 0-4294967295"}},
      {"myASN required", peer("  peerASN: 1\n  peerAddress: 192.0.2.1\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.myASN: required"}},
      {"peerASN xor dynamicASN", peer(base + "  peerASN: 1\n  dynamicASN: external\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.dynamicASN: peerASN and dynamicASN are mutually exclusive"}},
      {"one of peerASN or dynamicASN", peer(base),
       {"f.yaml: BGPPeer metallb-system/p: spec.peerASN: one of peerASN or dynamicASN must be set"}},
      {"hold time 1-2 s", peer(base + "  peerASN: 1\n  holdTime: 2s\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.holdTime: invalid hold time \"2s\": must be 0 or >=3s"}},
      {"hold time 0 is fine", peer(base + "  peerASN: 1\n  holdTime: 0s\n"), {}},
      {"keepalive above hold time", peer(base + "  peerASN: 1\n  holdTime: 9s\n  keepaliveTime: 10s\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.keepaliveTime: invalid keepaliveTime \"10s\": must be lower than "
        "holdTime \"9s\""}},
      {"bad duration", peer(base + "  peerASN: 1\n  holdTime: 90x\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.holdTime: invalid duration \"90x\""}},
      {"password and passwordSecret",
       peer(base + "  peerASN: 1\n  password: x\n  passwordSecret: {name: s}\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.passwordSecret: can not have both password and passwordSecret"}},
      {"ebgpMultiHop on iBGP", peer(base + "  peerASN: 64512\n  ebgpMultiHop: true\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.ebgpMultiHop: invalid ebgpMultiHop parameter set for an ibgp peer"}},
      {"connectTime whole seconds", peer(base + "  peerASN: 1\n  connectTime: 1500ms\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.connectTime: must be a whole number of seconds"}},
      {"peerPort range", peer(base + "  peerASN: 1\n  peerPort: 20000\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.peerPort: 20000 is out of range 1-16384"}},
      {"peerAddress xor interface", peer(base + "  peerASN: 1\n  interface: eth0\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.interface: peerAddress and interface are mutually exclusive"}},
      {"v1beta1 peer", peer(base + "  peerASN: 64513\n", "v1beta1"), {}},
      {"v1beta1 needs peerASN", peer(base, "v1beta1"), {"f.yaml: BGPPeer metallb-system/p: spec.peerASN: required"}},
      {"peer address must be an IP", peer("  myASN: 1\n  peerASN: 2\n  peerAddress: router1\n"),
       {"f.yaml: BGPPeer metallb-system/p: spec.peerAddress: invalid IP address \"router1\""}},
  });
}

TEST(decode, advertisement_community_bfd_rules) {
  const std::string adv = "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: a}\nspec:\n";
  const std::string com = "apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: c}\nspec:\n";
  const std::string bfd = "apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: b}\nspec:\n";
  run({
      {"aggregation length above 32", adv + "  aggregationLength: 33\n",
       {"f.yaml: BGPAdvertisement metallb-system/a: spec.aggregationLength: 33 is out of range 1-32"}},
      {"aggregation length v6 above 128", adv + "  aggregationLengthV6: 129\n",
       {"f.yaml: BGPAdvertisement metallb-system/a: spec.aggregationLengthV6: 129 is out of range 0-128"}},
      {"bad community", adv + "  communities: [\"65536:1\"]\n",
       {"f.yaml: BGPAdvertisement metallb-system/a: spec.communities[0]: invalid community \"65536:1\": each part must "
        "be 0-65535"}},
      {"bad large community", adv + "  communities: [\"large:1:2\"]\n",
       {"f.yaml: BGPAdvertisement metallb-system/a: spec.communities[0]: invalid large community \"large:1:2\": want "
        "large:A:B:C"}},
      {"duplicate community", adv + "  communities: [\"1:1\", \"1:1\"]\n",
       {"f.yaml: BGPAdvertisement metallb-system/a: spec.communities[1]: duplicate definition of community \"1:1\""}},
      {"serviceSelectors with aggregation",
       adv + "  aggregationLength: 24\n  serviceSelectors: [{matchLabels: {a: b}}]\n",
       {"f.yaml: BGPAdvertisement metallb-system/a: spec.serviceSelectors: cannot be combined with a non-default "
        "aggregationLength or aggregationLengthV6"}},
      {"valid advertisement", adv + "  communities: [\"65000:1\", \"large:1:2:3\", myalias]\n  localPref: 100\n", {}},
      {"community alias value", com + "  communities: [{name: x, value: \"1:2:3\"}]\n",
       {"f.yaml: Community metallb-system/c: spec.communities[0].value: invalid community \"1:2:3\": want A:B"}},
      {"duplicate alias", com + "  communities: [{name: x, value: \"1:2\"}, {name: x, value: \"1:3\"}]\n",
       {"f.yaml: Community metallb-system/c: spec.communities[1].name: duplicate definition of community alias \"x\""}},
      {"bfd detect multiplier", bfd + "  detectMultiplier: 1\n",
       {"f.yaml: BFDProfile metallb-system/b: spec.detectMultiplier: 1 is out of range 2-255"}},
      {"bfd interval", bfd + "  receiveInterval: 5\n",
       {"f.yaml: BFDProfile metallb-system/b: spec.receiveInterval: 5 is out of range 10-60000"}},
      {"bfd minimum ttl", bfd + "  minimumTtl: 255\n",
       {"f.yaml: BFDProfile metallb-system/b: spec.minimumTtl: 255 is out of range 1-254"}},
      {"pool named twice in one advertisement (MetalLB validateDuplicate)", adv + "  ipAddressPools: [a, b, a]\n",
       {"f.yaml: BGPAdvertisement metallb-system/a: spec.ipAddressPools[2]: duplicate definition of ipAddressPools \"a\""}},
      {"peer named twice in one advertisement (MetalLB validateDuplicate)", adv + "  peers: [p, p]\n",
       {"f.yaml: BGPAdvertisement metallb-system/a: spec.peers[1]: duplicate definition of peers \"p\""}},
  });
}

// The API server's name rules, before any webhook (k8s.io/apimachinery validation).
TEST(decode, kubernetes_name_syntax) {
  const auto ns = [](const std::string& name) { return "apiVersion: v1\nkind: Namespace\nmetadata: {name: '" + name + "'}\n"; };
  const auto obj = [](const std::string& kind, const std::string& name, const std::string& nspace = "") {
    const bool metallb = kind == "IPAddressPool";
    return std::string("apiVersion: ") + (metallb ? "metallb.io/v1beta1" : "v1") + "\nkind: " + kind +
           "\nmetadata: {name: '" + name + "'" + (nspace.empty() ? "" : ", namespace: '" + nspace + "'") + "}\n" +
           (metallb ? "spec: {addresses: [10.0.0.0/24]}\n" : "");
  };
  const std::string subdomain =
      "is invalid: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
      "must start and end with an alphanumeric character";
  const std::string label =
      "is invalid: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
      "start and end with an alphanumeric character";
  run({
      {"RFC 1123 subdomain: dots and dashes allowed", obj("IPAddressPool", "prod-v4.example"), {}},
      {"RFC 1123 subdomain: no upper case", obj("IPAddressPool", "Prod"),
       {"f.yaml: IPAddressPool metallb-system/Prod: metadata.name: \"Prod\" " + subdomain}},
      {"RFC 1123 subdomain: no underscore", obj("Secret", "a_b"),
       {"f.yaml: Secret default/a_b: metadata.name: \"a_b\" " + subdomain}},
      {"RFC 1123 subdomain: each label ends alphanumeric", obj("Node", "n1-.x"),
       {"f.yaml: Node n1-.x: metadata.name: \"n1-.x\" " + subdomain}},
      {"RFC 1123 subdomain: at most 253 characters", obj("Node", std::string(254, 'a')),
       {"f.yaml: Node " + std::string(254, 'a') + ": metadata.name: \"" + std::string(254, 'a') +
        "\" is invalid: must be no more than 253 characters"}},
      {"Namespace names are RFC 1123 labels: no dots", ns("a.b"), {"f.yaml: Namespace a.b: metadata.name: \"a.b\" " + label}},
      {"Namespace names are RFC 1123 labels: at most 63", ns(std::string(64, 'n')),
       {"f.yaml: Namespace " + std::string(64, 'n') + ": metadata.name: \"" + std::string(64, 'n') +
        "\" is invalid: must be no more than 63 characters"}},
      {"metadata.namespace is an RFC 1123 label", obj("Secret", "s", "Team_A"),
       {"f.yaml: Secret Team_A/s: metadata.namespace: \"Team_A\" " + label}},
      {"Service names are RFC 1035 labels: start with a letter", obj("Service", "1web"),
       {"f.yaml: Service default/1web: metadata.name: \"1web\" is invalid: a DNS-1035 label must consist of lower "
        "case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric "
        "character"}},
      {"Service names are RFC 1035 labels: digits inside are fine", obj("Service", "web-1"), {}},
  });
}

TEST(decode, calico_bgp_configuration) {
  const std::string head = "apiVersion: crd.projectcalico.org/v1\nkind: BGPConfiguration\nmetadata: {name: default}\nspec:\n";
  const std::string v3 = "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: node.n1}\nspec:\n";
  run({
      {"valid", head + "  asNumber: 64512\n  serviceLoadBalancerIPs: [{cidr: 192.0.2.0/24}]\n"
                       "  communities: [{name: c1, value: \"64512:100\"}]\n"
                       "  prefixAdvertisements: [{cidr: 192.0.2.0/24, communities: [c1, \"1:2:3\"]}]\n",
       {}},
      {"bad cidr", head + "  serviceExternalIPs: [{cidr: 192.0.2.0/40}]\n",
       {"f.yaml: BGPConfiguration default: spec.serviceExternalIPs[0].cidr: invalid CIDR \"192.0.2.0/40\""}},
      {"cidr required", head + "  serviceClusterIPs: [{}]\n",
       {"f.yaml: BGPConfiguration default: spec.serviceClusterIPs[0].cidr: required"}},
      {"service CIDRs only on default", v3 + "  serviceClusterIPs: [{cidr: 10.96.0.0/12}]\n",
       {"f.yaml: BGPConfiguration node.n1: spec.serviceClusterIPs: may only be set on the global BGPConfiguration "
        "\"default\""}},
      {"undefined community name", head + "  prefixAdvertisements: [{cidr: 10.0.0.0/8, communities: [nope]}]\n",
       {"f.yaml: BGPConfiguration default: spec.prefixAdvertisements[0].communities[0]: community \"nope\" is not "
        "defined in spec.communities"}},
      {"asNumber range", head + "  asNumber: -1\n",
       {"f.yaml: BGPConfiguration default: spec.asNumber: invalid AS number \"-1\": want 0-4294967295 or asdot A.B"}},
      {"asNumber in asdot (Calico numorstring.ASNumber)", head + "  asNumber: '1.10'\n", {}},
  });
}

TEST(decode, endpoint_slice_node_secret) {
  const auto out = decode("f.yaml", R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, namespace: prod, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
- addresses: [10.1.0.5]
  nodeName: n1
  conditions: {ready: false, serving: true, terminating: true}
ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {rack: r1}}
status:
  conditions: [{type: NetworkUnavailable, status: "False"}]
  addresses: [{type: InternalIP, address: 10.0.0.11}]
---
apiVersion: v1
kind: Secret
metadata: {name: bgp, namespace: metallb-system}
type: kubernetes.io/basic-auth
data: {password: c2VjcmV0}
)");
  ASSERT_TRUE(out.errors.empty()) << to_string(out.errors);
  ASSERT_EQ(out.objects.size(), 3u);
  const auto& es = std::get<endpoint_slice>(out.objects[0]);
  EXPECT_EQ(es.service_name, "web");
  EXPECT_EQ(es.endpoints.at(0).node_name, "n1");
  EXPECT_EQ(es.endpoints.at(0).ready, false);
  EXPECT_EQ(es.endpoints.at(0).serving, true);
  EXPECT_EQ(std::get<node>(out.objects[1]).conditions.at(0).status, "False");
  EXPECT_EQ(std::get<secret>(out.objects[2]).data.at("password"), "secret");

  run({
      {"slice address of the wrong family",
       "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv6\n"
       "endpoints: [{addresses: [10.0.0.1]}]\n",
       {"f.yaml: EndpointSlice default/e: endpoints[0].addresses[0]: address 10.0.0.1 does not match addressType IPv6"}},
      {"bad base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: '!!'}\n",
       {"f.yaml: Secret default/s: data.password: invalid base64 data"}},
  });
}

}  // namespace
}  // namespace model

namespace model {
namespace {

// Nesting no manifest needs is refused before parsing: 100,000 '[' took libyaml 31 s
// (quadratic) and would overflow yaml-cpp's recursive descent.
TEST(decode, pathological_nesting_is_refused_before_parsing) {
  std::string dashes;
  for (int i = 0; i < 100000; ++i) dashes += "- ";
  const std::pair<std::string, int> rows[] = {{std::string(100000, '['), 256}, {std::string(100000, '{'), 256}, {dashes, 513}};
  for (const auto& [deep, column] : rows) {
    const auto r = decode("deep.yaml", deep);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].to_string(), "deep.yaml: line 1, column " + std::to_string(column) +
                                           ": YAML syntax error: nesting deeper than 256 levels")
        << deep.substr(0, 4);
  }
  // Brackets in quoted scalars and comments do not count; a deep but sane object loads.
  std::string sane = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  annotations:\n    x: \"" +
                     std::string(1000, '[') + "\"\n    y: '" + std::string(1000, '{') + "' # " + std::string(1000, '[') +
                     "\n";
  const auto ok = decode("sane.yaml", sane);
  EXPECT_TRUE(ok.errors.empty()) << (ok.errors.empty() ? "" : ok.errors[0].to_string());
}

}  // namespace
}  // namespace model
