// Tests of controller::reconciler with an in-memory state writer: a corrupt ledger stops
// it, results are written only when they change, a restart restores every address.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/reconciler.hpp"
#include "harness.hpp"

namespace controller::test {
namespace {

class memory_state final : public store::state_writer {
 public:
  std::vector<model::error> write(const store::state& s) override {
    if (fail) return {{"mem", "", "", "disk full"}};
    ++writes;
    saved = s;
    return {};
  }
  store::ledger_read read_ledger() override {
    if (corrupt) return {std::nullopt, {{"state/ledger.json", "", "allocations[0].ips[0]", "\"x\" is not an IP address"}}};
    return {saved.ledger, {}};
  }
  store::state saved;
  int writes = 0;
  bool corrupt = false;
  bool fail = false;
};

const std::string manifests = pool("p", "[10.0.0.0/29]") + svc("a", "s1") + svc("a", "s2");

store::update update_of(const std::string& m) {
  store::update u;
  u.snapshot = std::make_shared<const model::snapshot>(snapshot_of(m));
  return u;
}

TEST(reconciler, corrupt_ledger_refuses_to_start) {
  memory_state m;
  m.corrupt = true;
  reconciler r(m, {});
  const auto errs = r.load();
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].to_string(), "state/ledger.json: allocations[0].ips[0]: \"x\" is not an IP address");
  EXPECT_FALSE(r.loaded());
  EXPECT_FALSE(r.reconcile(update_of(manifests), 100).wrote);
  EXPECT_EQ(m.writes, 0);
}

TEST(reconciler, writes_on_change_only_and_restores_after_restart) {
  memory_state m;
  {
    reconciler r(m, {});
    ASSERT_TRUE(r.load().empty());
    EXPECT_TRUE(r.reconcile(update_of(manifests), 100).wrote);
    EXPECT_TRUE(r.reconcile(update_of(manifests), 110).wrote) << "the one-shot IPAllocated events are gone";
    EXPECT_FALSE(r.reconcile(update_of(manifests), 120).wrote) << "nothing changed";
    EXPECT_EQ(m.writes, 2);
    auto broken = update_of(manifests);
    broken.errors.push_back({"x.yaml", "", "", "YAML syntax error"});
    EXPECT_TRUE(r.reconcile(broken, 130).wrote) << "a new config error is shown";
    EXPECT_EQ(m.saved.config_errors, broken.errors);
    EXPECT_TRUE(r.reconcile(update_of(manifests), 140).wrote) << "and cleared";
    EXPECT_EQ(m.writes, 4);
  }
  reconciler restarted(m, {});
  ASSERT_TRUE(restarted.load().empty());
  const auto o = restarted.reconcile(update_of(svc("a", "new") + manifests), 200);
  EXPECT_THAT(render(o.allocation),
              ::testing::ElementsAre("a/new: 10.0.0.2 (p)", "  Normal IPAllocated: Assigned IP [\"10.0.0.2\"]",
                                     "a/s1: 10.0.0.0 (p)", "a/s2: 10.0.0.1 (p)"));
  EXPECT_EQ(m.saved.ledger.revision, 2u);
}

TEST(reconciler, says_which_services_changed_since_the_last_write) {
  memory_state m;
  reconciler r(m, {});
  ASSERT_TRUE(r.load().empty());
  const auto first = update_of(manifests);
  const auto o1 = r.reconcile(first, 100);
  ASSERT_TRUE(o1.wrote);
  EXPECT_TRUE(o1.all) << "the first write may change anything";
  const auto o2 = r.reconcile(first, 110);  // the same update again: the IPAllocated events go
  ASSERT_TRUE(o2.wrote);
  EXPECT_FALSE(o2.all);
  EXPECT_EQ(o2.changed, (std::vector<model::name_key>{{"a", "s1"}, {"a", "s2"}}));
  auto added = update_of(manifests + svc("a", "s3"));
  added.changes.added.push_back({model::kind::service, "a", "s3"});
  const auto o3 = r.reconcile(added, 120);
  ASSERT_TRUE(o3.wrote);
  EXPECT_FALSE(o3.all);
  EXPECT_EQ(o3.changed, (std::vector<model::name_key>{{"a", "s3"}}));
  m.fail = true;
  EXPECT_FALSE(r.reconcile(update_of(manifests), 130).wrote);
  m.fail = false;
  const auto o4 = r.reconcile(update_of(manifests), 140);
  ASSERT_TRUE(o4.wrote);
  EXPECT_TRUE(o4.all) << "after a failed write the allocator starts over";
}

