// OPEN messages and capabilities: RFC 4271 §4.2/§6.2, RFC 5492, RFC 9072, and each
// capability's RFC.
#include "hex.hpp"

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>

#include <gtest/gtest.h>

namespace bgp {
namespace {

using test::from_hex;
using test::to_hex;

const std::string marker = "ffffffffffffffffffffffffffffffff";

open_message our_open() {
  open_message o;
  o.my_as = iana::as_trans;
  o.hold_time = 90;
  o.bgp_id = 0x0A000001;
  o.capabilities = {
      cap_multiprotocol{ipv4_unicast},
      cap_multiprotocol{ipv6_unicast},
      cap_route_refresh{},
      cap_enhanced_route_refresh{},
      cap_extended_message{},
      cap_extended_next_hop{{{1, 1, 2}}},
      cap_graceful_restart{true, true, 120, {{ipv4_unicast, true}, {ipv6_unicast, false}}},
      cap_four_octet_as{4200000001},
      cap_add_path{{{ipv4_unicast, cap_add_path::direction::both},
                    {ipv6_unicast, cap_add_path::direction::send}}},
      cap_fqdn{"node-1", "example.net"},
      cap_unknown{71, from_hex("0001018000003c")},
  };
  return o;
}

TEST(open, round_trip_with_every_capability) {
  const auto o = our_open();
  const bytes wire = encode(o, {});
  const auto r = decode(wire, {});
  ASSERT_TRUE(r.ok()) << r.error->reason;
  const auto& got = std::get<open_message>(*r.msg);
  EXPECT_EQ(got, o);
  EXPECT_EQ(got.effective_as(), 4200000001u);
  EXPECT_EQ(encode(got, {}), wire);
}

TEST(open, gobgp_vectors) {
  // From GoBGP 3.10's encoder: one capability per optional parameter.
  const bytes v1 = from_hex(marker + "00390104fde9005a0a0000011c0206010400010001020601040002000102020200020641040000fde9");
  auto r = decode(v1, {});
  ASSERT_TRUE(r.ok());
  auto o = std::get<open_message>(*r.msg);
  EXPECT_EQ(o.my_as, 65001);
  EXPECT_EQ(o.hold_time, 90);
  EXPECT_EQ(o.bgp_id, 0x0A000001u);
  ASSERT_EQ(o.capabilities.size(), 4u);
  EXPECT_EQ(std::get<cap_multiprotocol>(o.capabilities[0]).fam, ipv4_unicast);
  EXPECT_EQ(std::get<cap_multiprotocol>(o.capabilities[1]).fam, ipv6_unicast);
  EXPECT_EQ(std::get<cap_route_refresh>(o.capabilities[2]).code, 2);
  EXPECT_EQ(std::get<cap_four_octet_as>(o.capabilities[3]).as, 65001u);
  // We put all capabilities in one parameter (RFC 5492 allows both).
  EXPECT_EQ(to_hex(encode(o, {})),
            marker + "00330104fde9005a0a00000116021401040001000101040002000102004104" "0000fde9");

  // GoBGP's NewTestBGPOpenMessage: GR with N bit, add-path.
  const bytes v2 = from_hex(marker + "004301042b19012f64040a03260202020002060104000100010208400640640004020302064104000186a00206450400010103");
  r = decode(v2, {});
  ASSERT_TRUE(r.ok());
  o = std::get<open_message>(*r.msg);
  const auto* gr = o.find<cap_graceful_restart>();
  ASSERT_NE(gr, nullptr);
  EXPECT_FALSE(gr->restarting);
  EXPECT_TRUE(gr->notification);
  EXPECT_EQ(gr->restart_time, 100);
  ASSERT_EQ(gr->entries.size(), 1u);
  EXPECT_EQ(gr->entries[0].fam, (family{4, 2}));
  EXPECT_FALSE(gr->entries[0].forwarding_preserved);
  EXPECT_EQ(o.effective_as(), 100000u);
  const auto* ap = o.find<cap_add_path>();
  ASSERT_NE(ap, nullptr);
  EXPECT_EQ(ap->entries[0].dir, cap_add_path::direction::both);
}

struct open_error_row {
  const char* description;
  std::string body_hex;  // after the header
  std::uint8_t subcode;
  std::string data;
};

class open_errors : public ::testing::TestWithParam<open_error_row> {};

TEST_P(open_errors, rfc4271_6_2) {
  const auto& row = GetParam();
  const auto r = decode(test::message(1, from_hex(row.body_hex)), {});
  ASSERT_FALSE(r.msg) << row.description;
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, 2) << row.description;
  EXPECT_EQ(r.error->subcode, row.subcode) << row.description << ": " << r.error->reason;
  EXPECT_EQ(to_hex(r.error->data), row.data) << row.description;
  EXPECT_EQ(r.error->action, error_action::session_reset);
}

INSTANTIATE_TEST_SUITE_P(
    table, open_errors,
    ::testing::Values(
        open_error_row{"version 3", "03fde9005a0a00000100", 1, "0004"},
        open_error_row{"AS 0 (RFC 7607)", "040000005a0a00000100", 2, ""},
        open_error_row{"hold time 1", "04fde900010a00000100", 6, ""},
        open_error_row{"hold time 2", "04fde900020a00000100", 6, ""},
        open_error_row{"BGP identifier 0", "04fde9005a0000000000", 3, ""},
        open_error_row{"unsupported optional parameter 1", "04fde9005a0a0000010301010a", 4, ""},
        open_error_row{"optional parameters length too long", "04fde9005a0a0000010502020200", 0, ""},
        open_error_row{"optional parameters length too short", "04fde9005a0a000001030202020000", 0, ""},
        open_error_row{"parameter overruns", "04fde9005a0a00000102020a", 0, ""},
        open_error_row{"capability overruns its parameter", "04fde9005a0a00000104020201050000", 0, ""},
        open_error_row{"multiprotocol capability of 3 octets", "04fde9005a0a0000010702050103000100", 0, ""},
        open_error_row{"four-octet AS capability of 2 octets", "04fde9005a0a000001060204410200ff", 0, ""},
        open_error_row{"four-octet AS capability with AS 0", "04fde9005a0a0000010802064104" "00000000", 2, ""},
        open_error_row{"graceful restart of 3 octets", "04fde9005a0a000001070205400300" "0001", 0, ""},
        open_error_row{"route refresh with a value", "04fde9005a0a00000105020302" "0100", 0, ""},
        open_error_row{"fqdn with trailing octets", "04fde9005a0a0000010802067304016101" "62" "00", 0, ""}),
    [](const auto& param_info) { return std::to_string(param_info.index); });

TEST(open, hold_time_zero_and_three_accepted) {
  for (const char* hold : {"0000", "0003"}) {
    const auto r = decode(test::message(1, from_hex(std::string("04fde9") + hold + "0a00000100")), {});
    EXPECT_TRUE(r.ok()) << hold;
  }
}

TEST(open, add_path_bad_direction_is_not_understood) {
  // RFC 7911 §4: Send/Receive 4 makes the capability "not understood": kept opaque.
  const auto r = decode(test::message(1, from_hex("04fde9005a0a000001080206450400010104")), {});
  ASSERT_TRUE(r.ok());
  const auto& o = std::get<open_message>(*r.msg);
  ASSERT_EQ(o.capabilities.size(), 1u);
  const auto& u = std::get<cap_unknown>(o.capabilities[0]);
  EXPECT_EQ(u.code, 69);
  EXPECT_EQ(to_hex(u.value), "00010104");
}

TEST(open, unknown_capability_kept_opaque) {
  const auto r = decode(test::message(1, from_hex("04fde9005a0a0000010602048102abcd")), {});
  ASSERT_TRUE(r.ok());
  const auto& o = std::get<open_message>(*r.msg);
  EXPECT_EQ(std::get<cap_unknown>(o.capabilities[0]), (cap_unknown{0x81, {0xab, 0xcd}}));
  EXPECT_EQ(encode(o, {}), test::message(1, from_hex("04fde9005a0a0000010602048102abcd")));
}

TEST(open, cisco_route_refresh_keeps_its_code) {
  const auto r = decode(test::message(1, from_hex("04fde9005a0a00000104020280" "00")), {});
  ASSERT_TRUE(r.ok());
  const auto& o = std::get<open_message>(*r.msg);
  EXPECT_EQ(std::get<cap_route_refresh>(o.capabilities[0]).code, 128);
  EXPECT_EQ(capability_code(o.capabilities[0]), 128);
}

TEST(open, rfc9072_extended_parameters_both_ways) {
  open_message o = our_open();
  // Enough capabilities to exceed 255 octets of optional parameters.
  for (std::uint8_t i = 0; i < 40; ++i) o.capabilities.push_back(cap_unknown{static_cast<std::uint8_t>(200 + (i % 50)), bytes(6, i)});
  const bytes wire = encode(o, {});
  EXPECT_EQ(wire[28], 255);  // Opt Parm Len
  EXPECT_EQ(wire[29], 255);  // Non-Ext OP Type
  const auto r = decode(wire, {});
  ASSERT_TRUE(r.ok()) << r.error->reason;
  EXPECT_EQ(std::get<open_message>(*r.msg), o);
}

}  // namespace
}  // namespace bgp
