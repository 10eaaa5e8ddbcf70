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

}  // namespace
}  // namespace controller::test
