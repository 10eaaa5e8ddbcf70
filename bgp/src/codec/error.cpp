// Names for error actions and NOTIFICATION codes, and decode_error -> NOTIFICATION.
#include <bgp/error.hpp>
#include <bgp/iana.hpp>

namespace bgp {

std::string_view to_string(error_action a) {
  switch (a) {
    case error_action::none: return "none";
    case error_action::attribute_discard: return "attribute_discard";
    case error_action::treat_as_withdraw: return "treat_as_withdraw";
    case error_action::afi_safi_disable: return "afi_safi_disable";
    case error_action::session_reset: return "session_reset";
  }
  return "session_reset";
}

notification_message to_notification(const decode_error& e) {
  return notification_message{e.code, e.subcode, e.data};
}

namespace {

const char* subcode_name(std::uint8_t code, std::uint8_t sub) {
  namespace ec = iana::error_code;
  switch (code) {
    case ec::message_header: {
      static const char* names[] = {"unspecific", "connection not synchronized",
                                    "bad message length", "bad message type"};
      return sub < 4 ? names[sub] : nullptr;
    }
    case ec::open_message: {
      static const char* names[] = {"unspecific",
                                    "unsupported version number",
                                    "bad peer AS",
                                    "bad BGP identifier",
                                    "unsupported optional parameter",
                                    "authentication failure (deprecated)",
                                    "unacceptable hold time",
                                    "unsupported capability",
                                    nullptr,
                                    nullptr,
                                    nullptr,
                                    "role mismatch"};
      return sub < 12 ? names[sub] : nullptr;
    }
    case ec::update_message: {
      static const char* names[] = {"unspecific",
                                    "malformed attribute list",
                                    "unrecognized well-known attribute",
                                    "missing well-known attribute",
                                    "attribute flags error",
                                    "attribute length error",
                                    "invalid ORIGIN attribute",
                                    "AS routing loop (deprecated)",
                                    "invalid NEXT_HOP attribute",
                                    "optional attribute error",
                                    "invalid network field",
                                    "malformed AS_PATH"};
      return sub < 12 ? names[sub] : nullptr;
    }
    case ec::hold_timer_expired: return sub == 0 ? "" : nullptr;
    case ec::fsm: {
      static const char* names[] = {"unspecified", "unexpected message in OpenSent",
                                    "unexpected message in OpenConfirm",
                                    "unexpected message in Established"};
      return sub < 4 ? names[sub] : nullptr;
    }
    case ec::cease: {
      static const char* names[] = {nullptr,
                                    "maximum number of prefixes reached",
                                    "administrative shutdown",
                                    "peer de-configured",
                                    "administrative reset",
                                    "connection rejected",
                                    "other configuration change",
                                    "connection collision resolution",
                                    "out of resources",
                                    "hard reset",
                                    "BFD down"};
      return sub < 11 ? names[sub] : nullptr;
    }
    case ec::route_refresh: return sub == 1 ? "invalid message length" : nullptr;
  }
  return nullptr;
}

const char* code_name(std::uint8_t code) {
  static const char* names[] = {nullptr,
                                "message header error",
                                "OPEN message error",
                                "UPDATE message error",
                                "hold timer expired",
                                "finite state machine error",
                                "cease",
                                "ROUTE-REFRESH message error"};
  return code < 8 ? names[code] : nullptr;
}

}  // namespace

std::string describe_notification(std::uint8_t code, std::uint8_t subcode) {
  std::string out = std::to_string(code) + "/" + std::to_string(subcode) + " ";
  const char* c = code_name(code);
  const char* s = subcode_name(code, subcode);
  if (!c) return out + "unknown error code";
  // Cease and a few others read best by their subcode alone.
  if (s && *s) return out + (code == iana::error_code::cease ? std::string(s) : std::string(c) + ": " + s);
  if (s) return out + c;
  return out + c + ": unknown subcode";
}

}  // namespace bgp
