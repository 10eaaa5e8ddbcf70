// Table tests for GoBGP's prefix lookups (api/src/rib_query.cpp).
#include "rib_query.hpp"

#include <gtest/gtest.h>

namespace {

using api::rib_query::lookup;

std::vector<bgp::prefix> prefixes(std::initializer_list<const char*> l) {
  std::vector<bgp::prefix> out;
  for (const auto* p : l) out.push_back(*bgp::prefix::parse(p));
  return out;
}

struct row {
  const char* description;
  const char* text;
  int type;  // TableLookupPrefix: 0 EXACT, 1 LONGER, 2 SHORTER
  std::vector<bgp::prefix> expected;
};

TEST(rib_query, selects_as_gobgpd) {
  const auto have = prefixes({"10.0.0.0/8", "10.1.0.0/16", "10.1.0.1/32", "10.1.0.2/32", "10.77.0.0/16"});
  const row rows[] = {
      {"CIDR exact", "10.1.0.0/16", 0, prefixes({"10.1.0.0/16"})},
      {"CIDR exact, absent", "10.2.0.0/16", 0, {}},
      {"bare address: longest match", "10.1.0.1", 0, prefixes({"10.1.0.1/32"})},
      {"bare address: falls back to a shorter prefix", "10.1.9.9", 0, prefixes({"10.1.0.0/16"})},
      {"bare address: nothing covers it", "172.16.0.1", 0, {}},
      {"longer: itself and more specific", "10.1.0.0/16", 1, prefixes({"10.1.0.0/16", "10.1.0.1/32", "10.1.0.2/32"})},
      {"shorter: itself and every covering prefix", "10.1.0.1/32", 2,
       prefixes({"10.0.0.0/8", "10.1.0.0/16", "10.1.0.1/32"})},
  };
  for (const auto& r : rows) {
    std::string error;
    auto l = api::rib_query::parse(r.text, r.type, true, error);
    ASSERT_TRUE(l) << r.description << ": " << error;
    EXPECT_EQ(api::rib_query::select(have, {*l}), r.expected) << r.description;
  }
}

TEST(rib_query, no_lookup_selects_everything) {
  const auto have = prefixes({"10.0.0.0/8", "2001:db8::/32"});
  EXPECT_EQ(api::rib_query::select(have, {}), have);
}

TEST(rib_query, refuses_other_family_and_garbage) {
  std::string error;
  EXPECT_FALSE(api::rib_query::parse("2001:db8::1", 0, true, error));
  EXPECT_FALSE(api::rib_query::parse("foo", 0, true, error));
  EXPECT_FALSE(api::rib_query::parse("10.0.0.0/8", 7, true, error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
