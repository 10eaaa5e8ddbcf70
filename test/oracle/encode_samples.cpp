// Encodes a varied set of BGP messages with our codec and prints, one JSON line each,
// {"name", "four_octet_as", "hex": [messages], "expect": <tshark_expect>} so that
// check_tshark.py can decode the bytes with Wireshark and compare. The expectation comes
// from the typed message, never from the bytes.
#include "tshark_expect.hpp"

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>

#include <boost/json/serialize.hpp>

#include <bit>
#include <cstdint>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {
namespace json = boost::json;

bgp::ip_address ip(std::string_view text) {
  const auto a = bgp::ip_address::parse(text);
  if (!a) throw std::invalid_argument("bad address in sample: " + std::string(text));
  return *a;
}

bgp::nlri route(std::string_view text, std::uint32_t path_id = 0) {
  const auto p = bgp::prefix::parse(text);
  if (!p) throw std::invalid_argument("bad prefix in sample: " + std::string(text));
  return bgp::nlri{*p, path_id};
}

std::uint32_t v4(std::string_view text) { return ip(text).v4_host_order(); }

std::uint32_t community(std::uint16_t as, std::uint16_t value) {
  return std::uint32_t{as} << 16 | value;
}

std::uint64_t route_target(std::uint16_t as, std::uint32_t value) {
  using namespace bgp::iana::ext_community;
  return std::uint64_t{type_two_octet_as} << 56 | std::uint64_t{subtype_route_target} << 48 |
         std::uint64_t{as} << 32 | value;
}

// draft-ietf-idr-link-bandwidth: AS and the bandwidth in bytes per second as an IEEE
// float, non-transitive.
std::uint64_t link_bandwidth(std::uint16_t as, float bytes_per_second) {
  using namespace bgp::iana::ext_community;
  return std::uint64_t{type_non_transitive_two_octet_as} << 56 |
         std::uint64_t{subtype_link_bandwidth} << 48 | std::uint64_t{as} << 32 |
         std::bit_cast<std::uint32_t>(bytes_per_second);
}

bgp::session_context session(bool four_octet_as = true, bool add_path_v4 = false,
                             bool add_path_v6 = false) {
  bgp::session_context ctx;
  ctx.four_octet_as = four_octet_as;
  ctx.add_path_ipv4 = add_path_v4;
  ctx.add_path_ipv6 = add_path_v6;
  return ctx;
}

// Splits a run of encoded messages at their header length fields.
std::vector<std::string> split_hex(const bgp::bytes& wire) {
  static constexpr char digits[] = "0123456789abcdef";
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at + bgp::header_size <= wire.size()) {
    const std::size_t len = std::size_t{wire[at + 16]} << 8 | wire[at + 17];
    if (len < bgp::header_size || at + len > wire.size())
      throw std::runtime_error("encoder produced a bad header length");
    std::string h;
    for (std::size_t i = at; i < at + len; ++i) {
      h.push_back(digits[wire[i] >> 4]);
      h.push_back(digits[wire[i] & 0xf]);
    }
    out.push_back(std::move(h));
    at += len;
  }
  if (at != wire.size()) throw std::runtime_error("encoder left trailing bytes");
  return out;
}

void print(std::string_view name, const bgp::session_context& ctx, const bgp::bytes& wire,
           json::object expect) {
  json::array hex;
  for (auto& h : split_hex(wire)) hex.push_back(json::string(h));
  std::cout << json::serialize(json::object{{"name", name},
                                            {"four_octet_as", ctx.four_octet_as},
                                            {"hex", std::move(hex)},
                                            {"expect", std::move(expect)}})
            << '\n';
}

void sample(std::string_view name, const bgp::message& m,
            const bgp::session_context& ctx = session()) {
  print(name, ctx, bgp::encode(m, ctx), oracle::tshark_expect(m, ctx));
}

// pack_announce of a few routes must give exactly one UPDATE, equal to `as_update`.
void packed_once(std::string_view name, bgp::family fam, const bgp::path_attributes& attrs,
                 const std::vector<bgp::ip_address>& next_hops,
                 const std::vector<bgp::nlri>& routes, const bgp::session_context& ctx) {
  bgp::bytes wire;
  if (bgp::pack_announce(wire, fam, attrs, next_hops, routes, ctx) != 1)
    throw std::runtime_error(std::string(name) + ": pack_announce did not write one message");
  bgp::update_message u;
  u.attrs = attrs;
  if (fam == bgp::ipv4_unicast && next_hops.size() == 1 && next_hops[0].is_v4()) {
    u.attrs.next_hop = next_hops[0];
    u.routes = routes;
  } else {
    u.reach = bgp::mp_reach{fam, next_hops, routes, {}, {}};
  }
  print(name, ctx, wire, oracle::tshark_expect(u, ctx));
}

// ---------------------------------------------------------------- samples

