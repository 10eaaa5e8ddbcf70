// UPDATE packing: every route arrives, no message exceeds the limit, and no message
// could have taken one more route (the fewest messages for a greedy fill).
#include "hex.hpp"

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>

#include <gtest/gtest.h>

namespace bgp {
namespace {

std::vector<nlri> v4_hosts(std::size_t n, std::uint32_t base = 0x0A000000) {
  std::vector<nlri> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(nlri{prefix::make(ip_address::v4(base + static_cast<std::uint32_t>(i)), 32), 0});
  return out;
}

std::vector<nlri> v6_hosts(std::size_t n) {
  std::vector<nlri> out;
  auto a = *ip_address::parse("2001:db8::");
  for (std::size_t i = 0; i < n; ++i) {
    a.octets[12] = static_cast<std::uint8_t>(i >> 24);
    a.octets[13] = static_cast<std::uint8_t>(i >> 16);
    a.octets[14] = static_cast<std::uint8_t>(i >> 8);
    a.octets[15] = static_cast<std::uint8_t>(i);
    out.push_back(nlri{prefix::make(a, 128), 0});
  }
  return out;
}

path_attributes attrs() {
  path_attributes a;
  a.origin = origin_type::igp;
  a.path = as_path{{segment_type::as_sequence, {65001}}};
  a.communities = {0xFDE90064};
  a.large_communities = {{65001, 1, 2}};
  return a;
}

struct unpacked {
  std::vector<update_message> messages;
  std::vector<std::size_t> sizes;
};

unpacked split(const bytes& wire, const session_context& ctx) {
  unpacked u;
  std::size_t at = 0;
  while (at < wire.size()) {
    const byte_view rest(wire.data() + at, wire.size() - at);
    const auto f = frame(rest, ctx);
    EXPECT_FALSE(f.error);
    EXPECT_GT(f.length, 0u);
    if (f.error || f.length == 0 || f.length > rest.size()) break;
    const auto r = decode(rest.first(f.length), ctx);
    EXPECT_TRUE(r.ok()) << (r.error ? r.error->reason : "");
    if (!r.ok()) break;
    u.messages.push_back(std::get<update_message>(*r.msg));
    u.sizes.push_back(f.length);
    at += f.length;
  }
  return u;
}

std::size_t wire_size(const nlri& n, bool add_path) {
  return (add_path ? 4u : 0u) + 1u + (n.route.length + 7u) / 8u;
}

// Every message but the last is full: the next route would not have fitted.
void expect_tight(const unpacked& u, const std::vector<nlri>& routes, const session_context& ctx,
                  bool add_path) {
  std::size_t i = 0;
  for (std::size_t m = 0; m < u.messages.size(); ++m) {
    const auto& msg = u.messages[m];
    i += msg.routes.size() + msg.withdrawn.size() + (msg.reach ? msg.reach->routes.size() : 0) +
         (msg.unreach ? msg.unreach->routes.size() : 0);
    EXPECT_LE(u.sizes[m], ctx.max_size());
    if (m + 1 < u.messages.size()) {
      ASSERT_LT(i, routes.size());
      EXPECT_GT(u.sizes[m] + wire_size(routes[i], add_path), ctx.max_size()) << "message " << m;
    }
  }
  EXPECT_EQ(i, routes.size());
}

TEST(pack, ipv4_hosts_fill_4096_octet_messages) {
  const session_context ctx;
  const auto routes = v4_hosts(100000);
  bytes out;
  const auto nh = ip_address::v4(0xC0000201);
  const std::size_t n = pack_announce(out, ipv4_unicast, attrs(), {&nh, 1}, routes, ctx);
  const auto u = split(out, ctx);
  ASSERT_EQ(u.messages.size(), n);
  std::vector<nlri> got;
  for (const auto& m : u.messages) {
    EXPECT_EQ(m.attrs.next_hop, nh);
    EXPECT_EQ(m.attrs.communities, attrs().communities);
    got.insert(got.end(), m.routes.begin(), m.routes.end());
  }
  EXPECT_EQ(got, routes);
  expect_tight(u, routes, ctx, false);
  // 100,000 changes leave as a few hundred messages, not 100,000.
  EXPECT_LT(n, 130u);
}

TEST(pack, ipv6_hosts_use_mp_reach) {
  const session_context ctx;
  const auto routes = v6_hosts(20000);
  const ip_address nhs[] = {*ip_address::parse("2001:db8::ff"), *ip_address::parse("fe80::ff")};
  bytes out;
  const std::size_t n = pack_announce(out, ipv6_unicast, attrs(), nhs, routes, ctx);
  const auto u = split(out, ctx);
  ASSERT_EQ(u.messages.size(), n);
  std::vector<nlri> got;
  for (const auto& m : u.messages) {
    ASSERT_TRUE(m.reach);
    EXPECT_EQ(m.reach->next_hops, (std::vector<ip_address>{nhs[0], nhs[1]}));
    EXPECT_FALSE(m.attrs.next_hop);
    got.insert(got.end(), m.reach->routes.begin(), m.reach->routes.end());
  }
  EXPECT_EQ(got, routes);
  expect_tight(u, routes, ctx, false);
}

TEST(pack, extended_messages_and_add_path) {
  session_context ctx;
  ctx.extended_message = true;
  ctx.add_path_ipv4 = true;
  auto routes = v4_hosts(50000);
  for (std::size_t i = 0; i < routes.size(); ++i) routes[i].path_id = static_cast<std::uint32_t>(i % 3);
  bytes out;
  const auto nh = ip_address::v4(0xC0000201);
  const std::size_t n = pack_announce(out, ipv4_unicast, attrs(), {&nh, 1}, routes, ctx);
  const auto u = split(out, ctx);
  ASSERT_EQ(u.messages.size(), n);
  expect_tight(u, routes, ctx, true);
  EXPECT_EQ(n, 7u);  // 50,000 x 9 octets in messages of up to 65,535
  std::vector<nlri> got;
  for (const auto& m : u.messages) got.insert(got.end(), m.routes.begin(), m.routes.end());
  EXPECT_EQ(got, routes);
}

TEST(pack, ipv4_with_ipv6_next_hop_rfc8950) {
  const session_context ctx;
  const auto routes = v4_hosts(10);
  const auto nh = *ip_address::parse("2001:db8::1");
  bytes out;
  EXPECT_EQ(pack_announce(out, ipv4_unicast, attrs(), {&nh, 1}, routes, ctx), 1u);
  const auto u = split(out, ctx);
  ASSERT_EQ(u.messages.size(), 1u);
  ASSERT_TRUE(u.messages[0].reach);
  EXPECT_EQ(u.messages[0].reach->fam, ipv4_unicast);
  EXPECT_EQ(u.messages[0].reach->routes, routes);
}

TEST(pack, withdrawals_both_families) {
  session_context ctx;
  for (bool add_path : {false, true}) {
    ctx.add_path_ipv4 = ctx.add_path_ipv6 = add_path;
    const auto v4 = v4_hosts(30000);
    bytes out;
    pack_withdraw(out, ipv4_unicast, v4, ctx);
    auto u = split(out, ctx);
    std::vector<nlri> got;
    for (const auto& m : u.messages) got.insert(got.end(), m.withdrawn.begin(), m.withdrawn.end());
    EXPECT_EQ(got, v4);
    expect_tight(u, v4, ctx, add_path);

    const auto v6 = v6_hosts(30000);
    out.clear();
    pack_withdraw(out, ipv6_unicast, v6, ctx);
    u = split(out, ctx);
    got.clear();
    for (const auto& m : u.messages) {
      ASSERT_TRUE(m.unreach);
      got.insert(got.end(), m.unreach->routes.begin(), m.unreach->routes.end());
    }
    EXPECT_EQ(got, v6);
    expect_tight(u, v6, ctx, add_path);
  }
}

TEST(pack, mixed_lengths_and_nothing_to_send) {
  const session_context ctx;
  std::vector<nlri> routes;
  for (std::uint8_t len = 0; len <= 32; ++len)
    routes.push_back(nlri{prefix::make(ip_address::v4(0xC0A80000u + len), len), 0});
  bytes out;
  const auto nh = ip_address::v4(0xC0000201);
  EXPECT_EQ(pack_announce(out, ipv4_unicast, attrs(), {&nh, 1}, routes, ctx), 1u);
  EXPECT_EQ(split(out, ctx).messages.at(0).routes, routes);
  out.clear();
  EXPECT_EQ(pack_announce(out, ipv4_unicast, attrs(), {&nh, 1}, {}, ctx), 0u);
  EXPECT_EQ(pack_withdraw(out, ipv6_unicast, {}, ctx), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(pack, attributes_too_large_for_any_route) {
  const session_context ctx;
  path_attributes a = attrs();
  a.communities.assign(1100, 1);  // 4400 octets
  const auto routes = v4_hosts(1);
  const auto nh = ip_address::v4(0xC0000201);
  bytes out;
  EXPECT_THROW(pack_announce(out, ipv4_unicast, a, {&nh, 1}, routes, ctx), std::length_error);
}

}  // namespace
}  // namespace bgp
