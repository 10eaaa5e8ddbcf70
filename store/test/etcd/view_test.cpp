// The etcd datastore's pure core (objects_view.hpp, view.hpp): values admitted or refused
// as the file datastore admits files, last good objects kept, events applied once,
// assignments from the ledger keys, and random edits giving model::diff's change sets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "etcd/codec.hpp"
#include "etcd/view.hpp"

namespace store::etcd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const layout l("/bgplb");

std::string pool(const std::string& name, const std::string& addresses) {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name +
         ", namespace: metallb-system}\nspec: {addresses: [" + addresses + "]}\n";
}
std::string pool_key(const std::string& name) { return l.key({model::kind::ip_address_pool, "metallb-system", name}); }

std::string svc(const std::string& name, const std::string& policy = "Cluster") {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         ", namespace: default}\nspec: {type: LoadBalancer, externalTrafficPolicy: " + policy + "}\n";
}
std::string svc_key(const std::string& name) { return l.key({model::kind::service, "default", name}); }

std::vector<std::string> names(const std::vector<model::object_key>& ks) {
  std::vector<std::string> out;
  for (const auto& k : ks) out.push_back(k.to_string());
  return out;
}

std::vector<std::string> texts(const std::vector<model::error>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(e.to_string());
  return out;
}

kv_event put(std::string key, std::string value, std::int64_t rev) { return {false, std::move(key), std::move(value), rev}; }
kv_event del(std::string key, std::int64_t rev) { return {true, std::move(key), "", rev}; }

TEST(etcd_view, list_admits_good_values_and_names_bad_keys) {
  view v(l, {});
  const auto c = v.reset({{pool_key("prod"), pool("prod", "10.0.0.0/24")},
                          {svc_key("web"), svc("web")},
                          {svc_key("broken"), "kind: [\n"},
                          {svc_key("other"), svc("api")},
                          {l.data_prefix() + "core/pods/default/p", "{}"}},
                         7);
  EXPECT_TRUE(c.full);
  EXPECT_EQ(v.revision(), 7);
  EXPECT_THAT(names(c.objects.changes.added), ElementsAre("Service default/web", "IPAddressPool metallb-system/prod"));
  EXPECT_EQ(c.objects.snapshot->size(), 2u);
  const auto errors = texts(c.objects.errors);
  ASSERT_EQ(errors.size(), 3u) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors[0], HasSubstr("/bgplb/v1/core/pods/default/p: not a key bgplb reads"));
  EXPECT_THAT(errors[1], HasSubstr("/bgplb/v1/core/services/default/broken: line 2, column 1: YAML syntax error"));
  EXPECT_EQ(errors[2], "/bgplb/v1/core/services/default/other: Service default/api: the key names Service default/other");
  ASSERT_TRUE(c.assignments);
  EXPECT_TRUE(c.assignments->empty());
}

TEST(etcd_view, refused_values_keep_the_last_good_object) {
  view v(l, {});
  v.reset({{pool_key("prod"), pool("prod", "10.0.0.0/24")}, {pool_key("lab"), pool("lab", "10.0.1.0/24")}}, 1);
  // Overlap: the changed key is refused, its old object stays.
  auto c = v.apply({put(pool_key("lab"), pool("lab", "10.0.0.128/25"), 2)});
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->objects.changes.empty());
  ASSERT_EQ(c->objects.errors.size(), 1u);
  EXPECT_EQ(c->objects.errors[0].file, pool_key("lab"));
  EXPECT_THAT(c->objects.errors[0].message, HasSubstr("overlaps"));
  EXPECT_EQ(c->objects.snapshot->find<model::ip_address_pool>("metallb-system", "lab")->addresses.at(0), "10.0.1.0/24");
  // A syntax error: refused whole, old object kept.
  c = v.apply({put(pool_key("prod"), "spec: [", 3)});
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->objects.changes.empty());
  EXPECT_EQ(c->objects.errors.size(), 2u);
  // Deleting prod admits the refused lab value (retried) in the same change.
  c = v.apply({del(pool_key("prod"), 4)});
  ASSERT_TRUE(c);
  EXPECT_THAT(names(c->objects.changes.removed), ElementsAre("IPAddressPool metallb-system/prod"));
  EXPECT_THAT(names(c->objects.changes.modified), ElementsAre("IPAddressPool metallb-system/lab"));
  EXPECT_TRUE(c->objects.errors.empty()) << model::to_string(c->objects.errors);
  EXPECT_EQ(c->objects.snapshot->find<model::ip_address_pool>("metallb-system", "lab")->addresses.at(0), "10.0.0.128/25");
}

