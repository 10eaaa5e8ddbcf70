// Table tests of controller::allocate on a fresh start: each row names the MetalLB rule
// (or bgplb difference) it checks, the manifests, and the expected plan.
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness.hpp"

namespace controller::test {
namespace {

struct row {
  const char* description;
  std::string manifests;
  std::vector<std::string> expected;
};

void run(const std::vector<row>& rows, const options& opts = {}) {
  for (const auto& r : rows) {
    const auto s = snapshot_of(r.manifests);
    EXPECT_THAT(render(allocate(s, {}, opts)), ::testing::ElementsAreArray(r.expected)) << r.description;
  }
}

const std::string ok = "  Normal IPAllocated: Assigned IP ";

TEST(allocate, pool_choice_and_address_order) {
  run({
      {"lowest free address first, ranges in spec order",
       pool("p", "[10.0.0.8/30, 10.0.0.0/30]") + svc("a", "s1") + svc("a", "s2"),
       {"a/s1: 10.0.0.8 (p)", ok + "[\"10.0.0.8\"]", "a/s2: 10.0.0.9 (p)", ok + "[\"10.0.0.9\"]"}},
      {"range syntax walks ascending",
       pool("p", "[10.0.0.5-10.0.0.6]") + svc("a", "s1") + svc("a", "s2") + svc("a", "s3"),
       {"a/s1: 10.0.0.5 (p)", ok + "[\"10.0.0.5\"]", "a/s2: 10.0.0.6 (p)", ok + "[\"10.0.0.6\"]", "a/s3:",
        "  Warning AllocationFailed: Failed to allocate IP for \"a/s3\": no available IPs"}},
      {"avoidBuggyIPs skips .0 and .255",
       pool("p", "[10.0.0.255-10.0.1.1]", "avoidBuggyIPs: true") + svc("a", "s1") + svc("a", "s2"),
       {"a/s1: 10.0.1.1 (p)", ok + "[\"10.0.1.1\"]", "a/s2:",
        "  Warning AllocationFailed: Failed to allocate IP for \"a/s2\": no available IPs"}},
      {"without avoidBuggyIPs .255 is fine", pool("p", "[10.0.0.255-10.0.1.1]") + svc("a", "s1"),
       {"a/s1: 10.0.0.255 (p)", ok + "[\"10.0.0.255\"]"}},
      {"bgplb: unpinned pools in name order (MetalLB: random map order)",
       pool("zeta", "[10.0.9.0/30]") + pool("alpha", "[10.0.5.0/30]") + svc("a", "s1"),
       {"a/s1: 10.0.5.0 (alpha)", ok + "[\"10.0.5.0\"]"}},
      {"autoAssign false is skipped by automatic allocation",
       pool("alpha", "[10.0.5.0/30]", "autoAssign: false") + pool("beta", "[10.0.9.0/30]") + svc("a", "s1"),
       {"a/s1: 10.0.9.0 (beta)", ok + "[\"10.0.9.0\"]"}},
      {"next pool when the first is full",
       pool("alpha", "[10.0.5.0/32]") + pool("beta", "[10.0.9.0/30]") + svc("a", "s1") + svc("a", "s2"),
       {"a/s1: 10.0.5.0 (alpha)", ok + "[\"10.0.5.0\"]", "a/s2: 10.0.9.0 (beta)", ok + "[\"10.0.9.0\"]"}},
      {"address-pool annotation, even with autoAssign false",
       pool("alpha", "[10.0.5.0/30]") + pool("manual", "[10.0.9.0/30]", "autoAssign: false") +
           svc("a", "s1", "", "annotations: {metallb.io/address-pool: manual}"),
       {"a/s1: 10.0.9.0 (manual)", ok + "[\"10.0.9.0\"]"}},
      {"unknown pool in the annotation",
       pool("alpha", "[10.0.5.0/30]") + svc("a", "s1", "", "annotations: {metallb.io/address-pool: nope}"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": unknown pool \"nope\""}},
      {"no pools at all", svc("a", "s1"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": no available IPs: there is no "
                 "IPAddressPool"}},
      {"no pool open to the service: says why",
       pool("manual", "[10.0.9.0/30]", "autoAssign: false") + svc("a", "s1"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": no available IPs: no pool is open to "
                 "this service (autoAssign: false pools serve only services that name them, pools with "
                 "serviceAllocation only the services it selects)"}},
      {"deprecated annotation spelling works with a warning",
       pool("alpha", "[10.0.5.0/30]") + pool("beta", "[10.0.9.0/30]") +
           svc("a", "s1", "", "annotations: {metallb.universe.tf/address-pool: beta}"),
       {"a/s1: 10.0.9.0 (beta)",
        "  Warning deprecatedAnnotation: annotation metallb.universe.tf/address-pool is deprecated, use "
        "metallb.io/address-pool",
        ok + "[\"10.0.9.0\"]"}},
  });
}

TEST(allocate, service_allocation_pinning) {
  const std::string ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {tier: gold}}\n---\n";
  run({
      {"pinned pool by namespace wins over unpinned pools",
       pool("any", "[10.0.1.0/30]") + pool("prod", "[10.0.2.0/30]", "serviceAllocation: {namespaces: [prod]}") +
           svc("prod", "s1") + svc("dev", "s2"),
       {"dev/s2: 10.0.1.0 (any)", ok + "[\"10.0.1.0\"]", "prod/s1: 10.0.2.0 (prod)", ok + "[\"10.0.2.0\"]"}},
      {"pinned pools by ascending priority, 0 (unset) last",
       pool("p-unset", "[10.0.1.0/30]", "serviceAllocation: {namespaces: [prod]}") +
           pool("p-five", "[10.0.2.0/30]", "serviceAllocation: {namespaces: [prod], priority: 5}") +
           pool("p-one", "[10.0.3.0/30]", "serviceAllocation: {namespaces: [prod], priority: 1}") + svc("prod", "s1"),
       {"prod/s1: 10.0.3.0 (p-one)", ok + "[\"10.0.3.0\"]"}},
      {"pool with serviceAllocation is never a fallback for others",
       pool("prod", "[10.0.2.0/30]", "serviceAllocation: {namespaces: [prod]}") + svc("dev", "s1"),
       {"dev/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"dev/s1\": no available IPs: no pool is open "
                   "to this service (autoAssign: false pools serve only services that name them, pools with "
                   "serviceAllocation only the services it selects)"}},
      {"serviceSelectors pin by service labels",
       pool("any", "[10.0.1.0/30]") +
           pool("web", "[10.0.2.0/30]", "serviceAllocation: {serviceSelectors: [{matchLabels: {app: web}}]}") +
           svc("a", "s1", "", "labels: {app: web}") + svc("a", "s2", "", "labels: {app: db}"),
       {"a/s1: 10.0.2.0 (web)", ok + "[\"10.0.2.0\"]", "a/s2: 10.0.1.0 (any)", ok + "[\"10.0.1.0\"]"}},
      {"namespaceSelectors resolve through Namespace labels",
       ns + pool("any", "[10.0.1.0/30]") +
           pool("gold", "[10.0.2.0/30]", "serviceAllocation: {namespaceSelectors: [{matchLabels: {tier: gold}}]}") +
           svc("team", "s1") + svc("other", "s2"),
       {"other/s2: 10.0.1.0 (any)", ok + "[\"10.0.1.0\"]", "team/s1: 10.0.2.0 (gold)", ok + "[\"10.0.2.0\"]"}},
      {"serviceAllocation without selectors pins every service",
       pool("any", "[10.0.1.0/30]") + pool("everyone", "[10.0.2.0/30]", "serviceAllocation: {priority: 3}") +
           svc("x", "s1"),
       {"x/s1: 10.0.2.0 (everyone)", ok + "[\"10.0.2.0\"]"}},
      {"annotation naming an incompatible pool",
       pool("prod", "[10.0.2.0/30]", "serviceAllocation: {namespaces: [prod]}") +
           svc("dev", "s1", "", "annotations: {metallb.io/address-pool: prod}"),
       {"dev/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"dev/s1\": pool prod not compatible for ip "
                   "assignment"}},
  });
}

TEST(allocate, requested_addresses) {
  const std::string pools = pool("auto", "[10.0.1.0/30, 'fd00::/126']") + pool("manual", "[10.0.2.0/30]", "autoAssign: false");
  run({
      {"spec.loadBalancerIP, from an autoAssign false pool", pools + svc("a", "s1", "loadBalancerIP: 10.0.2.3"),
       {"a/s1: 10.0.2.3 (manual)", ok + "[\"10.0.2.3\"]"}},
      {"loadBalancerIPs annotation, dual-stack",
       pools + svc("a", "s1", "clusterIPs: [10.96.0.1, 'fd00:96::1'], ipFamilyPolicy: RequireDualStack",
                   "annotations: {metallb.io/loadBalancerIPs: '10.0.1.2, fd00::3'}"),
       {"a/s1: 10.0.1.2 fd00::3 (auto)", ok + "[\"10.0.1.2\" \"fd00::3\"]"}},
      {"annotation and spec.loadBalancerIP both set",
       pools + svc("a", "s1", "loadBalancerIP: 10.0.1.1", "annotations: {metallb.io/loadBalancerIPs: 10.0.1.2}"),
       {"a/s1:", "  Warning LoadBalancerFailed: Failed to allocate IP for \"a/s1\": service can not have both "
                 "metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP"}},
      {"malformed request", pools + svc("a", "s1", "", "annotations: {metallb.io/loadBalancerIPs: '10.0.1.x'}"),
       {"a/s1:", "  Warning LoadBalancerFailed: Failed to allocate IP for \"a/s1\": invalid metallb.io/loadBalancerIPs "
                 "annotation 10.0.1.x"}},
      {"requested address in no pool", pools + svc("a", "s1", "loadBalancerIP: 192.0.2.1"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": [\"192.0.2.1\"] is not allowed in "
                 "config"}},
      {"requested family must match the cluster IP family", pools + svc("a", "s1", "loadBalancerIP: 'fd00::1'"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": requested loadBalancer IP(s) "
                 "[\"fd00::1\"] does not match the ipFamily of the service"}},
      {"requested address must lie in the annotated pool",
       pools + svc("a", "s1", "loadBalancerIP: 10.0.1.1", "annotations: {metallb.io/address-pool: manual}"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": requested IP(s) [\"10.0.1.1\"] are "
                 "not in pool \"manual\""}},
      {"requested address already taken", pools + svc("a", "s1", "loadBalancerIP: 10.0.1.1") +
                                              svc("a", "s2", "loadBalancerIP: 10.0.1.1"),
       {"a/s1: 10.0.1.1 (auto)", ok + "[\"10.0.1.1\"]", "a/s2:",
        "  Warning AllocationFailed: Failed to allocate IP for \"a/s2\": can't change sharing key for \"a/s2\", address "
        "also in use by a/s1"}},
      {"avoided buggy address cannot be requested",
       pool("p", "[10.0.0.0/24]", "avoidBuggyIPs: true") + svc("a", "s1", "loadBalancerIP: 10.0.0.0"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": [\"10.0.0.0\"] is not allowed in "
                 "config"}},
  });
}

TEST(allocate, sharing) {
  const std::string p = pool("p", "[10.0.0.0/30]");
  const std::string key = "annotations: {metallb.io/allow-shared-ip: k}";
  run({
      {"same key, disjoint ports: one address", p + svc("a", "s1", "ports: [{port: 80}]", key) +
                                                    svc("a", "s2", "ports: [{port: 443}]", key),
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s2: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
      {"TCP/53 and UDP/53 share", p + svc("a", "s1", "ports: [{port: 53}]", key) +
                                      svc("a", "s2", "ports: [{port: 53, protocol: UDP}]", key),
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s2: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
      {"same key, same port: next address", p + svc("a", "s1", "", key) + svc("a", "s2", "", key),
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s2: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]"}},
      {"packing onto the first compatible address",
       p + svc("a", "s1", "", key) + svc("a", "s2", "", key) + svc("a", "s3", "ports: [{port: 443}]", key),
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s2: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]", "a/s3: 10.0.0.0 (p)",
        ok + "[\"10.0.0.0\"]"}},
      {"different keys never share", p + svc("a", "s1", "ports: [{port: 80}]", key) +
                                         svc("a", "s2", "ports: [{port: 443}]", "annotations: {metallb.io/allow-shared-ip: other}"),
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s2: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]"}},
      {"requested shared address with a different key",
       p + svc("a", "s1", "loadBalancerIP: 10.0.0.1", key) +
           svc("a", "s2", "loadBalancerIP: 10.0.0.1, ports: [{port: 443}]", "annotations: {metallb.io/allow-shared-ip: x}"),
       {"a/s1: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]", "a/s2:",
        "  Warning AllocationFailed: Failed to allocate IP for \"a/s2\": can't change sharing key for \"a/s2\", address "
        "also in use by a/s1"}},
      {"requested shared address with a port clash",
       p + svc("a", "s1", "loadBalancerIP: 10.0.0.1", key) + svc("a", "s2", "loadBalancerIP: 10.0.0.1", key),
       {"a/s1: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]", "a/s2:",
        "  Warning AllocationFailed: Failed to allocate IP for \"a/s2\": port TCP/80 is already in use on \"10.0.0.1\""}},
      {"Local and Cluster traffic policy never share",
       p + svc("a", "s1", "ports: [{port: 80}], externalTrafficPolicy: Local, selector: {app: x}", key) +
           svc("a", "s2", "ports: [{port: 443}]", key),
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s2: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]"}},
      {"Local services share only with the same selector",
       p + svc("a", "s1", "ports: [{port: 80}], externalTrafficPolicy: Local, selector: {app: x}", key) +
           svc("a", "s2", "ports: [{port: 443}], externalTrafficPolicy: Local, selector: {app: x}", key) +
           svc("a", "s3", "ports: [{port: 8080}], externalTrafficPolicy: Local, selector: {app: y}", key),
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s2: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s3: 10.0.0.1 (p)",
        ok + "[\"10.0.0.1\"]"}},
  });
}

