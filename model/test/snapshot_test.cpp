// Tests of model::snapshot indexing, model::diff, the persistent table under random edits
// (against std::map) and the next-version constructor (against a whole rebuild).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <string_view>

#include "model/decode.hpp"
#include "model/snapshot.hpp"

namespace model {
namespace {

snapshot build(const std::string& text) {
  auto d = decode("f.yaml", text);
  EXPECT_TRUE(d.errors.empty()) << to_string(d.errors);
  return snapshot(std::move(d.objects));
}

const char* base = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod}
spec: {type: LoadBalancer}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: prod, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-2, namespace: prod, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
---
apiVersion: v1
kind: Namespace
metadata: {name: prod}
)";

TEST(snapshot, indexes) {
  const auto s = build(base);
  EXPECT_EQ(s.size(), 4u);
  ASSERT_NE(s.find<service>("prod", "web"), nullptr);
  EXPECT_EQ(s.find<service>("default", "web"), nullptr);
  EXPECT_EQ(s.slices_of("prod", "web").size(), 2u);
  EXPECT_EQ(s.slices_of("prod", "other").size(), 0u);
  EXPECT_NE(s.find<namespace_object>("", "prod"), nullptr);
  EXPECT_EQ(s.objects().size(), 4u);
}

TEST(snapshot, diff) {
  const auto a = build(base);
  const auto b = build(std::string(base) + "---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n");
  auto c_text = std::string(base);
  c_text.replace(c_text.find("type: LoadBalancer"), 18, "type: ClusterIP");
  const auto c = build(c_text);

  struct row {
    const char* description;
    const snapshot* before;
    const snapshot* after;
    std::vector<std::string> added, modified, removed;
  };
  const row rows[] = {
      {"identical", &a, &a, {}, {}, {}},
      {"node added", &a, &b, {"Node n1"}, {}, {}},
      {"node removed", &b, &a, {}, {}, {"Node n1"}},
      {"service changed", &a, &c, {}, {"Service prod/web"}, {}},
  };
  auto names = [](const std::vector<object_key>& keys) {
    std::vector<std::string> out;
    for (const auto& k : keys) out.push_back(k.to_string());
    return out;
  };
  for (const auto& r : rows) {
    const auto d = diff(*r.before, *r.after);
    EXPECT_EQ(names(d.added), r.added) << r.description;
    EXPECT_EQ(names(d.modified), r.modified) << r.description;
    EXPECT_EQ(names(d.removed), r.removed) << r.description;
  }
}

// lower_bound and get of a table agree with those of the std::map it should equal.
template <class Table, class Map>
void expect_lookups_agree(const Table& table, const Map& reference, const typename Map::key_type& k) {
  const auto lb = reference.lower_bound(k);
  const auto got = table.lower_bound(k);
  if (lb == reference.end()) {
    EXPECT_EQ(got, table.end()) << k;
  } else {
    ASSERT_NE(got, table.end()) << k;
    EXPECT_EQ((*got).first, lb->first) << k;
  }
  EXPECT_EQ(table.get(k) != nullptr, reference.contains(k)) << k;
}

