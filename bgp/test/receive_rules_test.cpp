// The receive rules for path attributes, one row per rule with the section that states
// it: RFC 4271 §5/§6.3 as revised by RFC 7606, RFC 5065 §5.3, RFC 6793 §6, RFC 7607
// §2, RFC 8092, RFC 4360 and RFC 4456 §8. Each row is checked twice:
//  - by the decoder (what `bgplbctl decode` prints), with the session's context;
//  - on a live session: a scripted peer announces 10.0.0.0/24, sends the row's UPDATE,
//    then announces 10.99.0.0/24, and the speaker (Adj-RIB-In kept) must have
//    withdrawn the route (treat-as-withdraw), kept it without the attribute (attribute
//    discard) or with it (accepted), or sent the NOTIFICATION (session reset; AFI/SAFI
//    disable is carried out as a reset).
#include "hex.hpp"
#include "scripted_peer.hpp"

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>
#include <bgp/speaker.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <ostream>

namespace bgp {
namespace {

using namespace std::chrono_literals;

// The peer: eBGP four-octet (AS 65002), iBGP (AS 65001, ours), or eBGP two-octet.
enum class flavour : std::uint8_t { ebgp, ibgp, ebgp_two_octet };

const std::string origin = "40010100";
const std::string path4 = "40020602010000fdea";  // AS_SEQUENCE 65002, four-octet
const std::string path2 = "4002040201fdea";      // AS_SEQUENCE 65002, two-octet
const std::string nh = "4003047f000003";         // 127.0.0.3, the peer
const std::string lp = "40050400000064";         // LOCAL_PREF 100
const std::string base = origin + path4 + nh;
const std::string ibase = origin + "400200" + nh + lp;
const std::string base2 = origin + path2 + nh;
const std::string nlri24 = "180a0000";  // 10.0.0.0/24

const std::string& good_attributes(flavour f) {
  return f == flavour::ebgp ? base : f == flavour::ibgp ? ibase : base2;
}

enum class outcome : std::uint8_t { accepted, discard, withdraw, disable, reset };

struct rule {
  const char* section;
  const char* description;
  flavour peer;
  std::string withdrawn, attrs, nlri;  // the UPDATE
  outcome expect;
  std::uint8_t subcode = 0;  // of UPDATE Message Error; for resets, the NOTIFICATION's
  std::string data = "*";    // the NOTIFICATION data; "*": not checked
  std::function<bool(const path_attributes&)> holds = {};  // of what is used (accepted, discard)
  std::optional<bool> kept = {};  // 10.0.0.0/24 still there after; default: unless withdraw
  std::string raw_body = {};      // instead of withdrawn/attrs/nlri: the UPDATE body as is

