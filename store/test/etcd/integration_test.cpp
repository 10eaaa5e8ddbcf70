// The etcd datastore against a real 3-member etcd cluster on loopback (cluster.hpp): list
// and watch, resume after a lost member, re-list after compaction, a cluster restarted
// with its data, members and the raft leader killed, quorum lost and regained, TLS with
// client certificates. Leadership and the ledger are in election_test.cpp. Skips, saying
// why, when the etcd binary is missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cluster.hpp"
#include "etcd/layout.hpp"
#include "etcd/open.hpp"
#include "recorder.hpp"

namespace store::etcd {
namespace {

using namespace std::chrono_literals;
using testing::cluster;
using testing::recorder;

const layout keys("/bgplb");

std::string svc(const std::string& name, const std::string& policy = "Cluster") {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         ", namespace: default}\nspec: {type: LoadBalancer, externalTrafficPolicy: " + policy + "}\n";
}
std::string svc_key(const std::string& name) { return keys.key({model::kind::service, "default", name}); }
std::string pool(const std::string& name, const std::string& addresses) {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name +
         ", namespace: metallb-system}\nspec: {addresses: [" + addresses + "]}\n";
}
std::string pool_key(const std::string& name) { return keys.key({model::kind::ip_address_pool, "metallb-system", name}); }

bool has_service(const recorder& r, const std::string& name) {
  return r.snapshot() != nullptr && r.snapshot()->find<model::service>("default", name) != nullptr;
}

class etcd_integration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = cluster::missing(); !why.empty()) GTEST_SKIP() << why;
  }
  // A datastore on `uri` that delivered service a (put first) and is connected; null
  // (with the failure recorded) when it did not.
  static std::unique_ptr<datastore> started(cluster& c, recorder& r, const std::string& uri) {
    c.put(svc_key("a"), svc("a"));
    auto ds = open_etcd(uri, {});
    ds->start(r.changes(), r.health());
    if (r.wait([](const recorder& x) { return has_service(x, "a") && x.connected(); })) return ds;
    ADD_FAILURE() << "service a was not delivered";
    return nullptr;
  }
  // A single-endpoint URI: the datastore talks to member i only.
  static std::string only(const cluster& c, int i, const std::string& params = "timeout=1s") {
    return "etcd://" + c.endpoint(i) + "/bgplb?" + params;
  }
};

TEST_F(etcd_integration, lists_then_watches_and_refuses_bad_values) {
  cluster c;
  ASSERT_TRUE(c.wait_ready(20s));
  c.put(pool_key("prod"), pool("prod", "10.0.0.0/24"));
  c.put(svc_key("web"), svc("web"));
  recorder r;
  auto ds = open_etcd(c.uri(), {});
  ds->start(r.changes(), r.health());
  ASSERT_TRUE(r.wait([](const recorder& x) { return !x.all_changes().empty(); }));
  {
    ASSERT_TRUE(r.wait([](const recorder& x) { return x.connected(); }));
  }
  r.wait([](const recorder& x) {
    const auto& first = x.all_changes().front().change;
    EXPECT_TRUE(first.full);
    EXPECT_EQ(first.objects.snapshot->size(), 2u);
    EXPECT_TRUE(first.objects.errors.empty());
    return true;
  });
  c.put(svc_key("api"), svc("api"));
  ASSERT_TRUE(r.wait([](const recorder& x) { return has_service(x, "api"); }));
  // A bad value: refused, the last good object stays, the error names the key.
  c.put(svc_key("web"), "spec: [");
  ASSERT_TRUE(r.wait([](const recorder& x) { return !x.all_changes().back().change.objects.errors.empty(); }));
  r.wait([](const recorder& x) {
    const auto& last = x.all_changes().back().change;
    EXPECT_FALSE(last.full);
    EXPECT_EQ(last.objects.errors.at(0).file, svc_key("web"));
    EXPECT_TRUE(has_service(x, "web"));
    return true;
  });
  c.del(svc_key("api"));
  ASSERT_TRUE(r.wait([](const recorder& x) { return !has_service(x, "api"); }));
  ds->stop();
}

TEST_F(etcd_integration, bursts_are_coalesced) {
  cluster c;
  ASSERT_TRUE(c.wait_ready(20s));
  recorder r;
  store::open_options o;
  o.coalesce = 50ms;
  auto ds = open_etcd(c.uri(), o);
  ds->start(r.changes(), r.health());
  ASSERT_TRUE(r.wait([](const recorder& x) { return !x.all_changes().empty(); }));
  for (int i = 0; i < 40; ++i) c.put(svc_key("s" + std::to_string(i)), svc("s" + std::to_string(i)));
  ASSERT_TRUE(r.wait([](const recorder& x) { return x.snapshot()->size() == 40; }));
  ds->stop();
  std::size_t added = 0;
  for (std::size_t i = 1; i < r.all_changes().size(); ++i) added += r.all_changes()[i].change.objects.changes.added.size();
  EXPECT_EQ(added, 40u);                     // each exactly once
  EXPECT_LT(r.all_changes().size(), 1u + 40u);  // fewer deliveries than puts
}

