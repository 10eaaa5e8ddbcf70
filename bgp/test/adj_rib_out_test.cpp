// Adj-RIB-Out: only differences go out, grouped by attribute set; undone changes send
// nothing; a burst of 100,000 changes leaves as a few hundred UPDATEs, in slices; the
// speaker's compact route table.
#include "rib/adj_rib_out.hpp"

#include <gtest/gtest.h>

#include <map>

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

// What the peer is to have: the world the Adj-RIB-Out's lookup reads.
struct world {
  std::map<prefix, attr_ref> routes;
  adj_rib_out::lookup lookup() {
    return [this](const prefix& p) -> const attr_ref* {
      auto it = routes.find(p);
      return it == routes.end() ? nullptr : &it->second;
    };
  }
  void set(adj_rib_out& rib, const nlri& n, attr_ref a) {
    routes[n.route] = std::move(a);
    rib.changed(n.route);
  }
  void remove(adj_rib_out& rib, const nlri& n) {
    routes.erase(n.route);
    rib.changed(n.route);
  }
  std::vector<prefix> all() const {
    std::vector<prefix> out;
    for (const auto& [p, a] : routes) out.push_back(p);
    return out;
  }
};

TEST(adj_rib_out, pool_shares_equal_sets) {
  attribute_pool pool;
  EXPECT_EQ(set_with(pool, 1), set_with(pool, 1));
  EXPECT_NE(set_with(pool, 1), set_with(pool, 2));
}

TEST(adj_rib_out, burst_of_100k_changes_packs_into_few_updates) {
  attribute_pool pool;
  adj_rib_out rib;
  world w;
  const auto a = set_with(pool, 100);
  for (std::uint32_t i = 0; i < 100000; ++i) w.set(rib, host(i), a);
  bytes out;
  const auto n = rib.flush(out, {}, v4_only, w.lookup());
  const auto c = decode_all(out);
  EXPECT_EQ(c.messages, n);
  EXPECT_EQ(c.announced, 100000u);
  EXPECT_LT(n, 200u);
  EXPECT_EQ(rib.sent(ipv4_unicast), 100000u);
  EXPECT_FALSE(rib.pending());
}

TEST(adj_rib_out, initial_dump_leaves_in_slices_then_sends_nothing_twice) {
  attribute_pool pool;
  adj_rib_out rib;
  world w;
  const auto a = set_with(pool, 100);
  for (std::uint32_t i = 0; i < 100000; ++i) w.routes[host(i).route] = a;
  rib.recheck(w.all(), false);
  // A change during the dump, to a prefix not looked at yet and to a new one.
  bytes out;
  std::size_t messages = 0, flushes = 0;
  messages += rib.flush(out, {}, v4_only, w.lookup(), 16384);
  ++flushes;
  EXPECT_TRUE(rib.rechecking());
  EXPECT_LT(rib.sent(ipv4_unicast), 20000u);
  w.remove(rib, host(99999));
  w.set(rib, host(200000), set_with(pool, 7));
  while (rib.pending()) {
    messages += rib.flush(out, {}, v4_only, w.lookup(), 16384);
    ASSERT_LT(++flushes, 20u);
  }
  const auto c = decode_all(out);
  EXPECT_EQ(c.messages, messages);
  EXPECT_EQ(c.announced, 100000u);  // 99,999 of the dump and the new one, each once
  EXPECT_EQ(c.withdrawn, 0u);       // 99999 was never sent: nothing to withdraw
  EXPECT_LT(messages, 200u);
  EXPECT_EQ(rib.sent(ipv4_unicast), 100000u);
  // Looking at everything again sends nothing; a resend (route refresh) sends it all.
  out.clear();
  rib.recheck(w.all(), false);
  EXPECT_EQ(rib.flush(out, {}, v4_only, w.lookup()), 0u);
  rib.recheck(w.all(), true);
  rib.flush(out, {}, v4_only, w.lookup());
  EXPECT_EQ(decode_all(out).announced, 100000u);
}

TEST(adj_rib_out, undone_changes_send_nothing) {
  attribute_pool pool;
  adj_rib_out rib;
  world w;
  const auto a = set_with(pool, 1), b = set_with(pool, 2);
  w.set(rib, host(1), a);
  w.remove(rib, host(1));
  bytes out;
  EXPECT_EQ(rib.flush(out, {}, v4_only, w.lookup()), 0u);
  EXPECT_TRUE(out.empty());
  // Sent with a; changed to b and back to a before the next flush: nothing.
  w.set(rib, host(2), a);
  rib.flush(out, {}, v4_only, w.lookup());
  out.clear();
  w.set(rib, host(2), b);
  w.set(rib, host(2), a);
  EXPECT_EQ(rib.flush(out, {}, v4_only, w.lookup()), 0u);
  // A real change goes out once.
  w.set(rib, host(2), b);
  EXPECT_EQ(rib.flush(out, {}, v4_only, w.lookup()), 1u);
  EXPECT_EQ(rib.flush(out, {}, v4_only, w.lookup()), 0u);
}

