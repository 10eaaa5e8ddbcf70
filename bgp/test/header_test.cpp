// Message header checks (RFC 4271 §6.1) and the small messages: KEEPALIVE,
// NOTIFICATION, ROUTE-REFRESH (RFC 2918, RFC 7313).
#include "hex.hpp"

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>

#include <gtest/gtest.h>

namespace bgp {
namespace {

using test::from_hex;
using test::to_hex;

const std::string marker = "ffffffffffffffffffffffffffffffff";

struct header_row {
  const char* description;
  std::string hex;
  bool extended_message;
  std::uint8_t code, subcode;
  std::string data;
};

class header_errors : public ::testing::TestWithParam<header_row> {};

TEST_P(header_errors, decode_reports_notification) {
  const auto& row = GetParam();
  session_context ctx;
  ctx.extended_message = row.extended_message;
  const auto r = decode(from_hex(row.hex), ctx);
  ASSERT_FALSE(r.msg.has_value()) << row.description;
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code, row.code) << row.description << ": " << r.error->reason;
  EXPECT_EQ(r.error->subcode, row.subcode) << row.description << ": " << r.error->reason;
  EXPECT_EQ(to_hex(r.error->data), row.data) << row.description;
  EXPECT_EQ(r.error->action, error_action::session_reset);
  EXPECT_FALSE(r.error->reason.empty());
}

INSTANTIATE_TEST_SUITE_P(
    rfc4271_6_1, header_errors,
    ::testing::Values(
        header_row{"marker not all ones", "fffffffffffffffffffffffffffffffe001304", false, 1, 1, ""},
        header_row{"length below 19", marker + "001204", false, 1, 2, "0012"},
        header_row{"length above 4096", marker + "100104" + std::string(2 * (4097 - 19), '0'), false, 1, 2, "1001"},
        header_row{"keepalive longer than 19", marker + "001404" + "00", false, 1, 2, "0014"},
        header_row{"open shorter than 29", marker + "001c01" + "04fde9005a0a00000100" + "", false, 1, 2, "001c"},
        header_row{"update shorter than 23", marker + "001602" + "000000", false, 1, 2, "0016"},
        header_row{"notification shorter than 21", marker + "001403" + "06", false, 1, 2, "0014"},
        header_row{"unknown type 6", marker + "001306", false, 1, 3, "06"},
        header_row{"unknown type 0", marker + "001300", false, 1, 3, "00"},
        header_row{"length field disagrees with the bytes", marker + "001704" + "00000000", false, 1, 2, "0017"},
        header_row{"open above 4096 even with extended messages", marker + "100101" + std::string(2 * (4097 - 19), '0'), true, 1, 2, "1001"},
        header_row{"route refresh of 24 octets", marker + "0018050001000100", false, 7, 1, marker + "0018050001000100"},
        header_row{"route refresh of 22 octets", marker + "001605000100", false, 7, 1, marker + "001605000100"}),
    [](const auto& param_info) { return std::to_string(param_info.index); });

TEST(frame, needs_a_whole_header) {
  const session_context ctx;
  const bytes partial = from_hex(marker + "00");
  EXPECT_EQ(frame(partial, ctx).length, 0u);
  EXPECT_FALSE(frame(partial, ctx).error);
  const bytes ka = from_hex(marker + "001304");
  EXPECT_EQ(frame(ka, ctx).length, 19u);
  // The frame reports the length even when the body has not arrived yet.
  const bytes update_head = from_hex(marker + "0100" "02");
  EXPECT_EQ(frame(update_head, ctx).length, 256u);
}

TEST(frame, extended_message_allows_65535) {
  session_context ctx;
  const bytes head = from_hex(marker + "ffff02");
  EXPECT_TRUE(frame(head, ctx).error);
  ctx.extended_message = true;
  EXPECT_FALSE(frame(head, ctx).error);
  EXPECT_EQ(frame(head, ctx).length, 65535u);
}

TEST(keepalive, both_ways) {
  const bytes wire = encode(keepalive_message{}, {});
  EXPECT_EQ(to_hex(wire), marker + "001304");
  const auto r = decode(wire, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::holds_alternative<keepalive_message>(*r.msg));
}

TEST(notification, cease_with_shutdown_message) {
  const auto n = notification_message::cease(iana::cease_subcode::administrative_shutdown, "maint");
  const bytes wire = encode(n, {});
  // GoBGP's encoder vector "notification cease/admin-shutdown with RFC8203 text 'maint'"
  EXPECT_EQ(to_hex(wire), marker + "001b030602056d61696e74");
  const auto r = decode(wire, {});
  ASSERT_TRUE(r.ok());
  const auto& got = std::get<notification_message>(*r.msg);
  EXPECT_EQ(got, n);
  EXPECT_EQ(got.shutdown_message(), "maint");
}

TEST(notification, shutdown_message_rules) {
  notification_message n{6, 2, from_hex("03616263ff")};  // trailing octet after the text
  EXPECT_EQ(n.shutdown_message(), "abc");
  n.data = from_hex("05616263");  // length runs past the data
  EXPECT_FALSE(n.shutdown_message());
  n.data = from_hex("02c328");  // invalid UTF-8
  EXPECT_FALSE(n.shutdown_message());
  n = notification_message{6, 3, from_hex("03616263")};  // not shutdown/reset
  EXPECT_FALSE(n.shutdown_message());
  // RFC 9003: at most 255 octets, cut on a character boundary.
  const std::string long_text(300, 'x');
  EXPECT_EQ(notification_message::cease(4, long_text).data.size(), 256u);
  std::string s(254, 'a');
  s += "\xe2\x82\xac";  // a 3-octet character straddling octet 255
  const auto cut = notification_message::cease(2, s);
  EXPECT_EQ(cut.data[0], 254);
  EXPECT_EQ(cut.shutdown_message(), std::string(254, 'a'));
}

TEST(notification, hold_timer_expired_no_data) {
  const bytes wire = from_hex(marker + "0015030400");
  const auto r = decode(wire, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<notification_message>(*r.msg), (notification_message{4, 0, {}}));
  EXPECT_EQ(encode(*r.msg, {}), wire);
}

TEST(notification, descriptions) {
  EXPECT_EQ(describe_notification(6, 2), "6/2 administrative shutdown");
  EXPECT_EQ(describe_notification(1, 2), "1/2 message header error: bad message length");
  EXPECT_EQ(describe_notification(4, 0), "4/0 hold timer expired");
  EXPECT_EQ(describe_notification(3, 99), "3/99 UPDATE message error: unknown subcode");
  EXPECT_EQ(describe_notification(42, 1), "42/1 unknown error code");
}

TEST(route_refresh, subtypes_both_ways) {
  for (std::uint8_t subtype : {0, 1, 2, 7}) {
    const route_refresh_message rr{ipv6_unicast, subtype};
    const bytes wire = encode(rr, {});
    EXPECT_EQ(to_hex(wire), marker + "00170500020" + std::to_string(subtype) + "01");
    const auto r = decode(wire, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::get<route_refresh_message>(*r.msg), rr);
  }
}

TEST(encode, oversized_message_throws_and_leaves_output_alone) {
  notification_message n{6, 0, bytes(5000, 1)};
  bytes out = {1, 2, 3};
  EXPECT_THROW(encode(out, n, {}), std::length_error);
  EXPECT_EQ(out, (bytes{1, 2, 3}));
  session_context ext;
  ext.extended_message = true;
  EXPECT_NO_THROW(encode(out, n, ext));
}

TEST(errors, notification_from_error_keeps_data) {
  const auto r = decode(from_hex(marker + "001306"), {});
  ASSERT_TRUE(r.error);
  const auto n = to_notification(*r.error);
  EXPECT_EQ(n.code, 1);
  EXPECT_EQ(n.subcode, 3);
  EXPECT_EQ(n.data, bytes{6});
}

TEST(types, prefix_text) {
  EXPECT_EQ(prefix::parse("10.1.2.3/24")->to_string(), "10.1.2.0/24");
  EXPECT_EQ(prefix::parse("2001:db8::1")->to_string(), "2001:db8::1/128");
  EXPECT_EQ(prefix::parse("2001:db8::/129"), std::nullopt);
  EXPECT_EQ(prefix::parse("10.0.0.0/"), std::nullopt);
  EXPECT_EQ(prefix::parse("10.0.0.0/8x"), std::nullopt);
  EXPECT_EQ(prefix::parse("bogus"), std::nullopt);
  EXPECT_EQ(to_string(ipv4_unicast), "ipv4-unicast");
  EXPECT_EQ(to_string(family{25, 70}), "afi-25-safi-70");
}

}  // namespace
}  // namespace bgp
