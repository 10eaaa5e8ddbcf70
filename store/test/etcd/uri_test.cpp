// store::etcd::parse_uri: table tests of the URI form (uri.hpp), accepted and refused.
#include <gtest/gtest.h>

#include <stdexcept>

#include "etcd/uri.hpp"

namespace store::etcd {
namespace {

using namespace std::chrono_literals;

TEST(etcd_uri, endpoints_prefix_and_defaults) {
  const auto c = parse_uri("etcd://10.0.0.1:2379,etcd-b,[fd00::3]:32379/prod/bgplb/");
  ASSERT_EQ(c.endpoints.size(), 3u);
  EXPECT_EQ(c.endpoints[0], (endpoint{"10.0.0.1", 2379}));
  EXPECT_EQ(c.endpoints[1], (endpoint{"etcd-b", 2379}));
  EXPECT_EQ(c.endpoints[2], (endpoint{"fd00::3", 32379}));
  EXPECT_EQ(c.endpoints[2].to_string(), "[fd00::3]:32379");
  EXPECT_EQ(c.prefix, "/prod/bgplb");
  EXPECT_FALSE(c.tls);
  EXPECT_EQ(c.timeout, 5s);
  EXPECT_EQ(c.lease_ttl, 10s);
  EXPECT_EQ(c.max_txn_ops, 128u);

  const auto d = parse_uri("etcd://");
  ASSERT_EQ(d.endpoints.size(), 1u);
  EXPECT_EQ(d.endpoints[0].to_string(), "localhost:2379");
  EXPECT_EQ(d.prefix, "/bgplb");
}

TEST(etcd_uri, tls_and_parameters) {
  const auto c = parse_uri(
      "etcd://a:1,b:2/x?cacert=/etc/bgplb/ca.pem&cert=/etc/bgplb/c%20d.pem&key=/k.pem&timeout=750ms&lease-ttl=3s&max-txn-ops=64");
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(*c.tls, (tls_files{"/etc/bgplb/ca.pem", "/etc/bgplb/c d.pem", "/k.pem"}));
  EXPECT_EQ(c.timeout, 750ms);
  EXPECT_EQ(c.lease_ttl, 3s);
  EXPECT_EQ(c.max_txn_ops, 64u);
  const auto s = parse_uri("etcd://a?tls=true");
  ASSERT_TRUE(s.tls);
  EXPECT_EQ(*s.tls, tls_files{});
}

TEST(etcd_uri, refusals_say_what_is_wrong) {
  struct row {
    const char* uri;
    const char* says;
  };
  for (const auto& r : std::initializer_list<row>{
           {"file:/x", "etcd://HOST:PORT"},
           {"etcd://a:0", "port must be 1-65535"},
           {"etcd://a:99999", "port must be 1-65535"},
           {"etcd://fd00::1:2379", "brackets"},
           {"etcd://[fd00::1", "missing ']'"},
           {"etcd://a,,b", "empty host"},
           {"etcd://u:p@a", "client certificate"},
           {"etcd://a/", "must not be the root"},
           {"etcd://a/x//y", "empty path segment"},
           {"etcd://a?cert=/c.pem", "both cert= and key="},
           {"etcd://a?timeout=5", "duration"},
           {"etcd://a?lease-ttl=1s", "at least 2s"},
           {"etcd://a?max-txn-ops=1", "at least 2"},
           {"etcd://a?tls=yes", "true or false"},
           {"etcd://a?user=x", "unknown parameter \"user\""},
           {"etcd://a?cacert", "NAME=VALUE"},
           {"etcd://a?cacert=%zz", "NAME=VALUE"},
       }) {
    try {
      parse_uri(r.uri);
      ADD_FAILURE() << r.uri << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(r.says), std::string::npos) << r.uri << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(r.uri), std::string::npos) << e.what();
    }
  }
}

TEST(etcd_uri, durations) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("5s"), 5s);
  EXPECT_EQ(parse_duration("2m"), 120s);
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("1.5s"));
}

}  // namespace
}  // namespace store::etcd
