// Random valid messages for property tests: anything generated here must survive
// encode -> decode -> encode byte for byte under the context it was made for.
#pragma once

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>

#include <algorithm>
#include <random>

namespace bgp::test {

class message_generator {
 public:
  explicit message_generator(std::uint64_t seed) : rng_(seed) {}

  session_context context() {
    session_context c;
    c.four_octet_as = coin();
    c.extended_message = coin();
    c.add_path_ipv4 = coin();
    c.add_path_ipv6 = coin();
    return c;
  }

  bgp::message any(const session_context& ctx) {
    switch (pick(0, 9)) {
      case 0: return open();
      case 1: return notification();
      case 2: return keepalive_message{};
      case 3: return route_refresh_message{family{static_cast<std::uint16_t>(pick(1, 2)), 1},
                                           static_cast<std::uint8_t>(pick(0, 2))};
      default: return update(ctx);
    }
  }

  open_message open() {
    open_message o;
    o.my_as = static_cast<std::uint16_t>(pick(1, 65535));
    o.hold_time = static_cast<std::uint16_t>(coin() ? 0 : pick(3, 65535));
    o.bgp_id = static_cast<std::uint32_t>(pick(1, 0xFFFFFFFF));
    const int n = pick(0, 12);
    for (int i = 0; i < n; ++i) {
      switch (pick(0, 9)) {
        case 0: o.capabilities.push_back(cap_multiprotocol{fam()}); break;
        case 1: o.capabilities.push_back(cap_route_refresh{static_cast<std::uint8_t>(coin() ? 2 : 128)}); break;
        case 2: o.capabilities.push_back(cap_enhanced_route_refresh{}); break;
        case 3: o.capabilities.push_back(cap_extended_message{}); break;
        case 4: {
          cap_extended_next_hop c;
          for (int k = pick(0, 3); k > 0; --k)
            c.entries.push_back({static_cast<std::uint16_t>(pick(1, 2)), static_cast<std::uint16_t>(pick(1, 128)), 2});
          o.capabilities.push_back(c);
          break;
        }
        case 5: {
          cap_graceful_restart c{coin(), coin(), static_cast<std::uint16_t>(pick(0, 4095)), {}};
          for (int k = pick(0, 3); k > 0; --k) c.entries.push_back({fam(), coin()});
          o.capabilities.push_back(c);
          break;
        }
        case 6: o.capabilities.push_back(cap_four_octet_as{static_cast<std::uint32_t>(pick(1, 0xFFFFFFFF))}); break;
        case 7: {
          cap_add_path c;
          for (int k = pick(1, 3); k > 0; --k)
            c.entries.push_back({fam(), static_cast<cap_add_path::direction>(pick(1, 3))});
          o.capabilities.push_back(c);
          break;
        }
        case 8: o.capabilities.push_back(cap_fqdn{text(pick(0, 40)), text(pick(0, 40))}); break;
        default: o.capabilities.push_back(cap_unknown{static_cast<std::uint8_t>(pick(200, 239)), blob(pick(0, 20))});
      }
    }
    return o;
  }

  notification_message notification() {
    notification_message n{static_cast<std::uint8_t>(pick(1, 7)), static_cast<std::uint8_t>(pick(0, 10)), blob(pick(0, 40))};
    return n;
  }

  update_message update(const session_context& ctx) {
    update_message u;
    const bool v4_add = ctx.add_path_ipv4, v6_add = ctx.add_path_ipv6;
    for (int k = pick(0, 3) == 0 ? pick(1, 20) : 0; k > 0; --k) u.withdrawn.push_back(route(afi::ipv4, v4_add));
    const bool reach_v4 = coin();
    if (reach_v4)
      for (int k = pick(1, 30); k > 0; --k) u.routes.push_back(route(afi::ipv4, v4_add));
    if (pick(0, 2) == 0) {
      mp_reach r;
      r.fam = coin() ? ipv6_unicast : ipv4_unicast;
      r.next_hops.push_back(r.fam == ipv4_unicast && coin() ? ip_address::v4(host()) : v6());
      if (!r.next_hops[0].is_v4() && coin()) r.next_hops.push_back(v6());
      for (int k = pick(0, 20); k > 0; --k)
        r.routes.push_back(route(r.fam == ipv6_unicast ? afi::ipv6 : afi::ipv4, ctx.add_path(r.fam)));
      u.reach = std::move(r);
    }
    if (pick(0, 3) == 0) {
      mp_unreach w;
      w.fam = coin() ? ipv6_unicast : ipv4_unicast;
      for (int k = pick(0, 10); k > 0; --k)
        w.routes.push_back(route(w.fam == ipv6_unicast ? afi::ipv6 : afi::ipv4, w.fam == ipv6_unicast ? v6_add : v4_add));
      u.unreach = std::move(w);
    }
    const bool need = !u.routes.empty() || (u.reach && !u.reach->routes.empty());
    if (need || coin()) attributes(u.attrs, ctx, !u.routes.empty());
    return u;
  }

