// RFC 5880 §4 control packets both ways, every §6.8.6 packet-only drop, SHA-1 (FIPS
// 180-4 examples) and §6.7.4 keyed SHA1 authentication.
#include <bfd/packet.hpp>

#include "codec/auth.hpp"
#include "codec/sha1.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace bfd;

bytes hex(std::string_view s) {
  bytes out;
  std::string digits;
  for (char c : s)
    if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return out;
}

std::string to_hex(const bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto x : b) s += {d[x >> 4], d[x & 15]};
  return s;
}

control_packet base(state st, std::uint32_t my, std::uint32_t your) {
  control_packet p;
  p.sta = st;
  p.detect_mult = 3;
  p.my_discriminator = my;
  p.your_discriminator = your;
  p.desired_min_tx = 1'000'000;
  p.required_min_rx = 300'000;
  return p;
}

struct valid_row {
  const char* description;
  const char* wire;
  control_packet packet;
};

std::vector<valid_row> valid_rows() {
  std::vector<valid_row> rows;
  rows.push_back({"Down, Your Discriminator zero", "20 40 03 18 00000001 00000000 000f4240 000493e0 00000000",
                  base(state::down, 1, 0)});
  {
    auto p = base(state::up, 0x11223344, 0x55667788);
    p.diag = diagnostic::neighbor_signaled_session_down;
    p.poll = true;
    rows.push_back({"Up with Poll and Diag 3", "23 e0 03 18 11223344 55667788 000f4240 000493e0 00000000", p});
  }
  {
    auto p = base(state::up, 2, 3);
    p.final = p.control_plane_independent = p.demand = true;
    p.required_min_echo_rx = 50'000;
    rows.push_back({"Final, C and D bits, echo interval", "20 da 03 18 00000002 00000003 000f4240 000493e0 0000c350", p});
  }
  {
    auto p = base(state::admin_down, 9, 0);
    p.diag = diagnostic::administratively_down;
    p.detect_mult = 255;
    rows.push_back({"AdminDown, Diag 7, Your Discriminator zero", "27 00 ff 18 00000009 00000000 000f4240 000493e0 00000000", p});
  }
  {
    auto p = base(state::init, 4, 5);
    p.diag = diagnostic::control_detection_time_expired;
    rows.push_back({"Init, Diag 1", "21 80 03 18 00000004 00000005 000f4240 000493e0 00000000", p});
  }
  {
    auto p = base(state::up, 6, 7);
    p.auth.type = auth_type::keyed_sha1;
    p.auth.key_id = 5;
    p.auth.sequence = 0x10;
    for (std::uint8_t i = 0; i < 20; ++i) p.auth.digest[i] = i;
    rows.push_back({"Keyed SHA1 section (§4.4)",
                    "20 c4 03 34 00000006 00000007 000f4240 000493e0 00000000 04 1c 05 00 00000010 "
                    "000102030405060708090a0b0c0d0e0f10111213",
                    p});
  }
  {
    auto p = base(state::up, 6, 7);
    p.auth.type = auth_type::meticulous_keyed_sha1;
    p.auth.key_id = 255;
    p.auth.sequence = 0xffffffff;
    rows.push_back({"Meticulous keyed SHA1 section",
                    "20 c4 03 34 00000006 00000007 000f4240 000493e0 00000000 05 1c ff 00 ffffffff "
                    "0000000000000000000000000000000000000000",
                    p});
  }
  {
    auto p = base(state::down, 6, 0);
    p.auth.type = auth_type::simple_password;
    p.auth.data = {0x01, 'a', 'b', 'c'};
    rows.push_back({"Simple password section kept as data (§4.2)",
                    "20 44 03 1e 00000006 00000000 000f4240 000493e0 00000000 01 06 01 61 62 63", p});
  }
  return rows;
}

TEST(Codec, ValidPacketsBothWays) {
  for (const auto& row : valid_rows()) {
    SCOPED_TRACE(row.description);
    const bytes wire = hex(row.wire);
    const auto r = decode(wire);
    ASSERT_EQ(r.reason, drop_reason::none) << to_string(r.reason);
    EXPECT_EQ(r.length, wire.size());
    EXPECT_EQ(r.packet, row.packet);
    EXPECT_EQ(to_hex(encode(row.packet)), to_hex(wire));
    const control_packet before = row.packet;
    (void)encode(row.packet);
    EXPECT_EQ(row.packet, before);  // encoding never mutates its input
  }
}

TEST(Codec, OctetsPastLengthAreIgnored) {
  const bytes wire = hex("20 40 03 18 00000001 00000000 000f4240 000493e0 00000000 deadbeef");
  const auto r = decode(wire);
  ASSERT_EQ(r.reason, drop_reason::none);
  EXPECT_EQ(r.length, 24u);
  EXPECT_EQ(to_hex(encode(r.packet)), to_hex(bytes(wire.begin(), wire.begin() + 24)));
}

