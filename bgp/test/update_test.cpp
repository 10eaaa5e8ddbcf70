// UPDATE messages: every attribute both ways, and how errors combine. The receive rules
// one by one (RFC 4271 §6.3 as revised by RFC 7606, and the attributes' own RFCs) are
// in receive_rules_test.cpp.
#include "hex.hpp"

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>

#include <gtest/gtest.h>

namespace bgp {
namespace {

using test::from_hex;
using test::to_hex;

const std::string origin = "40010100";
const std::string path = "40020602010000fde9";
const std::string nh = "4003040a000001";
const std::string base = origin + path + nh;
const std::string nlri24 = "180a0000";

prefix P(const char* s) { return *prefix::parse(s); }
nlri N(const char* s, std::uint32_t id = 0) { return nlri{P(s), id}; }

TEST(update, discard_drops_only_the_attribute) {
  const auto r = decode(test::update("", base + "40060100" + "c00804fde90001", nlri24), {});
  ASSERT_TRUE(r.msg);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->action, error_action::attribute_discard);
  const auto& u = std::get<update_message>(*r.msg);
  EXPECT_FALSE(u.attrs.atomic_aggregate);
  EXPECT_EQ(u.attrs.communities, (std::vector<std::uint32_t>{0xfde90001}));
  EXPECT_EQ(u.routes, (std::vector<nlri>{N("10.0.0.0/24")}));
}

TEST(update, most_severe_action_wins) {
  // A discard (ATOMIC_AGGREGATE) and a treat-as-withdraw (MED): the latter is kept.
  const auto r = decode(test::update("", base + "800403000001" + "40060100", nlri24), {});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->action, error_action::treat_as_withdraw);
  EXPECT_EQ(r.error->subcode, 5);
}

TEST(update, repeated_attribute_keeps_the_first) {
  const auto r = decode(test::update("", base + "40010102", nlri24), {});
  ASSERT_TRUE(r.msg);
  EXPECT_EQ(std::get<update_message>(*r.msg).attrs.origin, origin_type::igp);
}

TEST(update, mp_flags_error_disables_the_family) {
  // RFC 7606 §5.3: MP_REACH_NLRI marked transitive: its family is disabled.
  const auto r = decode(test::update("", origin + path + "c00e1a00020110" "20010db8000000000000000000000001" "00" "2020010db8", ""), {});
  ASSERT_FALSE(r.msg);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->action, error_action::afi_safi_disable);
  EXPECT_EQ(r.error->afi_safi, ipv6_unicast);
  EXPECT_EQ(r.error->subcode, 4);
}

TEST(update, afi_safi_disable_names_the_family) {
  const auto r = decode(test::update("", origin + path + "800e0a00020105" "2001000000" "00", ""), {});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->afi_safi, ipv6_unicast);
}

TEST(update, ebgp_discards_ibgp_only_attributes) {
  session_context ctx;
  ctx.ebgp = true;
  const auto r = decode(test::update("", base + "4005020064" + "800903" "0a0000" + "800a00", nlri24), ctx);
  ASSERT_TRUE(r.msg);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->action, error_action::attribute_discard);  // RFC 7606 §7.5, §7.9, §7.10
  const auto& u = std::get<update_message>(*r.msg);
  EXPECT_FALSE(u.attrs.local_pref);
  EXPECT_FALSE(u.attrs.originator_id);
  EXPECT_TRUE(u.attrs.cluster_list.empty());
  EXPECT_EQ(u.routes, (std::vector<nlri>{N("10.0.0.0/24")}));
}

TEST(update, withdraw_only_needs_no_attributes) {
  const auto r = decode(test::update("200a000001" "180a0001", "", ""), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<update_message>(*r.msg).withdrawn,
            (std::vector<nlri>{N("10.0.0.1/32"), N("10.0.1.0/24")}));
}

TEST(update, host_bits_are_cleared) {
  const auto r = decode(test::update("", base, "170a0001"), {});  // 10.0.1.0/23 sent as 10.0.0/23 + bit
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<update_message>(*r.msg).routes[0].route.to_string(), "10.0.0.0/23");
}

TEST(update, unknown_optional_attributes) {
  // transitive 0xc0 type 99 and non-transitive 0x80 type 98
  const auto r = decode(test::update("", base + "c06302abcd" + "806201ee", nlri24), {});
  ASSERT_TRUE(r.ok());
  const auto& u = std::get<update_message>(*r.msg);
  ASSERT_EQ(u.attrs.unknown.size(), 2u);
  EXPECT_EQ(u.attrs.unknown[0], (unknown_attribute{0xc0, 99, {0xab, 0xcd}}));
  EXPECT_EQ(u.attrs.unknown[1], (unknown_attribute{0x80, 98, {0xee}}));
  // Passed on: the transitive one with the Partial bit, the other one not at all.
  const bytes out = encode(*r.msg, {});
  EXPECT_EQ(out, test::update("", base + "e06302abcd", nlri24));
}