 private:
  bool coin() { return pick(0, 1) == 1; }
  long long pick(long long lo, long long hi) { return std::uniform_int_distribution<long long>(lo, hi)(rng_); }
  family fam() { return family{static_cast<std::uint16_t>(pick(1, 2)), static_cast<std::uint8_t>(coin() ? 1 : pick(1, 255))}; }
  bytes blob(long long n) {
    bytes b(static_cast<std::size_t>(n));
    for (auto& c : b) c = static_cast<std::uint8_t>(pick(0, 255));
    return b;
  }
  std::string text(long long n) {
    std::string s;
    for (long long i = 0; i < n; ++i) s += static_cast<char>(pick('a', 'z'));
    return s;
  }
  std::uint32_t host() {  // 1.0.0.0 - 223.255.255.255, a valid NEXT_HOP
    return static_cast<std::uint32_t>(pick(0x01000000, 0xDFFFFFFF));
  }
  ip_address v6() {
    std::array<std::uint8_t, 16> a{};
    for (auto& c : a) c = static_cast<std::uint8_t>(pick(0, 255));
    return ip_address::v6(a);
  }
  nlri route(afi f, bool add_path) {
    const ip_address a = f == afi::ipv4 ? ip_address::v4(static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF))) : v6();
    const auto len = static_cast<std::uint8_t>(pick(0, 2) == 0 ? pick(0, f == afi::ipv4 ? 32 : 128) : (f == afi::ipv4 ? 32 : 128));
    return nlri{prefix::make(a, len), add_path ? static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF)) : 0u};
  }
  std::uint32_t asn(const session_context& ctx) {
    return static_cast<std::uint32_t>(ctx.four_octet_as ? pick(1, 0xFFFFFFFF) : pick(1, 65535));
  }
  as_path path(const session_context& ctx, bool four) {
    as_path p;
    // AS4_PATH may not be empty (RFC 7606 §4); AS_PATH may.
    for (int s = pick(four ? 1 : 0, 3); s > 0; --s) {
      path_segment seg;
      seg.type = static_cast<segment_type>(four ? (coin() ? 2 : 1) : pick(1, 4));
      for (int k = pick(1, pick(0, 5) == 0 ? 300 : 6); k > 0; --k)
        seg.asns.push_back(four ? static_cast<std::uint32_t>(pick(1, 0xFFFFFFFF)) : asn(ctx));
      // Segments of more than 255 ASes are split on the wire; keep generated ones
      // to what decodes back as one segment.
      if (seg.asns.size() > 255) seg.asns.resize(255);
      p.push_back(std::move(seg));
    }
    return p;
  }
  void attributes(path_attributes& a, const session_context& ctx, bool v4_nlri) {
    a.origin = static_cast<origin_type>(pick(0, 2));
    a.path = path(ctx, false);
    if (v4_nlri || coin()) a.next_hop = ip_address::v4(host());
    if (coin()) a.med = static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF));
    if (coin()) a.local_pref = static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF));
    a.atomic_aggregate = coin();
    if (coin()) a.aggregator = aggregator_info{asn(ctx), static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF))};
    for (int k = coin() ? pick(1, 80) : 0; k > 0; --k) a.communities.push_back(static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF)));
    if (coin()) a.originator_id = static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF));
    for (int k = coin() ? pick(1, 5) : 0; k > 0; --k) a.cluster_list.push_back(static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF)));
    for (int k = coin() ? pick(1, 40) : 0; k > 0; --k) a.extended_communities.push_back(static_cast<std::uint64_t>(pick(0, 0x7FFFFFFFFFFFFFFF)));
    if (!ctx.four_octet_as && coin()) a.as4_path = path(ctx, true);
    if (!ctx.four_octet_as && coin()) a.as4_aggregator = aggregator_info{static_cast<std::uint32_t>(pick(1, 0xFFFFFFFF)), static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF))};
    for (int k = coin() ? pick(1, 30) : 0; k > 0; --k)
      a.large_communities.push_back({static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF)), static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF)), static_cast<std::uint32_t>(pick(0, 0xFFFFFFFF))});
    for (int k = pick(0, 3) == 0 ? pick(1, 3) : 0; k > 0; --k) {
      // Unknown optional transitive attributes, already marked Partial.
      std::uint8_t code;
      do code = static_cast<std::uint8_t>(pick(19, 255)); while (code == 32);
      bool dup = false;
      for (const auto& u : a.unknown) dup = dup || u.code == code;
      if (!dup) a.unknown.push_back({0xE0, code, blob(pick(0, coin() ? 300 : 10))});
    }
    std::stable_sort(a.unknown.begin(), a.unknown.end(), [](const auto& x, const auto& y) { return x.code < y.code; });
  }

  std::mt19937_64 rng_;
};

}  // namespace bgp::test
