// BFD control packets (RFC 5880 §4): the values on the wire, the reasons a received
// packet is dropped (§6.8.6), and the pure codec. No I/O.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace bfd {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

// RFC 5880 §4.1 "Sta": the session state.
enum class state : std::uint8_t { admin_down = 0, down = 1, init = 2, up = 3 };
std::string_view to_string(state s);

// RFC 5880 §4.1 "Diag" (IANA "BFD Diagnostic Codes").
enum class diagnostic : std::uint8_t {
  none = 0,
  control_detection_time_expired = 1,
  echo_function_failed = 2,
  neighbor_signaled_session_down = 3,
  forwarding_plane_reset = 4,
  path_down = 5,
  concatenated_path_down = 6,
  administratively_down = 7,
  reverse_concatenated_path_down = 8,
};
std::string_view to_string(diagnostic d);  // "control detection time expired", ...; "diag N" beyond 8

// RFC 5880 §4.1 "Auth Type" (IANA "BFD Authentication Types").
enum class auth_type : std::uint8_t {
  none = 0,  // not on the wire: the A bit is clear
  simple_password = 1,
  keyed_md5 = 2,
  meticulous_keyed_md5 = 3,
  keyed_sha1 = 4,
  meticulous_keyed_sha1 = 5,
};

// The authentication section (§4.2–§4.4). For keyed SHA1 (§4.4) `key_id`,
// `sequence` and `digest` are the fields; for the other types `data` holds
// everything after Auth Len as received (we do not verify them).
struct auth_section {
  auth_type type = auth_type::none;
  std::uint8_t key_id = 0;
  std::uint32_t sequence = 0;
  std::array<std::uint8_t, 20> digest{};
  bytes data;  // types other than keyed SHA1
  friend bool operator==(const auth_section&, const auth_section&) = default;
};

inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t header_length = 24;     // §4.1 without authentication
inline constexpr std::size_t sha1_auth_length = 28;  // §4.4 Auth Len of keyed SHA1

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
// |                       My Discriminator                        |
// |                      Your Discriminator                       |
// |                    Desired Min TX Interval                    |
// |                   Required Min RX Interval                    |
// |                 Required Min Echo RX Interval                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   Auth Type   |   Auth Len    |    Authentication Data...     |   (A bit set)
// Intervals are in microseconds. The A bit is `auth.type != none`; Length is derived.
struct control_packet {
  diagnostic diag = diagnostic::none;
  state sta = state::down;
  bool poll = false, final = false;
  bool control_plane_independent = false;  // C
  bool demand = false;                     // D
  bool multipoint = false;                 // M, always clear on send (§4.1)
  std::uint8_t detect_mult = 0;
  std::uint32_t my_discriminator = 0;
  std::uint32_t your_discriminator = 0;
  std::uint32_t desired_min_tx = 0;
  std::uint32_t required_min_rx = 0;
  std::uint32_t required_min_echo_rx = 0;
  auth_section auth;
  friend bool operator==(const control_packet&, const control_packet&) = default;
};

// Why a received packet was dropped. The first group is RFC 5880 §6.8.6 checked on
// the packet alone (codec); the second needs the session (src/session); the third
// is §6.7 authentication; the last is RFC 5881 §5 / RFC 5883 §2 (TTL).
enum class drop_reason : std::uint8_t {
  none = 0,
  truncated,               // fewer octets than the fixed header's first word
  bad_version,             // §6.8.6: version is not 1
  length_too_small,        // §6.8.6: Length < 24 (< 26 with the A bit)
  length_exceeds_payload,  // §6.8.6: Length > UDP payload
  zero_detect_mult,        // §6.8.6: Detect Mult is zero
  multipoint,              // §6.8.6: M bit set
  zero_my_discriminator,   // §6.8.6: My Discriminator is zero
  zero_your_discriminator, // §6.8.6: Your Discriminator zero outside Down/AdminDown
  bad_auth_length,         // §6.8.6 / §4.2: Auth Len does not fit Length (or not 28 for SHA1)
  unknown_discriminator,   // §6.8.6: Your Discriminator names no session
  no_session,              // §6.8.6: Your Discriminator zero and no session for the addresses
  auth_unexpected,         // §6.8.6: A bit set, no authentication configured
  auth_missing,            // §6.8.6: A bit clear, authentication configured
  auth_type_mismatch,      // §6.7: another Auth Type than configured
  auth_key_id,             // §6.7.4: unknown Auth Key ID
  auth_sequence,           // §6.7.4: sequence number out of the window
  auth_digest,             // §6.7.4: digest mismatch
  ttl,                     // RFC 5881 §5 TTL != 255; RFC 5883 §2 below the minimum
  count_
};
std::string_view to_string(drop_reason r);
inline constexpr std::size_t drop_reason_count = static_cast<std::size_t>(drop_reason::count_);

struct decode_result {
  control_packet packet;             // valid when reason == none
  drop_reason reason = drop_reason::none;
  std::size_t length = 0;            // the Length field once it was read
};

// RFC 5880 §6.8.6, the checks that need only the packet; octets past Length are
// ignored (the payload may be longer).
decode_result decode(byte_view payload);

// The packet as sent: version 1, A bit and Length from `p.auth`. For keyed SHA1 the
// digest field is written as given (src/codec/auth signs it afterwards).
bytes encode(const control_packet& p);

}  // namespace bfd