// Random batches of sets and erasures on a table of up to 3,000 keys, checked after each
// batch against std::map; every earlier version must still read as it did.
TEST(table, random_edits_match_std_map_and_versions_persist) {
  using t = basic_table<int, int>;
  std::mt19937 rng(7);
  std::vector<std::pair<t, std::map<int, int>>> versions{{t{}, {}}};
  for (int round = 0; round < 300; ++round) {
    auto [table, reference] = versions.back();
    std::map<int, t::pointer> batch;
    // Later rounds only erase, so nodes shrink and join; the last one erases every key.
    const int n = round == 299 ? 0 : round >= 150 ? 100 : round % 10 == 0 ? 800 : static_cast<int>(rng() % 40) + 1;
    if (round == 299) {
      for (const auto& kv : reference) batch[kv.first] = nullptr;
      reference.clear();
    }
    for (int i = 0; i < n; ++i) {
      const int k = static_cast<int>(rng() % 3000);
      if (rng() % 3 == 0 || round >= 150) {
        batch[k] = nullptr;
        reference.erase(k);
      } else {
        const int v = static_cast<int>(rng());
        batch[k] = std::make_shared<const int>(v);
        reference[k] = v;
      }
    }
    table = table.apply({batch.begin(), batch.end()});
    ASSERT_EQ(table.size(), reference.size()) << "round " << round;
    auto it = table.begin();
    for (const auto& [k, v] : reference) {
      ASSERT_NE(it, table.end());
      ASSERT_EQ((*it).first, k);
      ASSERT_EQ((*it).second, v);
      ++it;
    }
    EXPECT_EQ(it, table.end());
    for (int probe = 0; probe < 50; ++probe) expect_lookups_agree(table, reference, static_cast<int>(rng() % 3100) - 50);
    versions.emplace_back(std::move(table), std::move(reference));
  }
  EXPECT_TRUE(versions.back().first.empty()) << "the erasing rounds empty the table";
  for (const auto& [table, reference] : versions) {
    ASSERT_EQ(table.size(), reference.size());
    auto it = table.begin();
    for (const auto& kv : reference) {
      EXPECT_EQ((*it).second, kv.second);
      ++it;
    }
  }
}

// The same with keys read from the values (a KeyOf, as a snapshot's tables have): the
// table holds no key of its own, and an erasure's key is a view that lives only until
// apply() returns.
struct named {
  std::string name;
  int v = 0;
};
struct name_of {
  static std::string_view of(const named& n) { return n.name; }
};

TEST(table, keys_read_from_the_values_match_std_map_and_versions_persist) {
  using t = basic_table<std::string_view, named, name_of>;
  std::mt19937 rng(9);
  auto key = [](int k) {
    std::string s = std::to_string(k);
    return "key-" + std::string(4 - s.size(), '0') + s;  // longer than a short string's inline room
  };
  std::vector<std::pair<t, std::map<std::string, int>>> versions{{t{}, {}}};
  for (int round = 0; round < 200; ++round) {
    auto [table, reference] = versions.back();
    std::map<std::string, t::pointer> batch;
    const int n = round == 199 ? 0 : round >= 120 ? 100 : round % 10 == 0 ? 800 : static_cast<int>(rng() % 40) + 1;
    if (round == 199) {
      for (const auto& kv : reference) batch[kv.first] = nullptr;
      reference.clear();
    }
    for (int i = 0; i < n; ++i) {
      const std::string k = key(static_cast<int>(rng() % 3000));
      if (rng() % 3 == 0 || round >= 120) {
        batch[k] = nullptr;
        reference.erase(k);
      } else {
        const int v = static_cast<int>(rng());
        batch[k] = std::make_shared<const named>(named{k, v});
        reference[k] = v;
      }
    }
    std::vector<t::edit> edits;
    for (const auto& [k, p] : batch) edits.emplace_back(p ? name_of::of(*p) : std::string_view(k), p);
    table = table.apply(edits);
    batch.clear();  // the erasures' keys are gone: the table must not hold them
    ASSERT_EQ(table.size(), reference.size()) << "round " << round;
    auto it = table.begin();
    for (const auto& [k, v] : reference) {
      ASSERT_NE(it, table.end());
      ASSERT_EQ((*it).first, k);
      ASSERT_EQ((*it).second.v, v);
      ++it;
    }
    EXPECT_EQ(it, table.end());
    for (int probe = 0; probe < 50; ++probe)
      expect_lookups_agree(table, reference, key(static_cast<int>(rng() % 3100)) + (probe % 2 ? "" : "x"));
    versions.emplace_back(std::move(table), std::move(reference));
  }
  EXPECT_TRUE(versions.back().first.empty()) << "the erasing rounds empty the table";
  for (const auto& [table, reference] : versions) {
    ASSERT_EQ(table.size(), reference.size());
    auto it = table.begin();
    for (const auto& [k, v] : reference) {
      EXPECT_EQ((*it).first, k);
      EXPECT_EQ((*it).second.v, v);
      ++it;
    }
  }
}

