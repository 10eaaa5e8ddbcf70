// What the decoder reports about a malformed message: the NOTIFICATION it would send
// (RFC 4271 §6) and the RFC 7606 action that decides what happens to the session.
#pragma once

#include <bgp/message.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace bgp {

// RFC 7606 §2, ordered from least to most severe; the decoder keeps the most severe.
enum class error_action : std::uint8_t {
  none = 0,
  attribute_discard,  // drop the attribute, use the rest of the UPDATE
  treat_as_withdraw,  // treat the UPDATE's NLRI as withdrawn, keep the session
  afi_safi_disable,   // drop the UPDATE, stop using its AFI/SAFI (RFC 4760 §7)
  session_reset,      // send NOTIFICATION and close the session
};

std::string_view to_string(error_action a);  // "attribute_discard", ...

struct decode_error {
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  bytes data;  // the NOTIFICATION data RFC 4271 §6 prescribes for this error
  error_action action = error_action::session_reset;
  std::string reason;  // for humans: what was wrong and which rule says so
  family afi_safi;     // the family concerned, with afi_safi_disable

  friend bool operator==(const decode_error&, const decode_error&) = default;
};

// The NOTIFICATION to send for `e` (meaningful when e.action == session_reset).
notification_message to_notification(const decode_error& e);

// "1/2 bad message length", "6/2 administrative shutdown", ... for logs.
std::string describe_notification(std::uint8_t code, std::uint8_t subcode);

}  // namespace bgp