  bytes message() const {
    return raw_body.empty() ? test::update(withdrawn, attrs, nlri) : test::message(2, test::from_hex(raw_body));
  }
  bool route_kept() const { return kept.value_or(expect == outcome::accepted || expect == outcome::discard); }
};

void PrintTo(const rule& r, std::ostream* os) { *os << r.section << ": " << r.description; }

session_context context(flavour f) {
  session_context c;
  c.four_octet_as = f != flavour::ebgp_two_octet;
  c.ebgp = f != flavour::ibgp;
  c.local_id = 0x01010101;                       // the speaker's BGP Identifier
  c.local_address = ip_address::v4(0x7F000001);  // and its address
  return c;
}

constexpr auto accepted = outcome::accepted;
constexpr auto discard = outcome::discard;
constexpr auto withdraw = outcome::withdraw;
constexpr auto disable = outcome::disable;
constexpr auto reset = outcome::reset;
constexpr auto ebgp = flavour::ebgp;
constexpr auto ibgp = flavour::ibgp;
constexpr auto old = flavour::ebgp_two_octet;

const std::vector<rule>& rules() {
  static const std::vector<rule> table = {
      // ---- The UPDATE as a whole: RFC 4271 §6.3 as revised by RFC 7606 §3-5.
      {"RFC 7606 §3(b)", "withdrawn routes length overruns the message", ebgp, "", "", "", reset, 1, "*", {}, {}, "0005" "180a0000"},
      {"RFC 7606 §3(b)", "total path attribute length overruns the message", ebgp, "", "", "", reset, 1, "*", {}, {}, "0000" "0010" "40010100"},
      {"RFC 7606 §3(c)", "ORIGIN marked optional", ebgp, "", "c0010100" + path4 + nh, nlri24, withdraw, 4, "c0010100"},
      {"RFC 7606 §3(c)", "MULTI_EXIT_DISC marked well-known", ebgp, "", base + "40040400000001", nlri24, withdraw, 4, "40040400000001"},
      {"RFC 7606 §3(d)", "ORIGIN missing", ebgp, "", path4 + nh, nlri24, withdraw, 3, "01"},
      {"RFC 7606 §3(d)", "AS_PATH missing", ebgp, "", origin + nh, nlri24, withdraw, 3, "02"},
      {"RFC 7606 §3(d), RFC 4760 §3", "NEXT_HOP missing with routes in the NLRI field", ebgp, "", origin + path4, nlri24, withdraw, 3, "03"},
      {"RFC 7606 §3(g)", "MP_REACH_NLRI twice", ebgp, "", base + "800e0900010104" "7f000003" "00" "800e0900010104" "7f000003" "00", "", reset, 1},
      {"RFC 7606 §3(g)", "another attribute twice: the first is used", ebgp, "", base + "80040400000001" "80040400000002", nlri24, discard, 1, "*",
       [](const path_attributes& a) { return a.med == 1u; }},
      {"RFC 7606 §3(h)", "several errors: the strongest approach", ebgp, "", base + "40060100" "800403000001", nlri24, withdraw, 5},
      {"RFC 7606 §3(i), §5.3", "withdrawn prefix of length 33", ebgp, "210a000000ff", "", "", reset, 10},
      {"RFC 7606 §5.3", "NLRI prefix of length 33", ebgp, "", base, "210a00000001", reset, 10},
      {"RFC 7606 §5.3", "NLRI prefix overruns the message", ebgp, "", base, "200a00", reset, 10},
      {"RFC 7606 §4", "attribute header cut short", ebgp, "", base + "4001", nlri24, withdraw, 5},
      {"RFC 7606 §4", "attribute overruns the path attributes", ebgp, "", base + "40050400", nlri24, withdraw, 5},
      {"RFC 7606 §4", "empty attribute that may not be (COMMUNITIES)", ebgp, "", base + "c00800", nlri24, withdraw, 5},
      {"RFC 7606 §5.2", "no reachable NLRI: an error stronger than discard resets", ebgp, nlri24, "40010103" + path4 + nh, "", reset, 6},
      {"RFC 7606 §5.2", "no reachable NLRI: attribute discard stays a discard", ebgp, nlri24, base + "40060100", "", discard, 5, "*",
       [](const path_attributes& a) { return !a.atomic_aggregate; }, false},
      {"RFC 4271 §6.3", "unrecognized well-known attribute", ebgp, "", base + "40630100", nlri24, reset, 2, "40630100"},
      {"RFC 4271 §5, §6.3", "unknown optional transitive attribute is kept", ebgp, "", base + "c06302abcd", nlri24, accepted, 0, "*",
       [](const path_attributes& a) { return a.unknown.size() == 1 && a.unknown[0].code == 99; }},
      // ---- ORIGIN, AS_PATH, NEXT_HOP: RFC 7606 §7.1-7.3, RFC 5065, RFC 7607.
      {"RFC 7606 §7.1", "ORIGIN of 2 octets", ebgp, "", "4001020000" + path4 + nh, nlri24, withdraw, 5, "4001020000"},
      {"RFC 7606 §7.1", "ORIGIN with undefined value 3", ebgp, "", "40010103" + path4 + nh, nlri24, withdraw, 6, "40010103"},
      {"RFC 7606 §7.2", "AS_PATH segment of unknown type 5", ebgp, "", origin + "40020605010000fdea" + nh, nlri24, withdraw, 11, ""},
      {"RFC 7606 §7.2", "AS_PATH segment of length 0", ebgp, "", origin + "4002020200" + nh, nlri24, withdraw, 11},
      {"RFC 7606 §7.2", "AS_PATH segment overruns the attribute", ebgp, "", origin + "40020602020000fdea" + nh, nlri24, withdraw, 11},
      {"RFC 7606 §7.2", "AS_PATH with one octet left after a segment", ebgp, "", origin + "40020702010000fdea02" + nh, nlri24, withdraw, 11},
      {"RFC 5065 §5.3, RFC 7606 §7.2", "AS_PATH confederation segment from an external peer", ebgp, "", origin + "40020603010000fdea" + nh, nlri24, withdraw, 11},
      {"RFC 7607 §2, RFC 7606 §7.2", "AS 0 in the AS_PATH of an external peer", ebgp, "", origin + "40020a02020000fdea00000000" + nh, nlri24, withdraw, 11},
      {"RFC 7607 §2, RFC 7606 §7.2", "AS 0 in the AS_PATH of an internal peer", ibgp, "", origin + "4002060201" "00000000" + nh + lp, nlri24, withdraw, 11},
      {"RFC 7606 §7.3", "NEXT_HOP of 5 octets", ebgp, "", origin + path4 + "4003057f00000300", nlri24, withdraw, 5},
      {"RFC 4271 §6.3, RFC 7606 §7.3", "NEXT_HOP 0.0.0.0", ebgp, "", origin + path4 + "40030400000000", nlri24, withdraw, 8, "40030400000000"},
      {"RFC 4271 §6.3, RFC 7606 §7.3", "NEXT_HOP multicast", ebgp, "", origin + path4 + "400304e0000001", nlri24, withdraw, 8},
      {"RFC 4271 §6.3, RFC 7606 §7.3", "NEXT_HOP limited broadcast", ebgp, "", origin + path4 + "400304ffffffff", nlri24, withdraw, 8},
      {"RFC 4271 §6.3", "NEXT_HOP is the receiver's own address: routes ignored", ebgp, "", origin + path4 + "4003047f000001", nlri24, withdraw, 8},
      // ---- MULTI_EXIT_DISC, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR: RFC 7606 §7.4-7.7.
      {"RFC 7606 §7.4", "MULTI_EXIT_DISC of 3 octets", ebgp, "", base + "800403000001", nlri24, withdraw, 5},
      {"RFC 7606 §7.5", "LOCAL_PREF from an external peer is discarded", ebgp, "", base + lp, nlri24, discard, 1, "*",
       [](const path_attributes& a) { return !a.local_pref; }},
      {"RFC 7606 §7.5", "LOCAL_PREF of 2 octets from an internal peer", ibgp, "", origin + "400200" + nh + "4005020064", nlri24, withdraw, 5},
      {"RFC 7606 §7.6", "ATOMIC_AGGREGATE of 1 octet", ebgp, "", base + "40060100", nlri24, discard, 5, "*",
       [](const path_attributes& a) { return !a.atomic_aggregate; }},
      {"RFC 7606 §7.7", "AGGREGATOR of 7 octets", ebgp, "", base + "c007070000fdea0a0000", nlri24, discard, 5, "*",
       [](const path_attributes& a) { return !a.aggregator; }},
      {"RFC 7606 §7.7", "AGGREGATOR of 8 octets from a two-octet speaker", old, "", base2 + "c007080000fdea0a000001", nlri24, discard, 5, "*",
       [](const path_attributes& a) { return !a.aggregator; }},
      {"RFC 7607 §2, RFC 7606 §7.7", "AGGREGATOR with AS 0", ebgp, "", base + "c00708" "00000000" "0a000001", nlri24, discard, 9, "*",
       [](const path_attributes& a) { return !a.aggregator; }},
      // ---- Communities and route reflection: RFC 7606 §7.8-7.10, RFC 4456 §8.
      {"RFC 7606 §7.8", "COMMUNITIES of 5 octets", ebgp, "", base + "c00805fdea000100", nlri24, withdraw, 5},
      {"RFC 7606 §7.9", "ORIGINATOR_ID from an external peer is discarded", ebgp, "", base + "80090403030303", nlri24, discard, 1, "*",
       [](const path_attributes& a) { return !a.originator_id; }},
      {"RFC 7606 §7.9", "ORIGINATOR_ID of 3 octets from an internal peer", ibgp, "", ibase + "8009030a0000", nlri24, withdraw, 5},
      {"RFC 4456 §8", "ORIGINATOR_ID is our BGP Identifier: routes ignored", ibgp, "", ibase + "80090401010101", nlri24, withdraw, 9},
      {"RFC 7606 §7.10", "CLUSTER_LIST from an external peer is discarded", ebgp, "", base + "800a040a000001", nlri24, discard, 1, "*",
       [](const path_attributes& a) { return a.cluster_list.empty(); }},
      {"RFC 7606 §7.10", "CLUSTER_LIST of 6 octets from an internal peer", ibgp, "", ibase + "800a060a0000010a00", nlri24, withdraw, 5},
      // ---- Multiprotocol: RFC 7606 §5.3, §7.11 (with RFC 4760 §7).
      {"RFC 7606 §5.3, §7.11", "MP_REACH_NLRI of 2 octets", ebgp, "", base + "800e020002", "", reset, 9, "800e020002"},
      {"RFC 7606 §7.11", "MP_REACH_NLRI IPv6 next hop of 5 octets", ebgp, "", origin + path4 + "800e0a00020105" "2001000000" "00", "", disable, 9,
       "800e0a000201052001000000" "00"},
      {"RFC 7606 §5.3", "MP_REACH_NLRI IPv6 prefix of length 129", ebgp, "", origin + path4 + "800e1700020110" "20010db8000000000000000000000001" "00" "81" "20", "", disable, 10, ""},
      {"RFC 7606 §5.3", "MP_UNREACH_NLRI of 1 octet", ebgp, "", "800f0100", "", reset, 9, "800f0100"},
      {"RFC 7606 §5.3", "MP_UNREACH_NLRI prefix overruns the attribute", ebgp, "", "800f05000201" "4020", "", disable, 10},
      {"RFC 7606 §5.3", "MP_REACH_NLRI marked transitive", ebgp, "", origin + path4 + "c00e1a00020110" "20010db8000000000000000000000001" "00" "2020010db8", "", disable, 4},
      // ---- Extended and large communities: RFC 7606 §7.14, RFC 4360, RFC 8092.
      {"RFC 7606 §7.14", "EXTENDED_COMMUNITIES of 7 octets", ebgp, "", base + "c010070002fdea000000", nlri24, withdraw, 5},
      {"RFC 7606 §7.14, RFC 4360 §2", "extended community of an unknown type is not an error", ebgp, "", base + "c01008" "ab12000000000001", nlri24, accepted, 0, "*",
       [](const path_attributes& a) { return a.extended_communities == std::vector<std::uint64_t>{0xab12000000000001ull}; }},
      {"RFC 8092 §6", "LARGE_COMMUNITY of 11 octets", ebgp, "", base + "e0200b0000fdea00000001000000", nlri24, withdraw, 5},
      {"RFC 8092 §3, §6", "repeated large communities are removed, silently", ebgp, "",
       base + "c02024" "0000fdea0000000100000002" "0000fdeb0000000000000000" "0000fdea0000000100000002", nlri24, accepted, 0, "*",
       [](const path_attributes& a) {
         return a.large_communities == std::vector<large_community>{{65002, 1, 2}, {65003, 0, 0}};
       }},
      {"RFC 8092 §6", "a reserved global administrator is not malformed", ebgp, "", base + "c0200c" "000000000000000100000002", nlri24, accepted, 0, "*",
       [](const path_attributes& a) { return a.large_communities.size() == 1; }},
      // ---- AS4_PATH and AS4_AGGREGATOR: RFC 6793 §6 (RFC 7606 §7.12), RFC 7607.
      {"RFC 6793 §6", "AS4_PATH from a four-octet speaker is discarded", ebgp, "", base + "c0110602010000fdea", nlri24, discard, 1, "*",
       [](const path_attributes& a) { return !a.as4_path; }},
      {"RFC 6793 §6", "AS4_AGGREGATOR from a four-octet speaker is discarded", ebgp, "", base + "c012080000fdea0a000001", nlri24, discard, 1, "*",
       [](const path_attributes& a) { return !a.as4_aggregator; }},
      {"RFC 6793 §4.2.3", "AS4_PATH from a two-octet speaker is used", old, "", base2 + "c0110602010000fdea", nlri24, accepted, 0, "*",
       [](const path_attributes& a) { return a.as4_path == as_path{{segment_type::as_sequence, {65002}}}; }},
      {"RFC 6793 §6", "AS4_PATH segment of length 0", old, "", base2 + "c011020200", nlri24, discard, 9, "*",
       [](const path_attributes& a) { return !a.as4_path; }},
      {"RFC 7606 §4, RFC 6793 §6", "empty AS4_PATH", old, "", base2 + "c01100", nlri24, discard, 9, "*",
       [](const path_attributes& a) { return !a.as4_path; }},
      {"RFC 6793 §6", "confederation segments are dropped from AS4_PATH", old, "", base2 + "c0110c" "03010000fdea" "02010000fdeb", nlri24, discard, 1, "*",
       [](const path_attributes& a) { return a.as4_path == as_path{{segment_type::as_sequence, {65003}}}; }},
      {"RFC 7607 §2, RFC 6793 §6", "AS 0 in AS4_PATH", old, "", base2 + "c011060201" "00000000", nlri24, discard, 9, "*",
       [](const path_attributes& a) { return !a.as4_path; }},
      {"RFC 6793 §6", "AS4_AGGREGATOR of 6 octets", old, "", base2 + "c01206fdea0a000001", nlri24, discard, 9, "*",
       [](const path_attributes& a) { return !a.as4_aggregator; }},
      {"RFC 7607 §2, RFC 6793 §6", "AS4_AGGREGATOR with AS 0", old, "", base2 + "c01208" "00000000" "0a000001", nlri24, discard, 9, "*",
       [](const path_attributes& a) { return !a.as4_aggregator; }},
      {"RFC 6793 §6, RFC 7606 §3(c)", "AS4_PATH marked non-transitive", old, "", base2 + "80110602010000fdea", nlri24, discard, 4, "*",
       [](const path_attributes& a) { return !a.as4_path; }},
  };
  return table;
}

std::string name_of(const ::testing::TestParamInfo<rule>& info) { return std::to_string(info.index); }

// ---- The decoder.

class decoder_rules : public ::testing::TestWithParam<rule> {};

TEST_P(decoder_rules, decode) {
  const rule& r = GetParam();
  const auto got = decode(r.message(), context(r.peer));
  if (r.expect == accepted) {
    ASSERT_TRUE(got.ok()) << got.error->reason;
  } else {
    ASSERT_TRUE(got.error);
    const error_action want = r.expect == discard    ? error_action::attribute_discard
                              : r.expect == withdraw ? error_action::treat_as_withdraw
                              : r.expect == disable  ? error_action::afi_safi_disable
                                                     : error_action::session_reset;
    EXPECT_EQ(got.error->action, want) << got.error->reason;
    EXPECT_EQ(got.error->code, iana::error_code::update_message);
    EXPECT_EQ(got.error->subcode, r.subcode) << got.error->reason;
    if (r.data != "*") {
      EXPECT_EQ(test::to_hex(got.error->data), r.data);
    }
    EXPECT_FALSE(got.error->reason.empty());
    // Usable (discard, withdraw) comes with the message, the rest without.
    EXPECT_EQ(got.msg.has_value(), r.expect == discard || r.expect == withdraw);
  }
  if (r.holds) {
    ASSERT_TRUE(got.msg);
    EXPECT_TRUE(r.holds(std::get<update_message>(*got.msg).attrs));
  }
}

INSTANTIATE_TEST_SUITE_P(table, decoder_rules, ::testing::ValuesIn(rules()), name_of);

// ---- The live session.

class session_rules : public test::scripted_peer_fixture, public ::testing::WithParamInterface<rule> {};

TEST_P(session_rules, receive) {
  const rule& r = GetParam();
  const std::uint32_t peer_as = r.peer == ibgp ? 65001 : 65002;
  start_speaker(90, peer_as, true);
  const prefix p = *prefix::parse("10.0.0.0/24"), marker = *prefix::parse("10.99.0.0/24");
  std::atomic<bool> notified{false};
  std::optional<notification_message> got;
  std::thread t([&] {
    if (!establish(90, peer_as, r.peer != old)) return;
    const std::string& good = good_attributes(r.peer);
    hostile.send(test::update("", good, nlri24));
    hostile.send(r.message());
    hostile.send(test::update("", good, "180a6300"));
    got = hostile.next_notification();  // until the speaker closes, or the test does
    notified = got.has_value();
  });
  const auto kept_route = [&](const prefix& x) -> std::optional<path_attributes> {
    const auto in = spk->adj_rib_in(ip_address::v4(0x7F000003), ipv4_unicast);
    for (const auto& a : in.value_or(std::vector<advertised_route>{}))
      if (a.destination.route == x) return a.attrs;
    return std::nullopt;
  };
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (!notified && !kept_route(marker) && std::chrono::steady_clock::now() < end) io.run_for(5ms);
  if (!notified) io.run_for(50ms);  // anything the speaker still had to say
  const auto status = spk->peers().at(0);
  const auto route = kept_route(p);
  ::shutdown(hostile.conn, SHUT_RDWR);
  t.join();

  if (r.expect == disable || r.expect == reset) {
    ASSERT_TRUE(got) << "no NOTIFICATION; " << status.last_down_reason;
    EXPECT_EQ(got->code, iana::error_code::update_message);
    EXPECT_EQ(got->subcode, r.subcode);
    EXPECT_NE(status.state, peer_state::established);
    return;
  }
  EXPECT_FALSE(got) << "NOTIFICATION " << int(got->code) << "/" << int(got->subcode) << ": " << status.last_down_reason;
  EXPECT_EQ(status.state, peer_state::established) << status.last_down_reason;
  EXPECT_EQ(status.counters.notifications_sent, 0u);
  EXPECT_EQ(route.has_value(), r.route_kept());
  if (route && r.holds) {
    EXPECT_TRUE(r.holds(*route));
  }
}

INSTANTIATE_TEST_SUITE_P(table, session_rules, ::testing::ValuesIn(rules()), name_of);

}  // namespace
}  // namespace bgp