bgp::open_message full_open() {
  using bgp::cap_add_path;
  bgp::open_message m;
  m.my_as = bgp::iana::as_trans;
  m.hold_time = 90;
  m.bgp_id = v4("10.0.0.1");
  m.capabilities = {
      bgp::cap_multiprotocol{bgp::ipv4_unicast},
      bgp::cap_multiprotocol{bgp::ipv6_unicast},
      bgp::cap_route_refresh{bgp::iana::capability::route_refresh},
      bgp::cap_route_refresh{bgp::iana::capability::route_refresh_cisco},
      bgp::cap_enhanced_route_refresh{},
      bgp::cap_extended_message{},
      bgp::cap_extended_next_hop{{{1, 1, 2}}},
      bgp::cap_graceful_restart{false, true, 120,
                                {{bgp::ipv4_unicast, true}, {bgp::ipv6_unicast, false}}},
      bgp::cap_four_octet_as{4200000001},
      cap_add_path{{{bgp::ipv4_unicast, cap_add_path::direction::both},
                    {bgp::ipv6_unicast, cap_add_path::direction::receive}}},
      bgp::cap_fqdn{"node-1", "example.net"},
  };
  return m;
}

bgp::open_message small_open() {
  bgp::open_message m;
  m.my_as = 65001;
  m.hold_time = 180;
  m.bgp_id = v4("192.0.2.1");
  m.capabilities = {bgp::cap_multiprotocol{bgp::ipv4_unicast}, bgp::cap_four_octet_as{65001},
                    bgp::cap_graceful_restart{true, false, 300, {}}};
  return m;
}

bgp::path_attributes rich_attributes() {
  using bgp::segment_type;
  bgp::path_attributes a;
  a.origin = bgp::origin_type::igp;
  a.path = bgp::as_path{{segment_type::as_sequence, {65001, 4200000001}},
                        {segment_type::as_set, {1, 2}},
                        {segment_type::confed_sequence, {64512}},
                        {segment_type::confed_set, {64513, 64514}}};
  a.med = 50;
  a.local_pref = 200;
  a.atomic_aggregate = true;
  a.aggregator = bgp::aggregator_info{65001, v4("192.0.2.9")};
  a.communities = {community(65000, 100), bgp::iana::community::no_export,
                   bgp::iana::community::graceful_shutdown};
  a.originator_id = v4("10.0.0.9");
  a.cluster_list = {v4("10.0.0.1"), v4("10.0.0.2")};
  a.extended_communities = {route_target(65000, 100), link_bandwidth(65000, 125000000.0f)};
  a.large_communities = {{65000, 1, 2}, {4200000001, 3, 4}};
  a.unknown = {
      bgp::unknown_attribute{0xc0, 200, {1, 2, 3}},  // optional transitive: passed on
      bgp::unknown_attribute{0x80, 201, {4, 5}},     // optional non-transitive: dropped
  };
  return a;
}

bgp::path_attributes plain_attributes(std::uint32_t local_pref) {
  bgp::path_attributes a;
  a.origin = bgp::origin_type::igp;
  a.path = bgp::as_path{{bgp::segment_type::as_sequence, {65001}}};
  a.local_pref = local_pref;
  return a;
}

