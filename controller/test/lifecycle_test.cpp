// Tests of allocation over time: restarts restore the ledger, deletions never renumber,
// removed or shrunk pools strand instead of renumbering, hold-down, migration from
// MetalLB through status ingress, and reallocation when the user asks for it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness.hpp"

namespace controller::test {
namespace {

const std::string ok = "  Normal IPAllocated: Assigned IP ";

struct step {
  const char* description;
  std::string manifests;
  std::int64_t now;
  std::vector<std::string> expected;
};

// Runs the steps in sequence, each on the ledger the previous one produced.
model::ledger run(const std::vector<step>& steps, model::ledger l = {}) {
  for (const auto& st : steps) {
    options o;
    o.now = st.now;
    const auto r = allocate(snapshot_of(st.manifests), l, o);
    EXPECT_THAT(render(r), ::testing::ElementsAreArray(st.expected)) << st.description;
    l = r.ledger;
  }
  return l;
}

const std::string p = pool("p", "[10.0.0.0/29]");

TEST(lifecycle, restart_restores_without_events) {
  const auto l = run({
      {"first run", p + svc("a", "s1") + svc("a", "s2"), 100,
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s2: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]"}},
      {"restart: same addresses, nothing to say", p + svc("a", "s1") + svc("a", "s2"), 200,
       {"a/s1: 10.0.0.0 (p)", "a/s2: 10.0.0.1 (p)"}},
  });
  EXPECT_EQ(render_ledger(l), "rev 1; a/s1=10.0.0.0@100 a/s2=10.0.0.1@100");
}

TEST(lifecycle, deleting_a_service_never_moves_another) {
  run({
      {"three services", p + svc("a", "s1") + svc("a", "s2") + svc("a", "s3"), 100,
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "a/s2: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]", "a/s3: 10.0.0.2 (p)",
        ok + "[\"10.0.0.2\"]"}},
      {"s1 deleted, a new service sorting first arrives: the others keep theirs, the freed address is held",
       p + svc("a", "s0") + svc("a", "s2") + svc("a", "s3"), 110,
       {"a/s0: 10.0.0.3 (p)", ok + "[\"10.0.0.3\"]", "a/s2: 10.0.0.1 (p)", "a/s3: 10.0.0.2 (p)"}},
  });
}

TEST(lifecycle, ledger_restores_before_anything_new) {
  model::ledger l;
  l.entries.push_back({"z", "late", {*model::ip_address::parse("10.0.0.0")}, "p", 50});
  run({{"ledger entry for z/late is restored although a/new sorts first", p + svc("a", "new") + svc("z", "late"), 100,
        {"a/new: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]", "z/late: 10.0.0.0 (p)"}}},
      l);
}

TEST(lifecycle, restoring_before_reallocating) {
  model::ledger l;
  l.entries.push_back({"a", "moves", {*model::ip_address::parse("10.0.0.0")}, "p", 50});
  l.entries.push_back({"z", "stays", {*model::ip_address::parse("10.0.0.1")}, "p", 50});
  run({{"a service that changes pool cannot take an address a later ledger entry holds",
        p + pool("q", "[10.0.0.8/30]", "autoAssign: false") +
            svc("a", "moves", "", "annotations: {metallb.io/address-pool: q}") + svc("z", "stays"),
        100, {"a/moves: 10.0.0.8 (q)", ok + "[\"10.0.0.8\"]", "z/stays: 10.0.0.1 (p)"}}},
      l);
}

TEST(lifecycle, removed_or_shrunk_pool_strands_instead_of_renumbering) {
  const auto l = run({
      {"two pools", p + pool("q", "[10.0.1.0/30]") + svc("a", "s1") + svc("b", "s2", "", "annotations: {metallb.io/address-pool: q}"),
       100, {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "b/s2: 10.0.1.0 (q)", ok + "[\"10.0.1.0\"]"}},
      {"pool q deleted, pool p shrunk away from s1's address",
       pool("p", "[10.0.0.4/30]") + svc("a", "s1") + svc("b", "s2", "", "annotations: {metallb.io/address-pool: q}"), 200,
       {"a/s1: 10.0.0.0 (p)", "  Warning PoolRemoved: address 10.0.0.0 no longer in any pool", "b/s2: 10.0.1.0 (q)",
        "  Warning PoolRemoved: address 10.0.1.0 no longer in any pool"}},
  });
  const auto r = allocate(snapshot_of(pool("p", "[10.0.0.4/30]") + svc("a", "s1") + svc("b", "s2")), l, {});
  EXPECT_THAT(render_pools(r), ::testing::ElementsAre("p: v4 0/4 v6 0/0 stranded 1", "q: v4 0/0 v6 0/0 stranded 1"));
}

TEST(lifecycle, dual_stack_pool_losing_one_family_strands_that_address_only) {
  const std::string dual = "clusterIPs: [10.96.0.1, 'fd00:96::1'], ipFamilyPolicy: RequireDualStack";
  run({
      {"dual-stack service", pool("d", "[10.0.0.0/30, 'fd00::/126']") + svc("a", "s1", dual), 100,
       {"a/s1: 10.0.0.0 fd00:: (d)", ok + "[\"10.0.0.0\" \"fd00::\"]"}},
      {"the pool drops its IPv6 range", pool("d", "[10.0.0.0/30]") + svc("a", "s1", dual), 110,
       {"a/s1: 10.0.0.0 fd00:: (d)", "  Warning PoolRemoved: address fd00:: no longer in any pool"}},
  });
}

TEST(lifecycle, hold_down_returns_the_address_to_a_recreated_service) {
  run({
      {"one service", p + svc("a", "web"), 100, {"a/web: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
      {"deleted", p, 110, {}},
      {"another service arrives during hold-down: not the held address", p + svc("a", "other"), 120,
       {"a/other: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]"}},
      {"re-created within hold-down: its address back", p + svc("a", "other") + svc("a", "web"), 300,
       {"a/other: 10.0.0.1 (p)", "a/web: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
  });
  auto l = run({
      {"one service", p + svc("a", "web"), 100, {"a/web: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
      {"deleted", p, 110, {}},
  });
  EXPECT_EQ(render_ledger(l), "rev 2; hold 10.0.0.0 for a/web@110");
  l = run({{"after hold-down the address is free for anyone", p + svc("a", "other"), 410,
            {"a/other: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}}},
          l);
  EXPECT_EQ(render_ledger(l), "rev 3; a/other=10.0.0.0@410");
  run({
      {"deleted and re-created within the same batch keeps its address", p + svc("a", "web"), 100,
       {"a/web: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
      {"type changed away and a new service arrives in the same run",
       p + svc("a", "web", "type: ClusterIP") + svc("a", "new"), 110, {"a/new: 10.0.0.1 (p)", ok + "[\"10.0.0.1\"]"}},
  });
}

TEST(lifecycle, no_hold_down) {
  model::ledger l;
  l.entries.push_back({"a", "web", {*model::ip_address::parse("10.0.0.0")}, "p", 50});
  options o;
  o.now = 100;
  o.hold_down = std::chrono::seconds{0};
  const auto r = allocate(snapshot_of(p + svc("a", "other")), l, o);
  EXPECT_THAT(render(r), ::testing::ElementsAre("a/other: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"));
  EXPECT_TRUE(r.ledger.holds.empty());
}

TEST(lifecycle, migration_keeps_status_ingress) {
  const std::string ingress = "status: {loadBalancer: {ingress: [{ip: 10.0.0.5}]}}\n---\n";
  std::string migrated = svc("z", "old");
  migrated.replace(migrated.rfind("---\n"), 4, ingress);
  run({{"an address MetalLB gave is kept, and nobody new takes it first", p + svc("a", "new") + migrated, 100,
        {"a/new: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "z/old: 10.0.0.5 (p)"}}});
}

// An address a Service already carries in its status (given by MetalLB, or by bgplb before
// its state directory was lost) that no pool covers is kept, as a ledger entry would be:
// renumbering a live service breaks its clients.
TEST(lifecycle, status_ingress_outside_every_pool_is_stranded_not_renumbered) {
  auto with_ingress = [](std::string s, const std::string& ips) {
    s.replace(s.rfind("---\n"), 4, "status: {loadBalancer: {ingress: [" + ips + "]}}\n---\n");
    return s;
  };
  const std::string dual = "clusterIPs: [10.96.0.1, 'fd00:96::1'], ipFamilyPolicy: RequireDualStack";
  const std::string from_q = "annotations: {metallb.io/ip-allocated-from-pool: q}";
  run({{"MetalLB's pool annotation names the pool it is counted against",
        p + with_ingress(svc("z", "old", "", from_q), "{ip: 192.0.2.1}"), 100,
        {"z/old: 192.0.2.1 (q)", "  Warning PoolRemoved: address 192.0.2.1 no longer in any pool"}}});
  auto l = run({{"dual-stack: the address still in its recorded pool stays with it",
                 pool("q", "[10.0.1.0/30]") + with_ingress(svc("z", "old", dual, from_q), "{ip: 10.0.1.2}, {ip: 'fd00::9'}"),
                 100, {"z/old: 10.0.1.2 fd00::9 (q)", "  Warning PoolRemoved: address fd00::9 no longer in any pool"}}});
  EXPECT_EQ(render_ledger(l), "rev 1; z/old=10.0.1.2,fd00::9@100");
  run({{"without the annotation the pool is not known, so such a pair is not kept",
        pool("q", "[10.0.1.0/30]") + with_ingress(svc("z", "old", dual), "{ip: 10.0.1.2}, {ip: 'fd00::9'}"), 100,
        {"z/old:",
         "  Normal ClearAssignment: current IP for \"z/old\" not allowed by config, will attempt for new IP assignment: "
         "[\"10.0.1.2\" \"fd00::9\"] is not allowed in config",
         "  Warning AllocationFailed: Failed to allocate IP for \"z/old\": no available IPs: no pool offers both IPv4 "
         "and IPv6, and a dual-stack service takes both addresses from one pool; pools considered: q (IPv4)"}}});
  const auto r = allocate(snapshot_of(p + with_ingress(svc("z", "old"), "{ip: 192.0.2.1}") +
                                      with_ingress(svc("z", "q", "", from_q), "{ip: 192.0.2.2}")),
                          {}, {});
  EXPECT_THAT(render_pools(r), ::testing::ElementsAre("p: v4 0/8 v6 0/0", "q: v4 0/0 v6 0/0 stranded 1"))
      << "an address with no pool on record is counted against none";
  l = run({
      {"no pool on record; nobody new takes it", p + with_ingress(svc("z", "old"), "{ip: 192.0.2.1}") + svc("a", "new"), 100,
       {"a/new: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]", "z/old: 192.0.2.1",
        "  Warning PoolRemoved: address 192.0.2.1 no longer in any pool"}},
      {"the next pass restores it from the ledger, without a pool", p + svc("a", "new") + svc("z", "old"), 100,
       {"a/new: 10.0.0.0 (p)", "z/old: 192.0.2.1", "  Warning PoolRemoved: address 192.0.2.1 no longer in any pool"}},
  });
  EXPECT_EQ(render_ledger(l), "rev 1; a/new=10.0.0.0@100 z/old=192.0.2.1@100");
  run({
      {"stranded from status", p + with_ingress(svc("z", "old"), "{ip: 192.0.2.1}"), 100,
       {"z/old: 192.0.2.1", "  Warning PoolRemoved: address 192.0.2.1 no longer in any pool"}},
      {"a pool covering it again: an ordinary allocation of that pool", p + pool("q", "[192.0.2.0/30]") + svc("z", "old"),
       200, {"z/old: 192.0.2.1 (q)"}},
      {"the user moves it deliberately", p + svc("z", "old", "", "annotations: {metallb.io/address-pool: p}"), 300,
       {"z/old: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
  });
  run({{"a requested address elsewhere still wins over the status",
        p + with_ingress(svc("z", "old", "loadBalancerIP: 10.0.0.3"), "{ip: 192.0.2.1}"), 100,
        {"z/old: 10.0.0.3 (p)", ok + "[\"10.0.0.3\"]"}}});
}

TEST(lifecycle, user_changes_reallocate) {
  const std::string q = pool("q", "[10.0.1.0/30]", "serviceAllocation: {namespaces: [a]}");
  run({
      {"start", p + q + svc("a", "s1"), 100, {"a/s1: 10.0.1.0 (q)", ok + "[\"10.0.1.0\"]"}},
      {"requested address changes", p + q + svc("a", "s1", "loadBalancerIP: 10.0.1.2"), 110,
       {"a/s1: 10.0.1.2 (q)", ok + "[\"10.0.1.2\"]"}},
      {"annotation names another pool", p + q + svc("a", "s1", "", "annotations: {metallb.io/address-pool: p}"), 120,
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
      {"pool stops selecting the service", p + pool("q", "[10.0.1.0/30]", "serviceAllocation: {namespaces: [b]}") +
                                                svc("a", "s1", "", "annotations: {metallb.io/address-pool: p}"),
       130, {"a/s1: 10.0.0.0 (p)"}},
  });
  run({
      {"start", p + q + svc("a", "s1"), 100, {"a/s1: 10.0.1.0 (q)", ok + "[\"10.0.1.0\"]"}},
      {"pool no longer matches the namespace", p + pool("q", "[10.0.1.0/30]", "serviceAllocation: {namespaces: [b]}") + svc("a", "s1"),
       110,
       {"a/s1: 10.0.0.0 (p)",
        "  Normal ClearAssignment: current IP for \"a/s1\" not allowed by config, will attempt for new IP assignment: "
        "pool q not compatible for ip assignment",
        ok + "[\"10.0.0.0\"]"}},
      {"malformed request later: address kept, warning shown",
       p + pool("q", "[10.0.1.0/30]", "serviceAllocation: {namespaces: [b]}") +
           svc("a", "s1", "", "annotations: {metallb.io/loadBalancerIPs: bogus}"),
       120,
       {"a/s1: 10.0.0.0 (p)", "  Warning LoadBalancerFailed: Failed to allocate IP for \"a/s1\": invalid "
                              "metallb.io/loadBalancerIPs annotation bogus"}},
  });
}

TEST(lifecycle, prefer_dual_stack_adds_the_missing_family_later) {
  const std::string dual = "clusterIPs: [10.96.0.1, 'fd00:96::1'], ipFamilyPolicy: PreferDualStack";
  run({
      {"v4 only for now", pool("d", "[10.0.0.0/30]") + svc("a", "s1", dual), 100,
       {"a/s1: 10.0.0.0 (d)", ok + "[\"10.0.0.0\"]",
        "  Normal AdditionalAssignFailed: cannot assign additional IP in PreferDualStack: no available IPs in pool "
        "\"d\" for ipv6 IPFamily"}},
      {"the pool gains IPv6: the service gains an address, keeps the old one", pool("d", "[10.0.0.0/30, 'fd00::/126']") + svc("a", "s1", dual),
       110, {"a/s1: 10.0.0.0 fd00:: (d)", "  Normal IPAllocated: Assigned additional IP \"fd00::\""}},
      {"and says so once", pool("d", "[10.0.0.0/30, 'fd00::/126']") + svc("a", "s1", dual), 120, {"a/s1: 10.0.0.0 fd00:: (d)"}},
  });
}

TEST(lifecycle, sole_user_may_change_its_sharing_key) {
  run({
      {"start", p + svc("a", "s1", "", "annotations: {metallb.io/allow-shared-ip: k1}"), 100,
       {"a/s1: 10.0.0.0 (p)", ok + "[\"10.0.0.0\"]"}},
      {"key changed, nobody else on the address: kept", p + svc("a", "s1", "", "annotations: {metallb.io/allow-shared-ip: k2}"),
       110, {"a/s1: 10.0.0.0 (p)"}},
  });
}

}  // namespace
}  // namespace controller::test
