// Adj-RIB-Out: only differences go out, grouped by attribute set; undone changes send
// nothing; a burst of 100,000 changes leaves as a few hundred UPDATEs.
#include "rib/adj_rib_out.hpp"

#include <gtest/gtest.h>

namespace bgp::rib {
namespace {

nlri host(std::uint32_t i) { return nlri{prefix::make(ip_address::v4(0x0A000000 + i), 32), 0}; }

attr_ref set_with(attribute_pool& pool, std::uint32_t community) {
  attribute_set s;
  s.attrs.origin = origin_type::igp;
  s.attrs.path = as_path{{segment_type::as_sequence, {65001}}};
  s.attrs.communities = {community};
  s.next_hops = {ip_address::v4(0xC0000201)};
  return pool.intern(std::move(s));
}

struct counted {
  std::size_t messages = 0, announced = 0, withdrawn = 0;
};

counted decode_all(const bytes& wire) {
  counted c;
  std::size_t at = 0;
  while (at < wire.size()) {
    const byte_view rest(wire.data() + at, wire.size() - at);
    const auto f = frame(rest, {});
    const auto r = decode(rest.first(f.length), {});
    EXPECT_TRUE(r.ok());
    const auto& u = std::get<update_message>(*r.msg);
    c.announced += u.routes.size();
    c.withdrawn += u.withdrawn.size();
    ++c.messages;
    at += f.length;
  }
  return c;
}

const std::vector<family> v4_only{ipv4_unicast};

TEST(adj_rib_out, pool_shares_equal_sets) {
  attribute_pool pool;
  EXPECT_EQ(set_with(pool, 1), set_with(pool, 1));
  EXPECT_NE(set_with(pool, 1), set_with(pool, 2));
}

TEST(adj_rib_out, burst_of_100k_changes_packs_into_few_updates) {
  attribute_pool pool;
  adj_rib_out rib;
  const auto a = set_with(pool, 100);
  for (std::uint32_t i = 0; i < 100000; ++i) rib.announce(ipv4_unicast, host(i), a);
  bytes out;
  const auto n = rib.flush(out, {}, v4_only);
  const auto c = decode_all(out);
  EXPECT_EQ(c.messages, n);
  EXPECT_EQ(c.announced, 100000u);
  EXPECT_LT(n, 200u);
  EXPECT_EQ(rib.sent(ipv4_unicast), 100000u);
  EXPECT_FALSE(rib.pending());
}

TEST(adj_rib_out, undone_changes_send_nothing) {
  attribute_pool pool;
  adj_rib_out rib;
  const auto a = set_with(pool, 1), b = set_with(pool, 2);
  rib.announce(ipv4_unicast, host(1), a);
  rib.withdraw(ipv4_unicast, host(1));
  bytes out;
  EXPECT_EQ(rib.flush(out, {}, v4_only), 0u);
  EXPECT_TRUE(out.empty());
  // Sent with a; changed to b and back to a before the next flush: nothing.
  rib.announce(ipv4_unicast, host(2), a);
  rib.flush(out, {}, v4_only);
  out.clear();
  rib.announce(ipv4_unicast, host(2), b);
  rib.announce(ipv4_unicast, host(2), a);
  EXPECT_EQ(rib.flush(out, {}, v4_only), 0u);
  // A real change goes out once.
  rib.announce(ipv4_unicast, host(2), b);
  EXPECT_EQ(rib.flush(out, {}, v4_only), 1u);
}

TEST(adj_rib_out, withdrawals_and_groups) {
  attribute_pool pool;
  adj_rib_out rib;
  const auto a = set_with(pool, 1), b = set_with(pool, 2);
  for (std::uint32_t i = 0; i < 10; ++i) rib.announce(ipv4_unicast, host(i), i % 2 ? a : b);
  bytes out;
  EXPECT_EQ(rib.flush(out, {}, v4_only), 2u);  // one UPDATE per attribute set
  out.clear();
  for (std::uint32_t i = 0; i < 5; ++i) rib.withdraw(ipv4_unicast, host(i));
  EXPECT_EQ(rib.flush(out, {}, v4_only), 1u);
  EXPECT_EQ(decode_all(out).withdrawn, 5u);
  EXPECT_EQ(rib.size(), 5u);
  // Route refresh: everything desired goes again.
  out.clear();
  rib.forget_sent();
  EXPECT_EQ(rib.flush(out, {}, v4_only), 2u);
  EXPECT_EQ(decode_all(out).announced, 5u);
}

TEST(adj_rib_out, families_not_carried_stay_pending) {
  attribute_pool pool;
  adj_rib_out rib;
  attribute_set s;
  s.attrs.origin = origin_type::igp;
  s.attrs.path = as_path{};
  s.next_hops = {*ip_address::parse("2001:db8::1")};
  rib.announce(ipv6_unicast, nlri{*prefix::parse("2001:db8::5/128"), 0}, pool.intern(s));
  bytes out;
  EXPECT_EQ(rib.flush(out, {}, v4_only), 0u);
  EXPECT_TRUE(rib.pending());
  EXPECT_EQ(rib.flush(out, {}, {ipv4_unicast, ipv6_unicast}), 1u);
  EXPECT_FALSE(rib.pending());
}

}  // namespace
}  // namespace bgp::rib