struct malformed_row {
  const char* description;
  const char* wire;
  drop_reason expected;
};

// RFC 5880 §6.8.6, in the order the section lists its checks.
const malformed_row malformed_rows[] = {
    {"empty datagram", "", drop_reason::truncated},
    {"three octets", "20 40 03", drop_reason::truncated},
    {"version 0", "00 40 03 18 00000001 00000000 000f4240 000493e0 00000000", drop_reason::bad_version},
    {"version 2", "40 40 03 18 00000001 00000000 000f4240 000493e0 00000000", drop_reason::bad_version},
    {"version 7", "e0 40 03 18 00000001 00000000 000f4240 000493e0 00000000", drop_reason::bad_version},
    {"Length 23", "20 40 03 17 00000001 00000000 000f4240 000493e0 00000000", drop_reason::length_too_small},
    {"Length 0", "20 40 03 00 00000001 00000000 000f4240 000493e0 00000000", drop_reason::length_too_small},
    {"A bit with Length 25", "20 44 03 19 00000001 00000000 000f4240 000493e0 00000000 04 1c",
     drop_reason::length_too_small},
    {"Length 24, 20 octets received", "20 40 03 18 00000001 00000000 000f4240 000493e0",
     drop_reason::length_exceeds_payload},
    {"Length 52, 24 octets received", "20 40 03 34 00000001 00000000 000f4240 000493e0 00000000",
     drop_reason::length_exceeds_payload},
    {"Detect Mult zero", "20 40 00 18 00000001 00000000 000f4240 000493e0 00000000", drop_reason::zero_detect_mult},
    {"Multipoint bit", "20 41 03 18 00000001 00000000 000f4240 000493e0 00000000", drop_reason::multipoint},
    {"My Discriminator zero", "20 40 03 18 00000000 00000000 000f4240 000493e0 00000000",
     drop_reason::zero_my_discriminator},
    {"Your Discriminator zero in Up", "20 c0 03 18 00000001 00000000 000f4240 000493e0 00000000",
     drop_reason::zero_your_discriminator},
    {"Your Discriminator zero in Init", "20 80 03 18 00000001 00000000 000f4240 000493e0 00000000",
     drop_reason::zero_your_discriminator},
    {"Auth Len 1", "20 44 03 1a 00000001 00000000 000f4240 000493e0 00000000 01 01",
     drop_reason::bad_auth_length},
    {"Auth Len beyond Length", "20 44 03 1a 00000001 00000000 000f4240 000493e0 00000000 01 05 01 61 62",
     drop_reason::bad_auth_length},
    {"Auth Type 0 with the A bit", "20 44 03 1a 00000001 00000000 000f4240 000493e0 00000000 00 02",
     drop_reason::bad_auth_length},
    {"SHA1 with Auth Len 24",
     "20 44 03 30 00000001 00000000 000f4240 000493e0 00000000 04 18 01 00 00000001 00000000000000000000000000000000",
     drop_reason::bad_auth_length},
};

TEST(Codec, MalformedPacketsAreDroppedWithTheirReason) {
  for (const auto& row : malformed_rows) {
    SCOPED_TRACE(row.description);
    const auto r = decode(hex(row.wire));
    EXPECT_EQ(r.reason, row.expected) << to_string(r.reason);
  }
}

