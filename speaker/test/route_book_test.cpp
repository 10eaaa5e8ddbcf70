// The planner's table of routes (src/route_book.hpp): contributors of one (peer, prefix)
// merged, changes reported once and in (peer name, prefix) order, prefixes kept compactly.
#include <gtest/gtest.h>

#include <algorithm>

#include "route_book.hpp"

namespace {

using speaker::route_plan;
using speaker::detail::route_book;

model::cidr cidr(const char* text) { return *model::cidr::parse(text); }

route_plan attrs(std::initializer_list<std::uint32_t> communities, std::optional<std::uint32_t> local_pref = {},
                 std::optional<std::uint32_t> endpoints = {}) {
  route_plan r;
  r.communities = communities;
  r.local_pref = local_pref;
  r.link_bandwidth_endpoints = endpoints;
  return r;
}

// Owners are compared by address only.
const int svc_a = 0, svc_b = 0;

TEST(route_book, prefixes_round_trip_through_their_compact_keys) {
  for (const char* text : {"0.0.0.0/0", "10.0.0.5/32", "10.1.0.0/16", "255.255.255.255/32", "::/0", "fd00::5/128",
                           "2001:db8::/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "::1/128", "0:0:0:1::/64"}) {
    route_book b;
    const auto h = b.add("tor", cidr(text), {}, &svc_a);
    EXPECT_EQ(route_book::prefix_of(h->first), cidr(text)) << text;
  }
}

TEST(route_book, one_contributor_announces_then_withdraws) {
  route_book b;
  const auto seven = attrs({7});
  const auto h = b.add("tor", cidr("10.0.0.5/32"), seven, &svc_a);
  auto changes = b.flush();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], (speaker::route_change{"tor", cidr("10.0.0.5/32"), seven}));
  EXPECT_EQ(b.routes(), (speaker::route_table{{"tor", {{cidr("10.0.0.5/32"), seven}}}}));
  EXPECT_TRUE(b.flush().empty()) << "nothing marked since";

  b.remove(h);
  changes = b.flush();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], (speaker::route_change{"tor", cidr("10.0.0.5/32"), std::nullopt}));
  EXPECT_TRUE(b.routes().empty()) << "a peer with no route leaves the table";
  EXPECT_EQ(b.size(), 0u);
}

TEST(route_book, contributors_of_one_prefix_merge_and_leave_one_at_a_time) {
  route_book b;
  const auto a = attrs({1}, 100, 2);
  const auto c = attrs({2}, 200, 3);
  const auto ha = b.add("tor", cidr("10.0.0.0/24"), a, &svc_a);
  b.add("tor", cidr("10.0.0.0/24"), c, &svc_b);
  auto changes = b.flush();
  ASSERT_EQ(changes.size(), 1u) << "one change per (peer, prefix), however many contributors";
  const auto both = attrs({1, 2}, 200, 5);
  EXPECT_EQ(changes[0].route, both);
  EXPECT_EQ(b.size(), 2u);

  b.remove(ha);
  changes = b.flush();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].route, c) << "what is left is the other's route alone";

  // A contributor that adds nothing the other has not: the merged route stays, no change.
  b.add("tor", cidr("10.0.0.0/24"), attrs({2}), &svc_a);
  EXPECT_TRUE(b.flush().empty());
  EXPECT_EQ(b.size(), 2u);
}

TEST(route_book, an_owner_giving_one_prefix_twice_holds_one_merged_entry) {
  // Two addresses of one service in one aggregate.
  route_book b;
  const auto h1 = b.add("tor", cidr("10.0.0.0/24"), attrs({}, {}, 1), &svc_a);
  const auto h2 = b.add("tor", cidr("10.0.0.0/24"), attrs({}, {}, 1), &svc_a);
  EXPECT_EQ(h1, h2);
  EXPECT_EQ(b.size(), 1u);
  const auto changes = b.flush();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].route->link_bandwidth_endpoints, 2u);
}

TEST(route_book, an_unchanged_route_given_again_is_no_change) {
  route_book b;
  auto h = b.add("tor", cidr("10.0.0.5/32"), {}, &svc_a);
  b.flush();
  b.remove(h);
  b.add("tor", cidr("10.0.0.5/32"), {}, &svc_a);
  EXPECT_TRUE(b.flush().empty());
  EXPECT_EQ(b.routes().at("tor").size(), 1u);
}

TEST(route_book, changes_come_in_peer_name_then_prefix_order) {
  route_book b;
  // Interned in another order than their names sort.
  b.add("z-tor", cidr("10.0.0.1/32"), {}, &svc_a);
  b.add("a-tor", cidr("fd00::1/128"), {}, &svc_a);
  b.add("a-tor", cidr("10.0.0.0/24"), {}, &svc_a);
  b.add("a-tor", cidr("10.0.0.0/16"), {}, &svc_a);
  b.add("a-tor", cidr("9.0.0.0/32"), {}, &svc_b);
  std::vector<std::pair<std::string, model::cidr>> got;
  for (const auto& c : b.flush()) got.emplace_back(c.peer, c.prefix);
  std::vector<std::pair<std::string, model::cidr>> want{{"a-tor", cidr("9.0.0.0/32")},
                                                        {"a-tor", cidr("10.0.0.0/16")},
                                                        {"a-tor", cidr("10.0.0.0/24")},
                                                        {"a-tor", cidr("fd00::1/128")},
                                                        {"z-tor", cidr("10.0.0.1/32")}};
  std::vector<std::pair<std::string, model::cidr>> sorted = want;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(want, sorted) << "the expectation itself is in (name, model::cidr) order";
  EXPECT_EQ(got, want);
}

}  // namespace