TEST(update, fuzz_found_unknown_attribute_flags_and_order) {
  // From fuzz_bgp_message: unknown attributes 254 (non-transitive), 64 (flags 0xc8, an
  // unused low bit set) and 40, in that order. Passed on: only 40 and 64, in type
  // order, Partial set, unused bits cleared.
  const auto r = decode(from_hex("ffffffffffffffffffffffffffffffff003e0200000023400101004002004003046501650180fe03"
                                 "200000c840050400000064c028040002100117010002"), {});
  ASSERT_TRUE(r.ok());
  const auto& u = std::get<update_message>(*r.msg);
  ASSERT_EQ(u.attrs.unknown.size(), 3u);
  EXPECT_EQ(u.attrs.unknown[1].flags, 0xc0);
  const auto again = decode(encode(u, {}), {});
  ASSERT_TRUE(again.ok());
  const auto& passed = std::get<update_message>(*again.msg).attrs.unknown;
  ASSERT_EQ(passed.size(), 2u);
  EXPECT_EQ(passed[0], (unknown_attribute{0xe0, 40, from_hex("00021001")}));
  EXPECT_EQ(passed[1], (unknown_attribute{0xe0, 64, from_hex("0400000064")}));
}

TEST(update, extended_length_flag_both_ways) {
  // An extended-length ORIGIN is accepted...
  auto r = decode(test::update("", "5001000100" + path + nh, nlri24), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<update_message>(*r.msg).attrs.origin, origin_type::igp);
  // ...and re-encoded short; a long COMMUNITIES uses extended length.
  EXPECT_EQ(encode(*r.msg, {}), test::update("", base, nlri24));
  update_message u = std::get<update_message>(*r.msg);
  for (std::uint32_t i = 0; i < 100; ++i) u.attrs.communities.push_back(0xfde90000 + i);
  const bytes wire = encode(u, {});
  const std::size_t at = 19 + 2 + 2 + (base.size() / 2);
  EXPECT_EQ(wire[at], 0xd0);  // optional, transitive, extended length
  EXPECT_EQ(wire[at + 1], 8);
  EXPECT_EQ(wire[at + 2], 0x01);
  EXPECT_EQ(wire[at + 3], 0x90);  // 400
  r = decode(wire, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<update_message>(*r.msg), u);
}

update_message full_update() {
  update_message u;
  u.withdrawn = {N("192.0.2.0/24"), N("198.51.100.7/32")};
  auto& a = u.attrs;
  a.origin = origin_type::egp;
  a.path = as_path{{segment_type::confed_sequence, {64512, 64513}},
                   {segment_type::as_sequence, {65001, 4200000001u}},
                   {segment_type::as_set, {65010, 65011}}};
  a.next_hop = ip_address::v4(0xC0000201);
  a.med = 20;
  a.local_pref = 200;
  a.atomic_aggregate = true;
  a.aggregator = aggregator_info{4200000001u, 0xC0000202};
  a.communities = {0xFDE90001, iana::community::no_export};
  a.originator_id = 0x0A000009;
  a.cluster_list = {0x0A000001, 0x0A000002};
  // route target 65001:1 and a link-bandwidth community (AS 65001, 1.25e9 bytes/s)
  a.extended_communities = {0x0002FDE900000001ull, 0x4004FDE94E9502F9ull};
  a.large_communities = {{4200000001u, 1, 2}, {65001, 0, 7}};
  a.unknown = {unknown_attribute{0xE0, 99, {1, 2, 3}}};
  u.routes = {N("10.2.0.1/32"), N("10.2.0.0/24"), N("0.0.0.0/0"), N("10.128.0.0/9")};
  return u;
}

TEST(update, every_attribute_round_trips) {
  const auto u = full_update();
  const bytes wire = encode(u, {});
  const auto r = decode(wire, {});
  ASSERT_TRUE(r.ok()) << r.error->reason;
  EXPECT_EQ(std::get<update_message>(*r.msg), u);
  EXPECT_EQ(encode(*r.msg, {}), wire);
}