TEST(Codec, EveryPrefixAndEveryFlippedBitDecodesWithoutCrashing) {
  for (const auto& row : valid_rows()) {
    const bytes wire = hex(row.wire);
    for (std::size_t n = 0; n <= wire.size(); ++n) (void)decode(byte_view(wire.data(), n));
    for (std::size_t bit = 0; bit < wire.size() * 8; ++bit) {
      bytes w = wire;
      w[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      const auto r = decode(w);
      if (r.reason == drop_reason::none) {
        EXPECT_LE(r.length, w.size());
      }
    }
  }
}

TEST(Codec, DropReasonsHaveNames) {
  for (std::size_t i = 0; i < drop_reason_count; ++i) {
    EXPECT_NE(to_string(static_cast<drop_reason>(i)), "?");
  }
  EXPECT_EQ(to_string(diagnostic::control_detection_time_expired), "control detection time expired");
  EXPECT_EQ(to_string(static_cast<diagnostic>(31)), "reserved diagnostic");
}

std::string sha1_hex(std::string_view s) {
  const auto d = codec::sha1(byte_view(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  return to_hex(bytes(d.begin(), d.end()));
}

TEST(Sha1, Fips180Examples) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(sha1_hex(std::string(1000, 'a')), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
}

codec::auth_key key(auth_type t, std::uint8_t id, std::string_view secret) {
  codec::auth_key k;
  k.type = t;
  k.key_id = id;
  std::copy(secret.begin(), secret.end(), k.secret.begin());
  return k;
}

// A signed packet as a peer would send it, decoded back.
std::pair<bytes, control_packet> signed_packet(const codec::auth_key& k, std::uint32_t seq, std::uint8_t mult = 3) {
  auto p = base(state::up, 1, 2);
  p.detect_mult = mult;
  p.auth.type = k.type;
  p.auth.key_id = k.key_id;
  p.auth.sequence = seq;
  auto wire = encode(p);
  codec::sign(wire, k);
  auto r = decode(wire);
  EXPECT_EQ(r.reason, drop_reason::none);
  return {wire, r.packet};
}

TEST(Auth, SignedPacketVerifiesAndTamperingDoesNot) {
  const auto k = key(auth_type::keyed_sha1, 7, "secret");
  auto [wire, p] = signed_packet(k, 100);
  codec::rx_auth_state st;
  EXPECT_EQ(codec::verify(wire, p, k, st), drop_reason::none);
  EXPECT_TRUE(st.seq_known);
  EXPECT_EQ(st.rcv_seq, 100u);
  wire[14] ^= 1;  // Desired Min TX
  auto p2 = decode(wire).packet;
  codec::rx_auth_state fresh;
  EXPECT_EQ(codec::verify(wire, p2, k, fresh), drop_reason::auth_digest);
  EXPECT_FALSE(fresh.seq_known);
}

TEST(Auth, RefusalsOfSection687) {
  const auto k = key(auth_type::keyed_sha1, 7, "secret");
  codec::rx_auth_state st;
  auto [wire, p] = signed_packet(k, 1);
  EXPECT_EQ(codec::verify(wire, p, codec::auth_key{}, st), drop_reason::auth_unexpected);
  const auto plain = base(state::up, 1, 2);
  EXPECT_EQ(codec::verify(encode(plain), plain, k, st), drop_reason::auth_missing);
  EXPECT_EQ(codec::verify(encode(plain), plain, codec::auth_key{}, st), drop_reason::none);
  EXPECT_EQ(codec::verify(wire, p, key(auth_type::meticulous_keyed_sha1, 7, "secret"), st),
            drop_reason::auth_type_mismatch);
  EXPECT_EQ(codec::verify(wire, p, key(auth_type::keyed_sha1, 8, "secret"), st), drop_reason::auth_key_id);
  EXPECT_EQ(codec::verify(wire, p, key(auth_type::keyed_sha1, 7, "secreT"), st), drop_reason::auth_digest);
}

struct window_row {
  const char* description;
  auth_type type;
  std::uint32_t known, seq;
  drop_reason expected;
};

// §6.7.4: keyed [RcvAuthSeq, RcvAuthSeq + 3*DetectMult], meticulous [RcvAuthSeq+1, ...],
// in circular arithmetic; Detect Mult 3 here.
const window_row window_rows[] = {
    {"keyed: same number", auth_type::keyed_sha1, 100, 100, drop_reason::none},
    {"keyed: top of the window", auth_type::keyed_sha1, 100, 109, drop_reason::none},
    {"keyed: beyond", auth_type::keyed_sha1, 100, 110, drop_reason::auth_sequence},
    {"keyed: behind", auth_type::keyed_sha1, 100, 99, drop_reason::auth_sequence},
    {"keyed: across the wrap", auth_type::keyed_sha1, 0xfffffffe, 3, drop_reason::none},
    {"meticulous: same number", auth_type::meticulous_keyed_sha1, 100, 100, drop_reason::auth_sequence},
    {"meticulous: next", auth_type::meticulous_keyed_sha1, 100, 101, drop_reason::none},
    {"meticulous: top", auth_type::meticulous_keyed_sha1, 100, 109, drop_reason::none},
    {"meticulous: beyond", auth_type::meticulous_keyed_sha1, 100, 110, drop_reason::auth_sequence},
    {"meticulous: across the wrap", auth_type::meticulous_keyed_sha1, 0xffffffff, 0, drop_reason::none},
};

TEST(Auth, SequenceWindow) {
  for (const auto& row : window_rows) {
    SCOPED_TRACE(row.description);
    const auto k = key(row.type, 1, "k");
    auto [wire, p] = signed_packet(k, row.seq);
    codec::rx_auth_state st{row.known, true};
    EXPECT_EQ(codec::verify(wire, p, k, st), row.expected);
    EXPECT_EQ(st.rcv_seq, row.expected == drop_reason::none ? row.seq : row.known);
  }
}

TEST(Auth, UnknownSequenceAcceptsAnyNumber) {
  const auto k = key(auth_type::meticulous_keyed_sha1, 1, "k");
  auto [wire, p] = signed_packet(k, 12345);
  codec::rx_auth_state st{999999, false};
  EXPECT_EQ(codec::verify(wire, p, k, st), drop_reason::none);
}

}  // namespace