void updates() {
  {
    bgp::update_message u;
    u.withdrawn = {route("10.9.0.0/16")};
    u.attrs = rich_attributes();
    u.attrs.next_hop = ip("192.0.2.1");
    u.routes = {route("10.1.0.0/16"), route("10.2.2.0/24"), route("192.0.2.128/25"),
                route("0.0.0.0/0"), route("198.51.100.7/32")};
    sample("update ipv4, every attribute", u);
  }
  {
    bgp::update_message u;
    u.withdrawn = {route("10.9.0.0/16", 5)};
    u.attrs = plain_attributes(100);
    u.attrs.origin = bgp::origin_type::incomplete;
    u.attrs.next_hop = ip("192.0.2.1");
    u.attrs.med = 0;
    u.routes = {route("10.1.0.0/16", 1), route("10.1.0.0/16", 2), route("10.2.2.0/24", 3)};
    sample("update ipv4 ADD-PATH", u, session(true, true, false));
  }
  {
    bgp::update_message u;
    u.attrs.origin = bgp::origin_type::egp;
    u.attrs.path = bgp::as_path{{bgp::segment_type::as_sequence, {65001, 4200000001, 65002}}};
    u.attrs.next_hop = ip("192.0.2.1");
    u.attrs.aggregator = bgp::aggregator_info{4200000001, v4("1.2.3.4")};
    u.routes = {route("10.1.0.0/16")};
    sample("update on a 2-octet AS session: AS_TRANS + AS4_PATH/AS4_AGGREGATOR", u,
           session(false));
  }
  {
    bgp::update_message u;
    u.attrs = plain_attributes(100);
    u.reach = bgp::mp_reach{bgp::ipv6_unicast,
                            {ip("2001:db8::1"), ip("fe80::1")},
                            {route("2001:db8:1::/48", 7), route("2001:db8:2::/64", 8)},
                            {},
                            {}};
    u.unreach = bgp::mp_unreach{bgp::ipv6_unicast, {route("2001:db8:9::/48", 3)}, {}};
    sample("update ipv6 MP_REACH + MP_UNREACH with ADD-PATH", u, session(true, false, true));
  }
  {
    bgp::update_message u;
    u.unreach = bgp::mp_unreach{bgp::ipv6_unicast,
                                {route("2001:db8:9::/48"), route("2001:db8:a::1/128")},
                                {}};
    sample("update ipv6 MP_UNREACH only", u);
  }
  sample("End-of-RIB ipv4", bgp::end_of_rib(bgp::ipv4_unicast));
  sample("End-of-RIB ipv6", bgp::end_of_rib(bgp::ipv6_unicast));

  bgp::path_attributes v6attrs = plain_attributes(150);
  v6attrs.large_communities = {{65000, 10, 20}};
  v6attrs.communities = {community(65000, 200)};
  packed_once("pack_announce ipv6 with link-local next hop", bgp::ipv6_unicast, v6attrs,
              {ip("2001:db8::1"), ip("fe80::1:2")},
              {route("2001:db8:100::/40"), route("2001:db8:200::/56"), route("::/0")}, session());
  packed_once("pack_announce ipv6 ADD-PATH", bgp::ipv6_unicast, v6attrs, {ip("2001:db8::1")},
              {route("2001:db8:100::/40", 11), route("2001:db8:100::/40", 12)},
              session(true, false, true));
  packed_once("pack_announce ipv4 with an IPv6 next hop (RFC 8950)", bgp::ipv4_unicast,
              plain_attributes(120), {ip("2001:db8::7")},
              {route("10.5.0.0/16"), route("10.6.6.0/24")}, session());
  packed_once("pack_announce ipv4 with an IPv4 next hop", bgp::ipv4_unicast,
              plain_attributes(120), {ip("192.0.2.1")},
              {route("10.5.0.0/16"), route("10.6.6.0/24")}, session());
  packed_once("pack_announce ipv4 ADD-PATH", bgp::ipv4_unicast, plain_attributes(120),
              {ip("192.0.2.1")}, {route("10.5.0.0/16", 1), route("10.5.0.0/16", 2)},
              session(true, true, false));

  // Enough routes for several messages, each within 4096 octets.
  std::vector<bgp::nlri> many;
  for (std::uint32_t i = 0; i < 2000; ++i)
    many.push_back(bgp::nlri{bgp::prefix::make(bgp::ip_address::v4(0x0a000000 + (i << 8)), 24), 0});
  bgp::bytes wire;
  const bgp::ip_address hop = ip("192.0.2.1");
  const std::size_t n = bgp::pack_announce(wire, bgp::ipv4_unicast, plain_attributes(100),
                                           std::span(&hop, 1), many, session());
  if (n < 2) throw std::runtime_error("pack_announce of 2000 routes wrote one message");
  print("pack_announce 2000 ipv4 routes", session(), wire,
        oracle::tshark_expect_packed(plain_attributes(100), hop, many, session()));
}

void others() {
  sample("open with every capability we send", full_open());
  sample("open, small", small_open());
  sample("keepalive", bgp::keepalive_message{});
  sample("notification cease/administrative shutdown with an RFC 9003 message",
         bgp::notification_message::cease(bgp::iana::cease_subcode::administrative_shutdown,
                                          "maintenance window, back at 14:00"));
  sample("notification hold timer expired",
         bgp::notification_message{bgp::iana::error_code::hold_timer_expired, 0, {}});
  sample("notification cease/peer de-configured",
         bgp::notification_message{bgp::iana::error_code::cease,
                                   bgp::iana::cease_subcode::peer_deconfigured, {}});
  sample("notification UPDATE error/malformed attribute list with data",
         bgp::notification_message{bgp::iana::error_code::update_message,
                                   bgp::iana::update_subcode::malformed_attribute_list,
                                   {0xde, 0xad, 0xbe, 0xef}});
  sample("route refresh ipv4", bgp::route_refresh_message{bgp::ipv4_unicast, 0});
  sample("route refresh ipv6 BoRR",
         bgp::route_refresh_message{bgp::ipv6_unicast, bgp::iana::route_refresh_subtype::borr});
  sample("route refresh ipv6 EoRR",
         bgp::route_refresh_message{bgp::ipv6_unicast, bgp::iana::route_refresh_subtype::eorr});
}

}  // namespace

int main() {
  try {
    others();
    updates();
  } catch (const std::exception& e) {
    std::cerr << "encode_samples: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