// The member the datastore reads from dies: health goes stale (the URI names only it),
// changes made meanwhile arrive when it is back, once each, without a re-list.
TEST_F(etcd_integration, resumes_from_the_last_revision_after_a_lost_member) {
  cluster c;
  ASSERT_TRUE(c.wait_ready(20s));
  recorder r;
  auto ds = started(c, r, only(c, 0));
  ASSERT_TRUE(ds);
  c.kill(0);
  ASSERT_TRUE(r.wait([](const recorder& x) { return !x.connected(); }));
  r.wait([&](const recorder& x) {
    EXPECT_THAT(x.healths().back().error, ::testing::HasSubstr(c.endpoint(0)));
    return true;
  }, 0ms);
  c.put(svc_key("b"), svc("b"));
  c.put(svc_key("a"), svc("a", "Local"));
  c.del(svc_key("b"));
  c.put(svc_key("c"), svc("c"));
  const auto before = r.count();
  c.start(0);
  ASSERT_TRUE(r.wait([](const recorder& x) { return has_service(x, "c") && x.connected(); }, 20s));
  ds->stop();
  std::vector<std::string> added, modified, removed;
  for (std::size_t i = before; i < r.all_changes().size(); ++i) {
    const auto& ch = r.all_changes()[i].change;
    EXPECT_FALSE(ch.full) << "resumed, not listed again";
    for (const auto& k : ch.objects.changes.added) added.push_back(k.name);
    for (const auto& k : ch.objects.changes.modified) modified.push_back(k.name);
    for (const auto& k : ch.objects.changes.removed) removed.push_back(k.name);
  }
  EXPECT_THAT(added, ::testing::UnorderedElementsAre("c")) << "b came and went while away";
  EXPECT_THAT(modified, ::testing::ElementsAre("a"));
  EXPECT_TRUE(removed.empty());
  EXPECT_EQ(r.snapshot()->find<model::service>("default", "a")->external_traffic_policy, model::traffic_policy::local);
}

// Compacted past the last revision seen while away: the watch cannot resume, so the
// datastore lists again and delivers a full change with the right contents.
TEST_F(etcd_integration, lists_again_after_compaction_while_disconnected) {
  cluster c;
  ASSERT_TRUE(c.wait_ready(20s));
  c.put(svc_key("a"), svc("a"));
  c.put(svc_key("b"), svc("b"));
  recorder r;
  auto ds = open_etcd(only(c, 0), {});
  ds->start(r.changes(), r.health());
  ASSERT_TRUE(r.wait([](const recorder& x) { return has_service(x, "b") && x.connected(); }));
  c.kill(0);
  ASSERT_TRUE(r.wait([](const recorder& x) { return !x.connected(); }));
  c.del(svc_key("a"));
  c.put(svc_key("d"), svc("d"));
  c.compact(c.put("/unrelated", "x"));
  const auto before = r.count();
  c.start(0);
  ASSERT_TRUE(r.wait([](const recorder& x) { return has_service(x, "d") && x.connected(); }, 20s));
  ds->stop();
  ASSERT_GT(r.all_changes().size(), before);
  const auto& relist = r.all_changes()[before].change;
  EXPECT_TRUE(relist.full);
  std::vector<std::string> added, removed;
  for (const auto& k : relist.objects.changes.added) added.push_back(k.name);
  for (const auto& k : relist.objects.changes.removed) removed.push_back(k.name);
  EXPECT_THAT(added, ::testing::ElementsAre("d"));
  EXPECT_THAT(removed, ::testing::ElementsAre("a"));
  EXPECT_FALSE(has_service(r, "a"));
}

