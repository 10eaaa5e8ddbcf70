// Tests of model::assignments: a persistent map, so that a datastore hands every update its
// own version without copying the entries that did not move (test/bench/speaker_e2e).
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "model/assignments.hpp"

namespace model {
namespace {

ip_address v4(std::uint32_t i) { return ip_address::v4(0x0A000000 + i); }
name_key key(int i) { return {"default", "s" + std::to_string(i)}; }

TEST(assignments, an_edited_version_shares_every_other_entry_and_leaves_the_old_one_as_it_was) {
  assignments a;
  std::vector<assignments::entry> entries;
  for (int i = 0; i < 10000; ++i) entries.push_back({key(i), {v4(static_cast<std::uint32_t>(i))}});
  a.apply(entries);
  const assignments before = a;
  a.set(key(5000), {v4(99999)});
  a.erase(key(7000));
  EXPECT_EQ(before.at(key(5000)), std::vector{v4(5000)});
  EXPECT_TRUE(before.contains(key(7000)));
  EXPECT_EQ(a.at(key(5000)), std::vector{v4(99999)});
  EXPECT_FALSE(a.contains(key(7000)));
  EXPECT_EQ(a.size(), 9999u);
  // The entries that did not change are the same objects in both versions: nothing was copied.
  for (int i : {0, 1, 4999, 5001, 6999, 7001, 9999}) EXPECT_EQ(a.get(key(i)), before.get(key(i))) << i;
  EXPECT_EQ(changed_services(before, a), (std::vector{key(5000), key(7000)}));
}

// Random batches of sets and erasures against std::map.
TEST(assignments, edits_equal_a_std_map) {
  std::mt19937 rng(12);
  std::map<name_key, std::vector<ip_address>> want;
  assignments got;
  for (int round = 0; round < 200; ++round) {
    std::vector<assignments::entry> batch;
    for (int n = static_cast<int>(rng() % 40); n > 0; --n) {
      const auto k = key(static_cast<int>(rng() % 300));
      std::vector<ip_address> ips;
      if (rng() % 3 != 0) ips.push_back(v4(rng() % 1000));
      if (ips.empty()) want.erase(k);
      else want[k] = ips;
      batch.emplace_back(k, ips);
    }
    got.apply(batch);
    ASSERT_EQ(got, assignments(want)) << "round " << round;
    ASSERT_EQ(got.size(), want.size());
  }
}

}  // namespace
}  // namespace model
