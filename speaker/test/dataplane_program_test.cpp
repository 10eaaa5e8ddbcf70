// program_dataplane: Kubernetes objects -> dataplane::desired, and the result through
// the reconciler on the in-memory maps.
#include "dataplane_program.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "dataplane/fake_map_ops.hpp"
#include "model/decode.hpp"

namespace {

using speaker::assignments;

std::string node(const std::string& name, const std::string& ip) {
  return "apiVersion: v1\nkind: Node\nmetadata: {name: " + name +
         "}\nstatus: {addresses: [{type: InternalIP, address: " + ip + "}]}\n---\n";
}

std::string service(const std::string& name, const std::string& extra = "") {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         ", namespace: default}\nspec: {type: LoadBalancer, clusterIP: 10.96.0.10, ports: [{name: http, port: 80, "
         "targetPort: web}, {name: dns, port: 53, protocol: UDP}]" +
         (extra.empty() ? "" : ", " + extra) + "}\n---\n";
}

// endpoints: "address@node:state" with state ready | terminating | gone
std::string slice(const std::string& svc, std::initializer_list<const char*> endpoints, const std::string& ports) {
  std::string eps;
  for (const char* e : endpoints) {
    std::string s(e);
    auto at = s.find('@'), colon = s.find(':');
    std::string addr = s.substr(0, at), n = s.substr(at + 1, colon - at - 1), st = s.substr(colon + 1);
    std::string cond = st == "ready"         ? "{ready: true}"
                       : st == "terminating" ? "{ready: false, serving: true, terminating: true}"
                                             : "{ready: false, serving: false, terminating: true}";
    eps += (eps.empty() ? "" : ", ") + std::string("{addresses: [") + addr + "], nodeName: " + n + ", conditions: " + cond + "}";
  }
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " + svc +
         "-x, namespace: default, labels: {kubernetes.io/service-name: " + svc + "}}\naddressType: IPv4\nendpoints: [" +
         eps + "]\nports: " + ports + "\n---\n";
}

model::snapshot snap(const std::string& manifests) {
  auto d = model::decode("test.yaml", manifests);
  EXPECT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  return model::snapshot(std::move(d.objects));
}

assignments lb(const char* name, const char* ip) {
  assignments a;
  a[{"default", name}].push_back(*model::ip_address::parse(ip));
  return a;
}

const dataplane::service* find(const speaker::dataplane_program& p, const std::string& name) {
  for (const auto& s : p.desired.services)
    if (s.name == name) return &s;
  return nullptr;
}

std::string world() {
  return node("n1", "192.168.1.1") + node("n2", "192.168.2.1") + node("n3", "192.168.3.1") +
         slice("web", {"10.1.1.2@n1:ready", "10.1.2.2@n2:ready", "10.1.2.3@n2:terminating", "10.1.3.2@n3:gone"},
               "[{name: http, port: 8080}, {name: dns, port: 5353, protocol: UDP}]");
}

TEST(dataplane_program, cluster_service_on_one_node) {
  auto s = snap(world() + service("web"));
  auto p = speaker::program_dataplane(s, lb("web", "198.51.100.10"), "n1");
  ASSERT_EQ(p.desired.node_v4, dataplane::address::parse("192.168.1.1"));
  EXPECT_EQ(p.desired.tunnel_peers.size(), 2u);
  const auto* http = find(p, "default/web:http/TCP/v4");
  ASSERT_NE(http, nullptr);
  ASSERT_EQ(http->frontends.size(), 2u);  // the LoadBalancer IP and the ClusterIP
  EXPECT_EQ(http->policy, dataplane::traffic_policy::cluster);
  ASSERT_EQ(http->backends.size(), 3u);   // the endpoint no longer serving is left out
  int local = 0, terminating = 0;
  for (const auto& b : http->backends) {
    EXPECT_EQ(b.port, 8080);
    local += !b.node;
    terminating += b.terminating;
    if (b.node) {
      EXPECT_EQ(*b.node, *dataplane::address::parse("192.168.2.1"));
    }
  }
  EXPECT_EQ(local, 1);
  EXPECT_EQ(terminating, 1);
  const auto* dns = find(p, "default/web:dns/UDP/v4");
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->proto, dataplane::protocol::udp);
  EXPECT_EQ(dns->backends.front().port, 5353);
}

TEST(dataplane_program, local_policy_splits_external_from_cluster_ip) {
  auto s = snap(world() + service("web", "externalTrafficPolicy: Local, externalIPs: [203.0.113.5]"));
  auto p = speaker::program_dataplane(s, lb("web", "198.51.100.10"), "n2");
  const auto* ext = find(p, "default/web:http/TCP/v4/external");
  const auto* cip = find(p, "default/web:http/TCP/v4/cluster-ip");
  ASSERT_NE(ext, nullptr);
  ASSERT_NE(cip, nullptr);
  EXPECT_EQ(ext->policy, dataplane::traffic_policy::local);
  EXPECT_EQ(ext->frontends.size(), 2u);  // LoadBalancer IP and externalIP
  EXPECT_EQ(cip->policy, dataplane::traffic_policy::cluster);
}

TEST(dataplane_program, every_node_sees_the_same_backends) {
  auto s = snap(world() + service("web"));
  auto keys = [&](const std::string& n) {
    auto p = speaker::program_dataplane(s, lb("web", "198.51.100.10"), n);
    std::vector<std::string> k;
    for (const auto& b : find(p, "default/web:http/TCP/v4")->backends)
      k.push_back(b.addr.to_string() + ":" + std::to_string(b.port) + (b.terminating ? "t" : ""));
    std::sort(k.begin(), k.end());
    return k;
  };
  EXPECT_EQ(keys("n1"), keys("n2"));
  EXPECT_EQ(keys("n1"), keys("n3"));
}

TEST(dataplane_program, sctp_is_skipped_with_a_reason) {
  auto s = snap(node("n1", "192.168.1.1") +
                "apiVersion: v1\nkind: Service\nmetadata: {name: sig, namespace: default}\nspec: {type: LoadBalancer, "
                "clusterIP: 10.96.0.11, ports: [{name: s, port: 3868, protocol: SCTP}]}\n---\n");
  auto p = speaker::program_dataplane(s, lb("sig", "198.51.100.11"), "n1");
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_EQ(p.skipped[0].reason, "SCTP is not supported by the dataplane");
  EXPECT_TRUE(p.desired.services.empty());
}

TEST(dataplane_program, the_program_reconciles) {
  auto s = snap(world() + service("web"));
  auto p = speaker::program_dataplane(s, lb("web", "198.51.100.10"), "n1");
  dataplane::fake_map_ops maps;
  auto r = dataplane::reconciler::open(maps);
  ASSERT_TRUE(r.ok());
  auto rep = (*r)->apply(p.desired);
  ASSERT_TRUE(rep.ok()) << rep.err().message;
  EXPECT_TRUE(rep->skipped.empty());
  EXPECT_EQ(maps.frontend_map.size(), 4u);  // (LB IP, ClusterIP) x (http, dns)
}

}  // namespace