// A cluster datastore shows the controller its own writes again (the Kubernetes watch
// echoes each Service's status and annotations): the echoed Services are re-run, the
// result is the same, and nothing is written again.
TEST(reconciler, the_echo_of_its_own_write_writes_nothing) {
  memory_state m;
  reconciler r(m, {});
  ASSERT_TRUE(r.load().empty());
  ASSERT_TRUE(r.reconcile(update_of(manifests), 100).wrote);
  ASSERT_TRUE(r.reconcile(update_of(manifests), 110).wrote);  // the IPAllocated events go
  ASSERT_EQ(m.writes, 2);
  auto as_written = [](const std::string& name, const std::string& ip) {
    auto s = svc("a", name, "", "annotations: {metallb.io/ip-allocated-from-pool: p, bgplb.io/allocated-since: '100'}");
    return s.replace(s.rfind("---\n"), 4, "status: {loadBalancer: {ingress: [{ip: " + ip + "}]}}\n---\n");
  };
  auto echo = update_of(pool("p", "[10.0.0.0/29]") + as_written("s1", "10.0.0.0") + svc("a", "s2"));
  echo.changes.modified.push_back({model::kind::service, "a", "s1"});
  EXPECT_FALSE(r.reconcile(echo, 120).wrote);
  auto both = update_of(pool("p", "[10.0.0.0/29]") + as_written("s1", "10.0.0.0") + as_written("s2", "10.0.0.1"));
  both.changes.modified.push_back({model::kind::service, "a", "s2"});
  EXPECT_FALSE(r.reconcile(both, 130).wrote);
  EXPECT_EQ(m.writes, 2);
}

TEST(reconciler, failed_write_keeps_the_old_ledger_and_retries) {
  memory_state m;
  reconciler r(m, {});
  ASSERT_TRUE(r.load().empty());
  m.fail = true;
  const auto o = r.reconcile(update_of(manifests), 100);
  EXPECT_FALSE(o.wrote);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(r.ledger(), model::ledger{});
  m.fail = false;
  EXPECT_TRUE(r.reconcile(update_of(manifests), 110).wrote);
  EXPECT_EQ(r.ledger().entries.size(), 2u);
}

// The reconciler keeps no copy of the ledger next to the allocator: after a failed write
// it reads the written one back and starts over from it.
TEST(reconciler, failed_write_after_a_write_starts_over_from_the_written_ledger) {
  memory_state m;
  reconciler r(m, {});
  ASSERT_TRUE(r.load().empty());
  ASSERT_TRUE(r.reconcile(update_of(manifests), 100).wrote);
  const auto written = m.saved.ledger;
  ASSERT_EQ(written.entries.size(), 2u);
  m.fail = true;
  auto more = update_of(manifests + svc("a", "s0"));
  more.changes.added.push_back({model::kind::service, "a", "s0"});
  const auto o = r.reconcile(more, 110);
  EXPECT_FALSE(o.wrote);
  EXPECT_EQ(o.allocation.ledger.entries.size(), 3u) << "allocated, but not persisted";
  EXPECT_EQ(r.ledger(), written);
  m.fail = false;
  const auto again = r.reconcile(more, 120);
  EXPECT_TRUE(again.wrote);
  EXPECT_EQ(r.ledger(), m.saved.ledger);
  EXPECT_THAT(render_ledger(m.saved.ledger), ::testing::HasSubstr("a/s0"));
  EXPECT_EQ(m.saved.ledger.revision, written.revision + 1) << "one change against the written ledger";
}

TEST(reconciler, unreadable_ledger_after_a_failed_write_is_retried) {
  memory_state m;
  reconciler r(m, {});
  ASSERT_TRUE(r.load().empty());
  ASSERT_TRUE(r.reconcile(update_of(manifests), 100).wrote);
  m.fail = true;
  m.corrupt = true;
  auto more = update_of(manifests + svc("a", "s0"));
  more.changes.added.push_back({model::kind::service, "a", "s0"});
  auto o = r.reconcile(more, 110);
  EXPECT_FALSE(o.wrote);
  ASSERT_EQ(o.errors.size(), 2u);
  EXPECT_EQ(o.errors[0].to_string(), "mem: disk full");
  EXPECT_EQ(o.errors[1].to_string(), "state/ledger.json: allocations[0].ips[0]: \"x\" is not an IP address");
  m.fail = false;
  o = r.reconcile(more, 120);
  EXPECT_FALSE(o.wrote) << "no pass without the written ledger";
  ASSERT_EQ(o.errors.size(), 1u);
  m.corrupt = false;
  EXPECT_TRUE(r.reconcile(more, 130).wrote);
  EXPECT_EQ(m.saved.ledger.entries.size(), 3u);
}

}  // namespace
}  // namespace controller::test