TEST(etcd_view, events_apply_once_and_coalesce_per_key) {
  view v(l, {});
  v.reset({{svc_key("a"), svc("a")}}, 10);
  // At or below the revision in force: already applied.
  EXPECT_FALSE(v.apply({del(svc_key("a"), 10), put(svc_key("b"), svc("b"), 9)}));
  EXPECT_EQ(v.revision(), 10);
  // Several events of one key: the last one wins; put then delete of a new key is nothing.
  auto c = v.apply({put(svc_key("c"), svc("c"), 11), del(svc_key("c"), 12), del(svc_key("a"), 12), put(svc_key("a"), svc("a"), 13)});
  EXPECT_FALSE(c);
  EXPECT_EQ(v.revision(), 13);
  c = v.apply({put(svc_key("b"), svc("b"), 14), put(svc_key("b"), svc("b"), 14)});
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->full);
  EXPECT_THAT(names(c->objects.changes.added), ElementsAre("Service default/b"));
  EXPECT_FALSE(v.apply({put(svc_key("b"), svc("b"), 14)}));
  v.advance(20);
  EXPECT_EQ(v.revision(), 20);
}

TEST(etcd_view, assignments_from_ledger_keys) {
  view v(l, {});
  const auto a1 = encode_entry({"default", "a", {*model::ip_address::parse("10.0.0.1")}, "prod", 1});
  const auto b1 = encode_entry({"default", "b", {*model::ip_address::parse("10.0.0.2")}, "prod", 1});
  auto c = v.reset({{l.ledger_entry_key("default", "a"), a1}, {l.ledger_revision_key(), encode_revision(1)}}, 1);
  ASSERT_TRUE(c.assignments);
  EXPECT_EQ(c.assignments->size(), 1u);
  EXPECT_THAT(c.moved, ElementsAre(model::name_key{"default", "a"}));
  // Holds and the revision key are the controller's business: no change for speakers.
  EXPECT_FALSE(v.apply({put(l.ledger_hold_key(*model::ip_address::parse("10.0.0.9")), "{}", 2),
                        put(l.ledger_revision_key(), encode_revision(2), 2)}));
  auto d = v.apply({put(l.ledger_entry_key("default", "b"), b1, 3)});
  ASSERT_TRUE(d && d->assignments);
  EXPECT_EQ(d->assignments->size(), 2u);
  EXPECT_THAT(d->moved, ElementsAre(model::name_key{"default", "b"}));
  // A corrupt entry keeps the last good addresses and is shown as an error.
  d = v.apply({put(l.ledger_entry_key("default", "a"), "{\"ips\":1}", 4)});
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->assignments);
  ASSERT_EQ(d->objects.errors.size(), 1u);
  EXPECT_EQ(d->objects.errors[0].file, l.ledger_entry_key("default", "a"));
  d = v.apply({del(l.ledger_entry_key("default", "a"), 5)});
  ASSERT_TRUE(d && d->assignments);
  EXPECT_FALSE(d->assignments->contains({"default", "a"}));
  EXPECT_THAT(d->moved, ElementsAre(model::name_key{"default", "a"}));
  EXPECT_TRUE(d->objects.errors.empty());
}

// Random puts and deletes of valid services and (disjoint) pools: the snapshot equals the
// one built whole from the keys' values, and the change set equals model::diff.
TEST(etcd_view, random_edits_match_whole_rebuild) {
  std::mt19937 rng(7);
  view v(l, {});
  std::map<std::string, std::string> store;
  auto snap = v.reset({}, 1).objects.snapshot;
  std::int64_t rev = 1;
  for (int round = 0; round < 200; ++round) {
    std::vector<kv_event> batch;
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      const int id = static_cast<int>(rng() % 12);
      const bool is_pool = rng() % 3 == 0;
      const auto name = "o" + std::to_string(id);
      const auto key = is_pool ? pool_key(name) : svc_key(name);
      ++rev;
      if (rng() % 3 == 0) {
        batch.push_back(del(key, rev));
        store.erase(key);
      } else {
        const auto value = is_pool ? pool(name, "10." + std::to_string(id) + "." + std::to_string(rng() % 4) + ".0/24")
                                   : svc(name, rng() % 2 ? "Local" : "Cluster");
        batch.push_back(put(key, value, rev));
        store[key] = value;
      }
    }
    const auto c = v.apply(batch);
    std::vector<model::object> whole;
    for (const auto& [key, value] : store) {
      auto d = model::decode(key, value);
      ASSERT_TRUE(d.errors.empty()) << model::to_string(d.errors);
      whole.push_back(std::move(d.objects.at(0)));
    }
    const model::snapshot expected(std::move(whole));
    const auto next = c ? c->objects.snapshot : snap;
    EXPECT_EQ(next->objects(), expected.objects()) << "round " << round;
    EXPECT_EQ(c ? c->objects.changes : model::change_set{}, model::diff(*snap, *next)) << "round " << round;
    if (c) {
      EXPECT_TRUE(c->objects.errors.empty()) << model::to_string(c->objects.errors);
    }
    snap = next;
  }
}

}  // namespace
}  // namespace store::etcd