// Every member killed and started again with its data: the datastore reconnects and
// resumes; nothing is lost.
TEST_F(etcd_integration, survives_the_cluster_restarted_with_its_data) {
  cluster c;
  ASSERT_TRUE(c.wait_ready(20s));
  recorder r;
  auto ds = started(c, r, c.uri("/bgplb", "timeout=1s"));
  ASSERT_TRUE(ds);
  for (int i = 0; i < c.size(); ++i) c.kill(i);
  ASSERT_TRUE(r.wait([](const recorder& x) { return !x.connected(); }, 20s));
  EXPECT_TRUE(has_service(r, "a")) << "the last good state stays";
  for (int i = 0; i < c.size(); ++i) c.start(i);
  ASSERT_TRUE(c.wait_ready(20s));
  ASSERT_TRUE(r.wait([](const recorder& x) { return x.connected(); }, 20s));
  c.put(svc_key("b"), svc("b"));
  ASSERT_TRUE(r.wait([](const recorder& x) { return has_service(x, "b"); }, 20s));
  ds->stop();
  EXPECT_TRUE(has_service(r, "a"));
}

// A follower killed, then (with it back) the raft leader: the datastore fails over and
// keeps delivering; health never goes stale, since another member always answers.
TEST_F(etcd_integration, keeps_working_when_a_member_or_the_leader_dies) {
  cluster c;
  ASSERT_TRUE(c.wait_ready(20s));
  recorder r;
  auto ds = open_etcd(c.uri("/bgplb", "timeout=1s"), {});
  ds->start(r.changes(), r.health());
  ASSERT_TRUE(r.wait([](const recorder& x) { return x.connected(); }));
  int leader = c.leader();
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % c.size();
  c.kill(follower);
  c.put(svc_key("a"), svc("a"));
  ASSERT_TRUE(r.wait([](const recorder& x) { return has_service(x, "a"); }, 20s));
  c.start(follower);
  ASSERT_TRUE(c.wait_ready(20s));
  leader = c.leader();
  ASSERT_GE(leader, 0);
  c.kill(leader);
  ASSERT_TRUE(c.wait_ready(20s));
  c.put(svc_key("b"), svc("b"));
  ASSERT_TRUE(r.wait([](const recorder& x) { return has_service(x, "b"); }, 20s));
  ds->stop();
  for (const auto& h : r.healths()) EXPECT_TRUE(h.connected) << h.error;
}

// Two of three members killed: no quorum, so the survivor refuses ("no leader"); the
// datastore keeps the last good state, says it is stale and why, and converges once the
// members are back.
TEST_F(etcd_integration, serves_the_last_good_state_without_quorum) {
  cluster c;
  ASSERT_TRUE(c.wait_ready(20s));
  recorder r;
  auto ds = started(c, r, c.uri("/bgplb", "timeout=1s"));
  ASSERT_TRUE(ds);
  const int survivor = c.leader() < 0 ? 0 : c.leader();
  for (int i = 0; i < c.size(); ++i) {
    if (i != survivor) c.kill(i);
  }
  ASSERT_TRUE(r.wait([](const recorder& x) { return !x.connected(); }, 30s));
  r.wait([](const recorder& x) {
    EXPECT_FALSE(x.healths().back().error.empty());
    EXPECT_TRUE(x.healths().back().synced);
    EXPECT_TRUE(has_service(x, "a"));
    return true;
  }, 0ms);
  for (int i = 0; i < c.size(); ++i) c.start(i);
  ASSERT_TRUE(c.wait_ready(30s));
  ASSERT_TRUE(r.wait([](const recorder& x) { return x.connected(); }, 30s));
  c.put(svc_key("b"), svc("b"));
  ASSERT_TRUE(r.wait([](const recorder& x) { return has_service(x, "b"); }, 20s));
  ds->stop();
}

TEST_F(etcd_integration, tls_with_client_certificates) {
  testing::cluster_options o;
  o.tls = true;
  cluster c(o);
  ASSERT_TRUE(c.wait_ready(20s));
  recorder r;
  auto ds = started(c, r, c.uri());
  ASSERT_TRUE(ds);
  ds->stop();
  // Without a client certificate the servers refuse: stale from the start, with why.
  recorder refused;
  const auto ca = c.dir() + "/pki/ca.pem";
  auto plain = open_etcd("etcd://" + c.endpoint(0) + "/bgplb?timeout=1s&cacert=" + ca, {});
  plain->start(refused.changes(), refused.health());
  ASSERT_TRUE(refused.wait([](const recorder& x) { return !x.healths().empty(); }));
  plain->stop();
  EXPECT_FALSE(refused.healths().back().connected);
  EXPECT_FALSE(refused.healths().back().synced);
  EXPECT_TRUE(refused.all_changes().empty());
}

TEST_F(etcd_integration, refuses_unreadable_certificates_at_open) {
  try {
    open_etcd("etcd://127.0.0.1:1/bgplb?cacert=/nonexistent/ca.pem", {});
    ADD_FAILURE() << "opened";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cannot read the CA bundle (cacert=) /nonexistent/ca.pem"));
  }
}

}  // namespace
}  // namespace store::etcd