// The next-version constructor gives what a whole rebuild of the same objects gives:
// tables, the slices-by-service index, and diff against the base.
TEST(snapshot, next_version_equals_a_rebuild) {
  std::mt19937 rng(11);
  auto random_object = [&](int id) -> object {
    if (id % 3 == 0) {
      service s;
      s.meta.ns = "ns" + std::to_string(id % 4);
      s.meta.name = "s" + std::to_string(id);
      s.type = rng() % 2 ? "LoadBalancer" : "ClusterIP";
      return s;
    }
    endpoint_slice e;
    e.meta.ns = "ns" + std::to_string(id % 4);
    e.meta.name = "e" + std::to_string(id);
    e.service_name = "s" + std::to_string(rng() % 30);
    e.address_type = rng() % 2 ? "IPv4" : "IPv6";
    return e;
  };
  std::map<object_key, object_ptr> state;
  snapshot current;
  for (int round = 0; round < 60; ++round) {
    std::map<object_key, object_ptr> changes;
    for (int i = 0; i < 25; ++i) {
      const int id = static_cast<int>(rng() % 200);
      auto o = random_object(id);
      const auto k = key_of(o);
      changes[k] = rng() % 4 == 0 ? nullptr : std::make_shared<const object>(std::move(o));
    }
    std::vector<snapshot::edit> edits;
    for (const auto& [k, o] : changes) {
      edits.push_back({k, o});
      if (o) state[k] = o;
      else state.erase(k);
    }
    snapshot next(current, edits, {}, static_cast<std::uint64_t>(round + 1));
    std::vector<object_ptr> all;
    for (const auto& kv : state) all.push_back(kv.second);
    const snapshot rebuilt(all);
    ASSERT_EQ(next.objects(), rebuilt.objects()) << "round " << round;
    for (int svc = 0; svc < 30; ++svc) {
      for (int ns = 0; ns < 4; ++ns) {
        const auto a = next.slices_of("ns" + std::to_string(ns), "s" + std::to_string(svc));
        const auto b = rebuilt.slices_of("ns" + std::to_string(ns), "s" + std::to_string(svc));
        ASSERT_EQ(a.size(), b.size()) << round << " " << ns << " " << svc;
        for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(*a[i], *b[i]);
      }
    }
    EXPECT_EQ(diff(current, next), diff(current, rebuilt));
    current = std::move(next);
  }
}


// BGPPeers are held behind a pointer in model::object (model::boxed) so that every
// Service is not sized by a peer; the box must behave as the value it holds.
TEST(object, a_boxed_kind_behaves_as_its_value) {
  bgp_peer p;
  p.meta.name = "tor";
  p.my_asn = 64512;
  object o = p;
  EXPECT_EQ(kind_of(o), kind::bgp_peer);
  EXPECT_EQ(meta_of(o).name, "tor");
  EXPECT_EQ(as<bgp_peer>(o).my_asn, 64512u);
  EXPECT_FALSE(std::holds_alternative<service>(o));
  object copy = o;
  std::get<boxed<bgp_peer>>(copy)->my_asn = 64513;  // a copy is a new object
  EXPECT_EQ(as<bgp_peer>(o).my_asn, 64512u);
  EXPECT_NE(copy, o);
  std::get<boxed<bgp_peer>>(copy)->my_asn = 64512;
  EXPECT_EQ(copy, o);  // == compares the peers, not the pointers
  object moved = std::move(copy);
  EXPECT_EQ(moved, o);
  EXPECT_LT(sizeof(object), sizeof(bgp_peer));
  snapshot s({o});
  ASSERT_NE(s.find<bgp_peer>("", "tor"), nullptr);
  EXPECT_EQ(s.find<bgp_peer>("", "tor")->my_asn, 64512u);
}

}  // namespace
}  // namespace model
