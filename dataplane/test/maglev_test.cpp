// Maglev: spread within 1% of even, disruption close to 1/N on one backend change, rows
// independent of input order, and the hashes pinned (every node must agree on them).
#include "dataplane/maglev.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace dataplane {
namespace {

std::vector<std::string> keys_for(std::size_t n, std::uint32_t base = 0x0a000001) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < n; ++i) keys.push_back(maglev::backend_key(address::v4(base + static_cast<std::uint32_t>(i) * 7), 8080));
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::map<std::string, std::size_t> slots_per_backend(const std::vector<std::string>& keys,
                                                     const std::vector<std::uint32_t>& row) {
  std::map<std::string, std::size_t> count;
  for (auto i : row) ++count[keys.at(i)];
  return count;
}

TEST(maglev, primes) {
  EXPECT_TRUE(maglev::is_prime(65537));
  EXPECT_TRUE(maglev::is_prime(4099));
  EXPECT_FALSE(maglev::is_prime(65536));
  EXPECT_FALSE(maglev::is_prime(1));
  EXPECT_THROW(maglev::populate(keys_for(3), 65536), std::invalid_argument);
  EXPECT_THROW(maglev::populate(keys_for(13), 13), std::invalid_argument);
}

// Maglev §3.4: each round hands every backend one slot, so counts differ by at most one.
TEST(maglev, slots_within_one_percent_of_even) {
  for (std::size_t n : {2u, 3u, 7u, 10u, 64u, 300u, 655u}) {
    auto keys = keys_for(n);
    auto row = maglev::populate(keys, 65537);
    ASSERT_EQ(row.size(), 65537u);
    auto count = slots_per_backend(keys, row);
    ASSERT_EQ(count.size(), n);
    const double even = 65537.0 / static_cast<double>(n);
    for (const auto& [key, c] : count) EXPECT_LE(std::abs(static_cast<double>(c) - even), even * 0.01) << n;
  }
}

// Flows, not slots: 2 million random TCP flows over a row of 10 backends.
TEST(maglev, flows_within_one_percent_of_even) {
  auto keys = keys_for(10);
  auto row = maglev::populate(keys, 65537);
  std::mt19937 rng(17);
  std::vector<std::size_t> hits(keys.size());
  const auto frontend = *address::parse("198.51.100.10");
  const int flows = 2000000;
  for (int i = 0; i < flows; ++i) {
    address client = address::v4(rng());
    auto h = maglev::flow_hash(client, frontend, static_cast<std::uint16_t>(rng()), 443, protocol::tcp);
    ++hits[row[h % row.size()]];
  }
  for (auto c : hits) EXPECT_NEAR(static_cast<double>(c), flows / 10.0, flows / 10.0 * 0.01);
}

double moved(const std::vector<std::string>& ka, const std::vector<std::uint32_t>& ra,
             const std::vector<std::string>& kb, const std::vector<std::uint32_t>& rb) {
  std::size_t changed = 0;
  for (std::size_t s = 0; s < ra.size(); ++s) changed += ka[ra[s]] != kb[rb[s]];
  return static_cast<double>(changed) / static_cast<double>(ra.size());
}

// Removing one of N moves its 1/N of the slots and little else; adding one takes 1/(N+1).
TEST(maglev, one_backend_change_moves_about_one_nth) {
  for (std::size_t n : {5u, 10u, 50u}) {
    auto keys = keys_for(n);
    auto row = maglev::populate(keys, 65537);
    auto fewer = keys;
    fewer.erase(fewer.begin() + static_cast<long>(n / 2));
    auto row_fewer = maglev::populate(fewer, 65537);
    double removed = moved(keys, row, fewer, row_fewer);
    EXPECT_GE(removed, 1.0 / static_cast<double>(n) - 0.001) << n;
    EXPECT_LE(removed, 1.25 / static_cast<double>(n)) << n;

    auto more = keys_for(n + 1);
    auto row_more = maglev::populate(more, 65537);
    double added = moved(keys, row, more, row_more);
    EXPECT_LE(added, 1.25 / static_cast<double>(n + 1)) << n;
  }
}

TEST(maglev, row_depends_on_the_set_not_on_the_caller) {
  auto a = maglev::populate(keys_for(8), 4099);
  auto b = maglev::populate(keys_for(8), 4099);
  EXPECT_EQ(a, b);
}

// Pinned values: a change here changes every row in the cluster (see maglev.hpp).
TEST(maglev, hashes_are_pinned) {
  EXPECT_EQ(maglev::flow_hash(*address::parse("10.0.0.1"), *address::parse("192.0.2.10"), 40000, 80, protocol::tcp),
            1018074180u) << "flow hash changed";
  auto row = maglev::populate(keys_for(3), 13);
  EXPECT_EQ(row, (std::vector<std::uint32_t>{1, 0, 0, 1, 2, 0, 1, 2, 2, 2, 1, 0, 0})) << "population changed";
}

}  // namespace
}  // namespace dataplane
