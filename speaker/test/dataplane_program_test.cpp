// program_dataplane: Kubernetes objects -> dataplane::desired, and the result through
// the reconciler on the in-memory maps.
#include "dataplane_program.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "dataplane/fake_map_ops.hpp"
#include "model/decode.hpp"

namespace {

using model::assignments;

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
std::string slice(const std::string& svc, std::initializer_list<const char*> endpoints, const std::string& ports,
                  const std::string& family = "IPv4") {
  std::string eps;
  for (const char* e : endpoints) {
    std::string s(e);
    auto at = s.find('@'), colon = s.find(':', at);
    std::string addr = s.substr(0, at), n = s.substr(at + 1, colon - at - 1), st = s.substr(colon + 1);
    std::string cond = st == "ready"         ? "{ready: true}"
                       : st == "terminating" ? "{ready: false, serving: true, terminating: true}"
                                             : "{ready: false, serving: false, terminating: true}";
    eps += (eps.empty() ? "" : ", ") + std::string("{addresses: [") + addr + "], nodeName: " + n + ", conditions: " + cond + "}";
  }
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " + svc + (family == "IPv4" ? "-v4" : "-v6") +
         ", namespace: default, labels: {kubernetes.io/service-name: " + svc + "}}\naddressType: " + family + "\nendpoints: [" +
         eps + "]\nports: " + ports + "\n---\n";
}

model::snapshot snap(const std::string& manifests) {
  auto d = model::decode("test.yaml", manifests);
  EXPECT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  return model::snapshot(std::move(d.objects));
}

assignments lb(const char* name, const char* ip) { return {{{"default", name}, {*model::ip_address::parse(ip)}}}; }

const dataplane::service* find(const speaker::dataplane_program& p, const std::string& name) {
  for (const auto& s : p.desired.services)
    if (s.name == name) return &s;
  return nullptr;
}

// Calico advertises the ClusterIP range 10.96.0.0/12 (BGPConfiguration "default").
std::string calico(const std::string& range = "10.96.0.0/12") {
  return "apiVersion: crd.projectcalico.org/v1\nkind: BGPConfiguration\nmetadata: {name: default}\nspec: "
         "{serviceClusterIPs: [{cidr: " + range + "}]}\n---\n";
}

std::vector<std::string> frontends(const dataplane::service& s) {
  std::vector<std::string> out;
  for (const auto& f : s.frontends) out.push_back(f.addr.to_string() + ":" + std::to_string(f.port));
  return out;
}

// What the reconciler programs for a service: its backends taking new flows, by address.
std::vector<std::string> programmed_backends(const speaker::dataplane_program& p, const std::string& name) {
  dataplane::fake_map_ops maps;
  auto r = dataplane::reconciler::open(maps);
  EXPECT_TRUE(r.ok());
  auto rep = (*r)->apply(p.desired);
  EXPECT_TRUE(rep.ok()) << rep.err().message;
  std::vector<std::string> out;
  for (const auto& ps : (*r)->programmed())
    if (ps.name == name)
      for (const auto& [id, b] : ps.backends) {
        std::array<std::uint8_t, 16> bytes{};
        std::memcpy(bytes.data(), b.addr.w, 16);
        out.push_back(dataplane::address::v6(bytes).to_string());
      }
  std::sort(out.begin(), out.end());
  return out;
}

// The program applied to in-memory maps, nothing skipped.
void reconcile_cleanly(const speaker::dataplane_program& p, dataplane::fake_map_ops& maps) {
  auto r = dataplane::reconciler::open(maps);
  ASSERT_TRUE(r.ok());
  auto rep = (*r)->apply(p.desired);
  ASSERT_TRUE(rep.ok()) << rep.err().message;
  EXPECT_TRUE(rep->skipped.empty());
}

std::string world() {
  return node("n1", "192.168.1.1") + node("n2", "192.168.2.1") + node("n3", "192.168.3.1") +
         slice("web", {"10.1.1.2@n1:ready", "10.1.2.2@n2:ready", "10.1.2.3@n2:terminating", "10.1.3.2@n3:gone"},
               "[{name: http, port: 8080}, {name: dns, port: 5353, protocol: UDP}]");
}

TEST(dataplane_program, cluster_service_on_one_node) {
  auto s = snap(calico() + world() + service("web"));
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
  auto s = snap(calico() + world() + service("web", "externalTrafficPolicy: Local, externalIPs: [203.0.113.5]"));
  auto p = speaker::program_dataplane(s, lb("web", "198.51.100.10"), "n2");
  const auto* ext = find(p, "default/web:http/TCP/v4/external");
  const auto* cip = find(p, "default/web:http/TCP/v4/cluster-ip");
  ASSERT_NE(ext, nullptr);
  ASSERT_NE(cip, nullptr);
  EXPECT_EQ(ext->policy, dataplane::traffic_policy::local);
  EXPECT_EQ(ext->frontends.size(), 2u);  // LoadBalancer IP and externalIP
  EXPECT_EQ(cip->policy, dataplane::traffic_policy::cluster);
  // Local: this node's ready endpoint only; Cluster (the ClusterIP): every node's ready ones
  EXPECT_EQ(programmed_backends(p, "default/web:http/TCP/v4/external"), (std::vector<std::string>{"10.1.2.2"}));
  EXPECT_EQ(programmed_backends(p, "default/web:http/TCP/v4/cluster-ip"),
            (std::vector<std::string>{"10.1.1.2", "10.1.2.2"}));
  // n3's only endpoint no longer serves: the Local service has no backend (ICMP unreachable)
  auto p3 = speaker::program_dataplane(s, lb("web", "198.51.100.10"), "n3");
  EXPECT_TRUE(programmed_backends(p3, "default/web:http/TCP/v4/external").empty());
}

TEST(dataplane_program, terminating_endpoints_serve_only_when_none_is_ready) {
  auto s = snap(world() + service("web", "externalTrafficPolicy: Local"));
  // n2 has a ready and a terminating endpoint: the ready one takes new flows
  EXPECT_EQ(programmed_backends(speaker::program_dataplane(s, lb("web", "198.51.100.10"), "n2"),
                                "default/web:http/TCP/v4/external"),
            (std::vector<std::string>{"10.1.2.2"}));
  auto t = snap(world().substr(0, world().find("apiVersion: discovery")) +
                slice("web", {"10.1.2.3@n2:terminating"}, "[{name: http, port: 8080}]") +
                service("web", "externalTrafficPolicy: Local"));
  EXPECT_EQ(programmed_backends(speaker::program_dataplane(t, lb("web", "198.51.100.10"), "n2"),
                                "default/web:http/TCP/v4/external"),
            (std::vector<std::string>{"10.1.2.3"}));
}

TEST(dataplane_program, cluster_ips_only_inside_calico_service_cluster_ips) {
  auto expect_frontends = [](const std::string& manifests, std::vector<std::string> want) {
    auto s = snap(manifests + world() + service("web", "externalIPs: [203.0.113.5]"));
    auto p = speaker::program_dataplane(s, lb("web", "198.51.100.10"), "n1");
    const auto* http = find(p, "default/web:http/TCP/v4");
    ASSERT_NE(http, nullptr);
    EXPECT_EQ(frontends(*http), want);
  };
  // LoadBalancer IP and externalIP always; the ClusterIP only where Calico advertises it
  expect_frontends("", {"198.51.100.10:80", "203.0.113.5:80"});
  expect_frontends(calico("10.200.0.0/16"), {"198.51.100.10:80", "203.0.113.5:80"});
  expect_frontends(calico(), {"10.96.0.10:80", "198.51.100.10:80", "203.0.113.5:80"});
}

TEST(dataplane_program, each_family_is_a_service_of_its_own) {
  auto s = snap(world() + node("n4", "fd00:4::1") +
                slice("web", {"fd00:10::2@n1:ready", "fd00:10::4@n4:ready", "fd00:10::2@n2:ready"},
                      "[{name: http, port: 8080}]", "IPv6") +
                service("web", "ipFamilies: [IPv4, IPv6], clusterIPs: [10.96.0.10, 'fd00:96::10']"));
  const model::assignments a{
      {{"default", "web"}, {*model::ip_address::parse("198.51.100.10"), *model::ip_address::parse("2001:db8::10")}}};
  auto p = speaker::program_dataplane(s, a, "n1");
  const auto* v4 = find(p, "default/web:http/TCP/v4");
  const auto* v6 = find(p, "default/web:http/TCP/v6");
  ASSERT_NE(v4, nullptr);
  ASSERT_NE(v6, nullptr);
  EXPECT_EQ(frontends(*v4), (std::vector<std::string>{"198.51.100.10:80"}));
  EXPECT_EQ(frontends(*v6), (std::vector<std::string>{"2001:db8::10:80"}));
  // the IPv6 slice has no dns port: the IPv6 dns frontend has no backend (ICMP unreachable)
  const auto* dns6 = find(p, "default/web:dns/UDP/v6");
  ASSERT_NE(dns6, nullptr);
  EXPECT_TRUE(dns6->backends.empty());
  ASSERT_EQ(v6->backends.size(), 3u);
  for (const auto& b : v6->backends) {
    if (b.addr == *dataplane::address::parse("fd00:10::4")) {
      EXPECT_EQ(b.node, dataplane::address::parse("fd00:4::1"));  // the node's own family
    } else if (b.node) {
      EXPECT_EQ(*b.node, *dataplane::address::parse("192.168.2.1"));  // n2 has IPv4 only: tunnel over IPv4
    }
  }
  EXPECT_EQ(p.desired.tunnel_peers.size(), 3u);  // n2, n3 (IPv4), n4 (IPv6)
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
  reconcile_cleanly(p, maps);
  EXPECT_EQ(maps.frontend_map.size(), 2u);  // (LB IP) x (http, dns); no Calico: no ClusterIP
}

// sessionAffinity, loadBalancerSourceRanges and NodePorts, as kube-proxy applies them:
// affinity on every access path, the source ranges on the LoadBalancer addresses only,
// the NodePort on this node's own address.
TEST(dataplane_program, affinity_source_ranges_and_node_ports) {
  auto svc = [](const std::string& ranges) {
    return "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {type: LoadBalancer, "
           "clusterIP: 10.96.0.10, externalIPs: [203.0.113.5], sessionAffinity: ClientIP, "
           "sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}, loadBalancerSourceRanges: [" + ranges + "], "
           "ports: [{name: http, port: 80, nodePort: 30080}, {name: dns, port: 53, protocol: UDP, nodePort: 30053}]}\n---\n";
  };
  auto s = snap(calico() + world() + svc("192.0.2.0/24, '2001:db8::/32'"));
  auto p = speaker::program_dataplane(s, lb("web", "198.51.100.10"), "n1");
  const auto* guarded = find(p, "default/web:http/TCP/v4/load-balancer");
  const auto* open = find(p, "default/web:http/TCP/v4");
  ASSERT_NE(guarded, nullptr);
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(frontends(*guarded), (std::vector<std::string>{"198.51.100.10:80"}));
  ASSERT_EQ(guarded->source_ranges.size(), 1u) << "the IPv4 range only";
  EXPECT_EQ(guarded->source_ranges[0].to_string(), "192.0.2.0/24");
  EXPECT_EQ(frontends(*open), (std::vector<std::string>{"10.96.0.10:80", "192.168.1.1:30080", "203.0.113.5:80"}));
  EXPECT_TRUE(open->source_ranges.empty());
  for (const auto* x : {guarded, open}) EXPECT_EQ(x->affinity_timeout, 600u);
  EXPECT_EQ(frontends(*find(p, "default/web:dns/UDP/v4")),
            (std::vector<std::string>{"10.96.0.10:53", "192.168.1.1:30053", "203.0.113.5:53"}));

  // An IPv6 address under IPv4-only ranges admits nobody: not programmed, with the reason.
  auto s6 = snap(world() + svc("192.0.2.0/24"));
  const model::assignments a{
      {{"default", "web"}, {*model::ip_address::parse("198.51.100.10"), *model::ip_address::parse("2001:db8::10")}}};
  auto p6 = speaker::program_dataplane(s6, a, "n1");
  EXPECT_EQ(find(p6, "default/web:http/TCP/v6/load-balancer"), nullptr);
  EXPECT_NE(std::find(p6.skipped.begin(), p6.skipped.end(),
                      dataplane::skipped_service{"default/web:http/TCP/v6/load-balancer",
                                                 "loadBalancerSourceRanges admit no IPv6 client"}),
            p6.skipped.end());

  // Through the reconciler: the guarded service's ranges reach the map.
  dataplane::fake_map_ops maps;
  reconcile_cleanly(p, maps);
  EXPECT_EQ(maps.range_set.size(), 2u);  // 192.0.2.0/24 for the http and the dns LoadBalancer service
}

}  // namespace