TEST(update, gobgp_vector_exact_bytes) {
  // GoBGP 3.10: 10.2.0.1/32 + 10.2.0.0/24, AS path [65002 65100], nh 192.0.2.2, med 20,
  // local pref 200, communities 65002:1, no-export.
  const bytes wire = from_hex(
      "ffffffffffffffffffffffffffffffff005102000000314001010040020a02020000fdea0000fe4c400304c0"
      "00020280040400000014400504000000c8c00808fdea0001ffffff01200a020001180a0200");
  const auto r = decode(wire, {});
  ASSERT_TRUE(r.ok());
  update_message want;
  want.attrs.origin = origin_type::igp;
  want.attrs.path = as_path{{segment_type::as_sequence, {65002, 65100}}};
  want.attrs.next_hop = ip_address::v4(0xC0000202);
  want.attrs.med = 20;
  want.attrs.local_pref = 200;
  want.attrs.communities = {0xFDEA0001, 0xFFFFFF01};
  want.routes = {N("10.2.0.1/32"), N("10.2.0.0/24")};
  EXPECT_EQ(std::get<update_message>(*r.msg), want);
  EXPECT_EQ(encode(want, {}), wire);
}

TEST(update, ipv6_mp_reach_with_link_local) {
  update_message u;
  u.attrs.origin = origin_type::igp;
  u.attrs.path = as_path{};
  u.reach = mp_reach{ipv6_unicast,
                     {*ip_address::parse("2001:db8::1"), *ip_address::parse("fe80::1")},
                     {N("2001:db8:1::1/128"), N("2001:db8:2::/48")},
                     {},
                     {}};
  u.unreach = mp_unreach{ipv6_unicast, {N("2001:db8:3::/64")}, {}};
  const bytes wire = encode(u, {});
  // RFC 7606 §5.1: MP_REACH_NLRI first.
  EXPECT_EQ(wire[23], 0x80);
  EXPECT_EQ(wire[24], 14);
  const auto r = decode(wire, {});
  ASSERT_TRUE(r.ok()) << r.error->reason;
  EXPECT_EQ(std::get<update_message>(*r.msg), u);
}

TEST(update, ipv4_over_ipv6_next_hop_rfc8950) {
  update_message u;
  u.attrs.origin = origin_type::igp;
  u.attrs.path = as_path{{segment_type::as_sequence, {65001}}};
  u.reach = mp_reach{ipv4_unicast, {*ip_address::parse("2001:db8::1")}, {N("10.0.0.1/32")}, {}, {}};
  const auto r = decode(encode(u, {}), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<update_message>(*r.msg), u);
}

TEST(update, other_families_kept_opaque) {
  // VPNv4 (AFI 1, SAFI 128): RD + address next hop, labelled NLRI.
  const std::string mp = "800e20" "000180" "0c" "0000000000000000c0000201" "00" "70" "000641" "0000fde900000001" "0a0000";
  const auto r = decode(test::update("", origin + path + mp, ""), {});
  ASSERT_TRUE(r.ok()) << r.error->reason;
  const auto& u = std::get<update_message>(*r.msg);
  ASSERT_TRUE(u.reach);
  EXPECT_EQ(u.reach->fam, (family{1, 128}));
  EXPECT_EQ(to_hex(u.reach->raw_next_hop), "0000000000000000c0000201");
  EXPECT_EQ(to_hex(u.reach->raw_nlri), "700006410000fde9000000010a0000");
  EXPECT_EQ(encode(u, {}), test::update("", mp + origin + path, ""));
}

TEST(update, add_path_identifiers) {
  session_context ctx;
  ctx.add_path_ipv4 = true;
  ctx.add_path_ipv6 = true;
  update_message u;
  u.withdrawn = {N("10.9.0.0/16", 7)};
  u.attrs.origin = origin_type::igp;
  u.attrs.path = as_path{};
  u.attrs.next_hop = ip_address::v4(0x0A000001);
  u.routes = {N("10.0.0.1/32", 1), N("10.0.0.1/32", 2)};
  u.reach = mp_reach{ipv6_unicast, {*ip_address::parse("2001:db8::1")}, {N("2001:db8::1/128", 0xFFFFFFFF)}, {}, {}};
  const bytes wire = encode(u, ctx);
  const auto r = decode(wire, ctx);
  ASSERT_TRUE(r.ok()) << r.error->reason;
  EXPECT_EQ(std::get<update_message>(*r.msg), u);
  // Without ADD-PATH the same bytes do not parse as the same routes.
  const auto plain = decode(wire, {});
  EXPECT_FALSE(plain.ok() && std::get<update_message>(*plain.msg) == u);
}