TEST(allocate, families) {
  const std::string dual = "clusterIPs: [10.96.0.1, 'fd00:96::1'], ";
  run({
      {"RequireDualStack takes one address per family from one pool",
       pool("d", "[10.0.0.0/30, 'fd00::/126']") + svc("a", "s1", dual + "ipFamilyPolicy: RequireDualStack"),
       {"a/s1: 10.0.0.0 fd00:: (d)", ok + "[\"10.0.0.0\" \"fd00::\"]"}},
      {"RequireDualStack needs a pool with both families (MetalLB): the message says so and names the pools",
       pool("a4", "[10.0.0.0/30]") + pool("b6", "['fd00::/126']") + svc("a", "s1", dual + "ipFamilyPolicy: RequireDualStack"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": no available IPs: no pool offers both "
                 "IPv4 and IPv6, and a dual-stack service takes both addresses from one pool; pools considered: a4 "
                 "(IPv4), b6 (IPv6)"}},
      {"only the pools open to the service are considered",
       pool("a4", "[10.0.0.0/30]") + pool("d", "[10.1.0.0/30, 'fd01::/126']", "autoAssign: false") +
           pool("p6", "['fd00::/126']", "serviceAllocation: {namespaces: [a]}") +
           svc("a", "s1", dual + "ipFamilyPolicy: RequireDualStack"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": no available IPs: no pool offers both "
                 "IPv4 and IPv6, and a dual-stack service takes both addresses from one pool; pools considered: p6 "
                 "(IPv6), a4 (IPv4)"}},
      {"a dual-stack pool that is full: MetalLB's words alone",
       pool("d", "[10.0.0.0/32, 'fd00::/128']") + svc("a", "s0", dual + "ipFamilyPolicy: RequireDualStack") +
           svc("a", "s1", dual + "ipFamilyPolicy: RequireDualStack"),
       {"a/s0: 10.0.0.0 fd00:: (d)", ok + "[\"10.0.0.0\" \"fd00::\"]", "a/s1:",
        "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": no available IPs"}},
      {"RequireDualStack with one cluster IP",
       pool("d", "[10.0.0.0/30, 'fd00::/126']") + svc("a", "s1", "ipFamilyPolicy: RequireDualStack"),
       {"a/s1:", "  Warning not enough clusterips: Service requires dual stack but not enough clusterips [10.96.0.1]"}},
      {"PreferDualStack accepts one family and says so",
       pool("a4", "[10.0.0.0/30]") + svc("a", "s1", dual + "ipFamilyPolicy: PreferDualStack"),
       {"a/s1: 10.0.0.0 (a4)", ok + "[\"10.0.0.0\"]",
        "  Normal AdditionalAssignFailed: cannot assign additional IP in PreferDualStack: no available IPs in pool "
        "\"a4\" for ipv6 IPFamily"}},
      {"IPv6 single stack skips IPv4 ranges",
       pool("d", "[10.0.0.0/30, 'fd00::/126']") + svc("a", "s1", "clusterIP: 'fd00:96::1'"),
       {"a/s1: fd00:: (d)", ok + "[\"fd00::\"]"}},
      {"IPv6 service, IPv4-only pool",
       pool("a4", "[10.0.0.0/30]") + svc("a", "s1", "clusterIP: 'fd00:96::1', loadBalancerClass: null", ""),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": no available IPs: no pool offers "
                 "IPv6; pools considered: a4 (IPv4)"}},
      {"annotated pool of the wrong family",
       pool("a4", "[10.0.0.0/30]") + svc("a", "s1", "clusterIP: 'fd00:96::1'", "annotations: {metallb.io/address-pool: a4}"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": no available IPs in pool \"a4\" for "
                 "ipv6 IPFamily"}},
  });
}

// A Service written by hand has no cluster IP (no API server filled one in): its families
// are what the API server would give it, from spec.ipFamilies and spec.ipFamilyPolicy.
TEST(allocate, families_without_a_cluster_ip) {
  const std::string none = "clusterIPs: []";
  const std::string d = pool("d", "[10.0.0.0/30, 'fd00::/126']");
  run({
      {"neither ipFamilies nor a policy: IPv4", d + svc("a", "s1", none), {"a/s1: 10.0.0.0 (d)", ok + "[\"10.0.0.0\"]"}},
      {"ipFamilies [IPv6]", d + svc("a", "s1", none + ", ipFamilies: [IPv6]"), {"a/s1: fd00:: (d)", ok + "[\"fd00::\"]"}},
      {"RequireDualStack: both families, IPv4 first", d + svc("a", "s1", none + ", ipFamilyPolicy: RequireDualStack"),
       {"a/s1: 10.0.0.0 fd00:: (d)", ok + "[\"10.0.0.0\" \"fd00::\"]"}},
      {"PreferDualStack after ipFamilies [IPv6]: both (in the pool's range order, as MetalLB)",
       d + svc("a", "s1", none + ", ipFamilies: [IPv6], ipFamilyPolicy: PreferDualStack"),
       {"a/s1: 10.0.0.0 fd00:: (d)", ok + "[\"10.0.0.0\" \"fd00::\"]"}},
      {"two ipFamilies without a policy: RequireDualStack, as the API server defaults it",
       pool("a4", "[10.0.0.0/30]") + svc("a", "s1", none + ", ipFamilies: [IPv4, IPv6]"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": no available IPs: no pool offers both "
                 "IPv4 and IPv6, and a dual-stack service takes both addresses from one pool; pools considered: a4 "
                 "(IPv4)"}},
      {"PreferDualStack with an IPv4 pool only: one address, and why not two",
       pool("a4", "[10.0.0.0/30]") + svc("a", "s1", none + ", ipFamilyPolicy: PreferDualStack"),
       {"a/s1: 10.0.0.0 (a4)", ok + "[\"10.0.0.0\"]",
        "  Normal AdditionalAssignFailed: cannot assign additional IP in PreferDualStack: no available IPs in pool "
        "\"a4\" for ipv6 IPFamily"}},
      {"PreferDualStack with no pool of either family",
       pool("manual", "[10.0.0.0/30]", "autoAssign: false") + pool("p6", "['fd00::/126']", "serviceAllocation: {namespaces: [b]}") +
           svc("a", "s1", none + ", ipFamilyPolicy: PreferDualStack"),
       {"a/s1:", "  Warning AllocationFailed: Failed to allocate IP for \"a/s1\": no available IPs: no pool is open to "
                 "this service (autoAssign: false pools serve only services that name them, pools with "
                 "serviceAllocation only the services it selects)"}},
  });
}

TEST(allocate, which_services) {
  run({
      {"only LoadBalancer services", pool("p", "[10.0.0.0/30]") + svc("a", "s1", "type: ClusterIP") + svc("a", "s2"),
       {"a/s2: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
      {"services of another loadBalancerClass are not ours",
       pool("p", "[10.0.0.0/30]") + svc("a", "s1", "loadBalancerClass: other") + svc("a", "s2"),
       {"a/s2: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
  });
  options o;
  o.load_balancer_class = "bgplb";
  run({{"a controller with a class serves only that class",
        pool("p", "[10.0.0.0/30]") + svc("a", "s1", "loadBalancerClass: bgplb") + svc("a", "s2"),
        {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}}},
      o);
}

TEST(allocate, pool_status) {
  const auto s = snapshot_of(pool("b", "['fd00::/62', '10.1.0.0/24']", "avoidBuggyIPs: true") + pool("a", "[10.0.0.0/30]") +
                             svc("x", "s1") + svc("x", "s2", "", "annotations: {metallb.io/address-pool: b}") +
                             svc("x", "s3", "clusterIP: 'fd00:96::1'"));
  const auto r = allocate(s, {}, {});
  EXPECT_THAT(render_pools(r), ::testing::ElementsAre("a: v4 1/3 v6 0/0", "b: v4 1/253 v6 1/9223372036854775807"));
}

// The revision grows by one when the pass leaves a ledger other than the one it started
// from (entries or holds), and stays otherwise. The engine compares the two in place.
TEST(allocate, the_revision_grows_only_when_the_ledger_changes) {
  const auto s = snapshot_of(pool("p", "[10.0.0.0/28, 'fd00::/124']") + svc("a", "s1") +
                             svc("a", "s2", "clusterIPs: [10.96.0.1, 'fd00:96::1'], ipFamilyPolicy: PreferDualStack") + svc("b", "s3"));
  options o;
  o.now = 1000;
  const auto first = allocate(s, {}, o);
  ASSERT_EQ(first.ledger.entries.size(), 3u);
  ASSERT_EQ(first.ledger.revision, 1u);
  const model::ledger_hold live{model::ip_address::parse("10.0.0.9").value(), "c", "old", "p", 900};
  const model::ledger_hold expired{model::ip_address::parse("10.0.0.10").value(), "c", "older", "p", 100};
  struct variant {
    const char* description;
    std::function<void(model::ledger&)> edit;
    bool changes;
  };
  const std::vector<variant> variants{
      {"the same ledger", [](model::ledger&) {}, false},
      {"a hold still in force", [&](model::ledger& l) { l.holds.push_back(live); }, false},
      {"a hold that has expired", [&](model::ledger& l) { l.holds.push_back(expired); }, true},
      {"an entry of a service that is gone", [](model::ledger& l) { l.entries.push_back({"z", "gone", {model::ip_address::parse("10.0.0.12").value()}, "p", 5}); }, true},
      {"an entry on record under another pool", [](model::ledger& l) { l.entries[0].pool = "q"; }, true},
      {"an entry missing", [](model::ledger& l) { l.entries.pop_back(); }, true},
  };
  for (const auto& v : variants) {
    model::ledger previous = first.ledger;
    previous.revision = 7;
    v.edit(previous);
    const auto r = allocate(s, previous, o);
    const bool same = r.ledger.entries == previous.entries && r.ledger.holds == previous.holds;
    EXPECT_EQ(same, !v.changes) << v.description;
    EXPECT_EQ(r.ledger.revision, v.changes ? 8u : 7u) << v.description;
  }
}

TEST(allocate, deterministic) {
  std::string m = pool("p1", "[10.0.0.0/28]") + pool("p2", "[10.0.1.0/28, 'fd00::/124']");
  for (int i = 0; i < 30; ++i) {
    m += svc("ns" + std::to_string(i % 3), "s" + std::to_string(i), i % 4 == 0 ? "ports: [{port: " + std::to_string(i + 1) + "}]" : "",
             i % 2 == 0 ? "annotations: {metallb.io/allow-shared-ip: k}" : "");
  }
  const auto s = snapshot_of(m);
  const auto a = allocate(s, {}, {});
  const auto b = allocate(s, {}, {});
  EXPECT_EQ(render(a), render(b));
  EXPECT_EQ(a.ledger, b.ledger);
}

}  // namespace
}  // namespace controller::test
