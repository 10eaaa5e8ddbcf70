// The writer's pure parts (writer.hpp): a state's keys, the edits between two states
// (structural, equal to the difference of their keys on random states), and the order
// of operations (deletions, changes, additions, the ledger's revision last).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "etcd/codec.hpp"
#include "etcd/writer.hpp"

namespace store::etcd {
namespace {

const layout l("/bgplb");

model::ip_address ip(std::uint32_t v) { return model::ip_address::v4(0x0a000000u + v); }

store::state random_state(std::mt19937& rng) {
  store::state s;
  s.ledger.revision = rng() % 3;
  for (int i = 0; i < 20; ++i) {
    if (rng() % 2) continue;
    s.ledger.entries.push_back({"ns" + std::to_string(i % 3), "s" + std::to_string(i), {ip(rng() % 4)}, "p", 1});
  }
  std::sort(s.ledger.entries.begin(), s.ledger.entries.end(),
            [](const auto& a, const auto& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  for (std::uint32_t a = 100; a < 110; ++a) {
    if (rng() % 3 == 0) s.ledger.holds.push_back({ip(a), "ns0", "gone", "p", static_cast<std::int64_t>(rng() % 2)});
  }
  for (int i = 0; i < 10; ++i) {
    model::service_status sv{"ns0", "s" + std::to_string(i), {}, "p", {}};
    if (rng() % 3 == 0) sv.events.push_back({"Warning", "AllocationFailed", "pool " + std::to_string(rng() % 2) + " exhausted"});
    s.services.push_back(std::move(sv));
  }
  s.pools.push_back({"p", static_cast<std::int64_t>(rng() % 3), 10, 0, 0, 0});
  return s;
}

TEST(etcd_writer, structural_edits_equal_the_difference_of_keys) {
  std::mt19937 rng(11);
  for (int round = 0; round < 500; ++round) {
    const auto a = random_state(rng);
    const auto b = random_state(rng);
    EXPECT_EQ(edits_between(l, a, b), edits_between(keys_of(l, a), keys_of(l, b))) << "round " << round;
    EXPECT_TRUE(edits_between(l, b, b).empty());
  }
}

TEST(etcd_writer, keys_of_a_state) {
  store::state s;
  s.ledger = {3, {{"default", "web", {ip(1)}, "prod", 5}}, {{ip(9), "default", "old", "prod", 7}}};
  s.services = {{"default", "web", {ip(1)}, "prod", {}}, {"default", "api", {}, "", {{"Warning", "AllocationFailed", "no pool"}}}};
  const auto k = keys_of(l, s);
  std::vector<std::string> names;
  for (const auto& [key, value] : k) names.push_back(key);
  EXPECT_THAT(names, ::testing::ElementsAre("/bgplb/controller/status/pools", "/bgplb/controller/status/services/default/api",
                                            "/bgplb/v1/ledger/holds/10.0.0.9", "/bgplb/v1/ledger/revision",
                                            "/bgplb/v1/ledger/services/default/web"));
  EXPECT_EQ(k.at("/bgplb/v1/ledger/services/default/web"),
            R"({"namespace":"default","name":"web","ips":["10.0.0.1"],"pool":"prod","since":5})");
}

// Service a gives up 10.0.0.1, which b takes: a's change is applied before b's addition,
// so no reader ever sees the address twice; the revision key comes last.
TEST(etcd_writer, operations_never_show_an_address_twice) {
  store::state before;
  before.ledger = {1, {{"d", "a", {ip(1)}, "p", 1}, {"d", "z", {ip(7)}, "p", 1}}, {}};
  store::state after;
  after.ledger = {2, {{"d", "a", {ip(2)}, "p", 1}, {"d", "b", {ip(1)}, "p", 1}}, {}};
  const auto base = keys_of(l, before);
  const auto ops = operations(l, base, edits_between(l, before, after));
  std::vector<std::string> order;
  for (const auto& op : ops) {
    if (op.key.starts_with(l.ledger_prefix())) order.push_back((op.value ? "put " : "delete ") + op.key.substr(l.data_prefix().size()));
  }
  EXPECT_EQ(ops.back().key, l.ledger_revision_key());
  EXPECT_THAT(order, ::testing::ElementsAre("delete ledger/services/d/z", "put ledger/services/d/a",
                                            "put ledger/services/d/b", "put ledger/revision"))
      << ::testing::PrintToString(order);
  // Edits that change nothing in the base are no operations.
  EXPECT_TRUE(operations(l, base, edits_between(base, base)).empty());
  EXPECT_TRUE(operations(l, base, {{l.ledger_entry_key("d", "q"), std::nullopt}}).empty());
}

}  // namespace
}  // namespace store::etcd