TEST(update, end_of_rib_markers) {
  for (family f : {ipv4_unicast, ipv6_unicast}) {
    const bytes wire = encode(end_of_rib(f), {});
    const auto r = decode(wire, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::get<update_message>(*r.msg).end_of_rib(), f);
  }
  EXPECT_EQ(to_hex(encode(end_of_rib(ipv4_unicast), {})), "ffffffffffffffffffffffffffffffff00170200000000");
  EXPECT_EQ(to_hex(encode(end_of_rib(ipv6_unicast), {})),
            "ffffffffffffffffffffffffffffffff001d0200000006800f03000201");
  EXPECT_FALSE(full_update().end_of_rib());
}

TEST(update, two_octet_session_uses_as_trans_and_as4_attributes) {
  session_context old;
  old.four_octet_as = false;
  update_message u;
  u.attrs.origin = origin_type::igp;
  u.attrs.path = as_path{{segment_type::confed_sequence, {64512}},
                         {segment_type::as_sequence, {4200000001u, 65001}}};
  u.attrs.next_hop = ip_address::v4(0x0A000001);
  u.attrs.aggregator = aggregator_info{4200000002u, 0x0A000002};
  u.routes = {N("10.0.0.0/24")};
  const bytes wire = encode(u, old);
  const auto r = decode(wire, old);
  ASSERT_TRUE(r.ok()) << r.error->reason;
  const auto& got = std::get<update_message>(*r.msg);
  EXPECT_EQ(*got.attrs.path, (as_path{{segment_type::confed_sequence, {64512}},
                                      {segment_type::as_sequence, {iana::as_trans, 65001}}}));
  EXPECT_EQ(*got.attrs.as4_path, (as_path{{segment_type::as_sequence, {4200000001u, 65001}}}));
  EXPECT_EQ(got.attrs.aggregator->as, iana::as_trans);
  EXPECT_EQ(got.attrs.as4_aggregator->as, 4200000002u);
  // RFC 6793 §4.2.3 puts the four-octet view back together.
  EXPECT_EQ(reconstruct_as_path(got.attrs), *u.attrs.path);
  EXPECT_EQ(reconstruct_aggregator(got.attrs), u.attrs.aggregator);
  // Re-encoding what was decoded reproduces the wire exactly.
  EXPECT_EQ(encode(*r.msg, old), wire);
}

struct as4_row {
  const char* description;
  as_path path, as4;
  std::optional<aggregator_info> aggregator;
  as_path want;
};

class as4_merge : public ::testing::TestWithParam<as4_row> {};

TEST_P(as4_merge, rfc6793_4_2_3) {
  const auto& row = GetParam();
  path_attributes a;
  a.path = row.path;
  a.as4_path = row.as4;
  a.aggregator = row.aggregator;
  EXPECT_EQ(reconstruct_as_path(a), row.want) << row.description;
}

constexpr auto seq = segment_type::as_sequence;
constexpr auto set = segment_type::as_set;
constexpr auto confed = segment_type::confed_sequence;

INSTANTIATE_TEST_SUITE_P(
    table, as4_merge,
    ::testing::Values(
        as4_row{"prepended by old speakers", {{seq, {100, 200, 23456, 23456}}}, {{seq, {400000, 500000}}}, {}, {{seq, {100, 200, 400000, 500000}}}},
        as4_row{"AS4_PATH longer than AS_PATH is ignored", {{seq, {23456}}}, {{seq, {400000, 500000}}}, {}, {{seq, {23456}}}},
        as4_row{"aggregator not AS_TRANS: AS4_PATH ignored", {{seq, {100, 23456}}}, {{seq, {400000}}}, aggregator_info{100, 1}, {{seq, {100, 23456}}}},
        as4_row{"aggregator AS_TRANS: merged", {{seq, {100, 23456}}}, {{seq, {400000}}}, aggregator_info{23456, 1}, {{seq, {100, 400000}}}},
        as4_row{"AS_SET counts one", {{seq, {100}}, {set, {1, 2, 3}}}, {{set, {1, 2, 3}}}, {}, {{seq, {100}}, {set, {1, 2, 3}}}},
        as4_row{"confed segments kept, not counted", {{confed, {64512}}, {seq, {100, 23456}}}, {{seq, {400000}}}, {}, {{confed, {64512}}, {seq, {100, 400000}}}},
        as4_row{"confed segments in AS4_PATH dropped", {{seq, {100, 23456}}}, {{confed, {9}}, {seq, {400000}}}, {}, {{seq, {100, 400000}}}}),
    [](const auto& param_info) { return std::to_string(param_info.index); });

}  // namespace
}  // namespace bgp
