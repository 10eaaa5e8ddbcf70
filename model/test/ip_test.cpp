// Table tests of model::ip_address, cidr, ip_range and pool address parsing.
#include <gtest/gtest.h>

#include "model/ip.hpp"

namespace model {
namespace {

TEST(ip_address, parse_and_print) {
  struct row {
    const char* description;
    const char* input;
    const char* expected;  // nullptr: rejected
  };
  const row rows[] = {
      {"dotted quad", "10.0.0.1", "10.0.0.1"},
      {"v4 leading zero rejected like Go", "10.0.0.01", nullptr},
      {"v4 octet out of range", "10.0.0.256", nullptr},
      {"v4 too few octets", "10.0.1", nullptr},
      {"v6 compressed to RFC 5952", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
      {"v6 unspecified", "::", "::"},
      {"zone ids are not addresses", "fe80::1%eth0", nullptr},
      {"empty", "", nullptr},
      {"CIDR is not an address", "10.0.0.0/24", nullptr},
  };
  for (const auto& r : rows) {
    const auto a = ip_address::parse(r.input);
    if (r.expected == nullptr) {
      EXPECT_FALSE(a) << r.description;
    } else {
      ASSERT_TRUE(a) << r.description;
      EXPECT_EQ(a->to_string(), r.expected) << r.description;
    }
  }
}

TEST(ip_address, order_is_family_then_value) {
  EXPECT_LT(*ip_address::parse("255.255.255.255"), *ip_address::parse("::"));
  EXPECT_LT(*ip_address::parse("10.0.0.2"), *ip_address::parse("10.0.0.10"));
  EXPECT_EQ(next(*ip_address::parse("10.0.0.255")), *ip_address::parse("10.0.1.0"));
}

TEST(cidr, parse) {
  struct row {
    const char* description;
    const char* input;
    const char* expected;
  };
  const row rows[] = {
      {"network", "10.0.0.0/24", "10.0.0.0/24"},
      {"host bits cleared as net.ParseCIDR", "10.0.0.7/24", "10.0.0.0/24"},
      {"v6", "2001:db8::/64", "2001:db8::/64"},
      {"prefix too long for v4", "10.0.0.0/33", nullptr},
      {"no prefix", "10.0.0.0", nullptr},
      {"leading zero prefix", "10.0.0.0/024", nullptr},
      {"/0", "0.0.0.0/0", "0.0.0.0/0"},
  };
  for (const auto& r : rows) {
    const auto c = cidr::parse(r.input);
    if (r.expected == nullptr) {
      EXPECT_FALSE(c) << r.description;
    } else {
      ASSERT_TRUE(c) << r.description;
      EXPECT_EQ(c->to_string(), r.expected) << r.description;
    }
  }
}

TEST(ip_range, pool_addresses) {
  struct row {
    const char* description;
    const char* input;
    const char* first;
    const char* last;
    std::int64_t size;
    const char* error;
  };
  const row rows[] = {
      {"CIDR", "10.0.0.0/30", "10.0.0.0", "10.0.0.3", 4, ""},
      {"range", "10.0.0.1-10.0.0.9", "10.0.0.1", "10.0.0.9", 9, ""},
      {"range with spaces", "10.0.0.1 - 10.0.0.1", "10.0.0.1", "10.0.0.1", 1, ""},
      {"reversed range", "10.0.0.9-10.0.0.1", "", "", 0,
       "invalid IP range \"10.0.0.9-10.0.0.1\": start IP 10.0.0.9 is after the end IP 10.0.0.1"},
      {"mixed families", "10.0.0.1-::1", "", "", 0,
       "invalid IP range \"10.0.0.1-::1\": start and end are of different families"},
      {"bad CIDR", "10.0.0.0/40", "", "", 0, "invalid CIDR \"10.0.0.0/40\""},
      {"v6 /62 saturates at MaxInt64", "2001:db8::/62", "2001:db8::", "2001:db8:0:3:ffff:ffff:ffff:ffff",
       INT64_MAX, ""},
      {"v6 /65 is exact", "2001:db8::/65", "2001:db8::", "2001:db8::7fff:ffff:ffff:ffff", INT64_MAX, ""},
      {"v6 /66 is exact", "2001:db8::/66", "2001:db8::", "2001:db8::3fff:ffff:ffff:ffff", std::int64_t{1} << 62, ""},
  };
  for (const auto& r : rows) {
    const auto p = parse_pool_addresses(r.input);
    EXPECT_EQ(p.error, r.error) << r.description;
    if (*r.error != 0) continue;
    ASSERT_TRUE(p.range) << r.description;
    EXPECT_EQ(p.range->first().to_string(), r.first) << r.description;
    EXPECT_EQ(p.range->last().to_string(), r.last) << r.description;
    EXPECT_EQ(p.range->size(), r.size) << r.description;
  }
}

TEST(ip_range, shortest_prefix) {
  struct row {
    const char* description;
    const char* input;
    unsigned expected;
  };
  const row rows[] = {
      {"a /24", "10.0.0.0/24", 24},
      {"a /24 written as a range", "10.0.0.0-10.0.0.255", 24},
      {"unaligned range splits into small blocks", "10.0.0.1-10.0.0.9", 30},
      {"single address", "10.0.0.5-10.0.0.5", 32},
      {"whole v4", "0.0.0.0/0", 0},
      {"v6 /64", "2001:db8::/64", 64},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(parse_pool_addresses(r.input).range->shortest_prefix(), r.expected) << r.description;
  }
}

TEST(ip_address, buggy_firmware_addresses) {
  EXPECT_TRUE(is_buggy_firmware_address(*ip_address::parse("10.0.1.0")));
  EXPECT_TRUE(is_buggy_firmware_address(*ip_address::parse("10.0.1.255")));
  EXPECT_FALSE(is_buggy_firmware_address(*ip_address::parse("10.0.1.1")));
  EXPECT_FALSE(is_buggy_firmware_address(*ip_address::parse("2001:db8::")));
}

}  // namespace
}  // namespace model