TEST(adj_rib_out, withdrawals_and_groups) {
  attribute_pool pool;
  adj_rib_out rib;
  world w;
  const auto a = set_with(pool, 1), b = set_with(pool, 2);
  for (std::uint32_t i = 0; i < 10; ++i) w.set(rib, host(i), i % 2 ? a : b);
  bytes out;
  EXPECT_EQ(rib.flush(out, {}, v4_only, w.lookup()), 2u);  // one UPDATE per attribute set
  out.clear();
  for (std::uint32_t i = 0; i < 5; ++i) w.remove(rib, host(i));
  EXPECT_EQ(rib.flush(out, {}, v4_only, w.lookup()), 1u);
  EXPECT_EQ(decode_all(out).withdrawn, 5u);
  EXPECT_EQ(rib.sent(ipv4_unicast), 5u);
  // Route refresh: everything desired goes again.
  out.clear();
  rib.recheck(w.all(), true);
  EXPECT_EQ(rib.flush(out, {}, v4_only, w.lookup()), 2u);
  EXPECT_EQ(decode_all(out).announced, 5u);
  // Withdrawing everything: look at what was sent with a world that has nothing.
  out.clear();
  world empty;
  rib.recheck_sent();
  EXPECT_EQ(rib.flush(out, {}, v4_only, empty.lookup()), 1u);
  EXPECT_EQ(decode_all(out).withdrawn, 5u);
  EXPECT_EQ(rib.sent(ipv4_unicast), 0u);
}

TEST(adj_rib_out, add_path_routes_carry_path_id_1) {
  attribute_pool pool;
  adj_rib_out rib;
  world w;
  w.set(rib, host(1), set_with(pool, 1));
  session_context ctx;
  ctx.add_path_ipv4 = true;
  bytes out;
  ASSERT_EQ(rib.flush(out, ctx, v4_only, w.lookup()), 1u);
  const auto r = decode(out, ctx);
  ASSERT_TRUE(r.ok());
  const auto& u = std::get<update_message>(*r.msg);
  ASSERT_EQ(u.routes.size(), 1u);
  EXPECT_EQ(u.routes[0].path_id, 1u);
}

TEST(adj_rib_out, families_not_carried_stay_pending) {
  attribute_pool pool;
  adj_rib_out rib;
  world w;
  attribute_set s;
  s.attrs.origin = origin_type::igp;
  s.attrs.path = as_path{};
  s.next_hops = {*ip_address::parse("2001:db8::1")};
  w.set(rib, nlri{*prefix::parse("2001:db8::5/128"), 0}, pool.intern(s));
  bytes out;
  EXPECT_EQ(rib.flush(out, {}, v4_only, w.lookup()), 0u);
  EXPECT_TRUE(rib.pending());
  EXPECT_EQ(rib.flush(out, {}, {ipv4_unicast, ipv6_unicast}, w.lookup()), 1u);
  EXPECT_FALSE(rib.pending());
  EXPECT_EQ(rib.sent(ipv6_unicast), 1u);
}

TEST(route_table, routes_share_interned_attributes) {
  route_pool pool;
  route_table t(pool);
  route x;
  x.destination = *prefix::parse("10.0.0.1/32");
  x.communities = {1};
  EXPECT_TRUE(t.set(x));
  EXPECT_FALSE(t.set(x));  // unchanged
  route y = x;
  y.destination = *prefix::parse("10.0.0.2/32");
  EXPECT_TRUE(t.set(y));
  EXPECT_EQ(t.find(x.destination), t.find(y.destination));
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.get(*t.find(x.destination)).communities, x.communities);
  // Changing one route's attributes gives it another id; the old one stays for y.
  x.communities = {2};
  EXPECT_TRUE(t.set(x));
  EXPECT_NE(t.find(x.destination), t.find(y.destination));
  EXPECT_EQ(pool.size(), 2u);
  const auto before = pool.generation();
  EXPECT_TRUE(t.erase(y.destination));
  EXPECT_FALSE(t.erase(y.destination));
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_NE(pool.generation(), before);  // ids may be reused: caches keyed by id must go
  {
    route_table other(pool);
    other.set(y);
    EXPECT_EQ(pool.size(), 2u);
  }
  EXPECT_EQ(pool.size(), 1u);  // a table gives its references back
}

}  // namespace
}  // namespace bgp::rib
