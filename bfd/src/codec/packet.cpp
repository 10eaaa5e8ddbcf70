// The RFC 5880 §4 control-packet codec and the packet-only checks of §6.8.6.
#include <bfd/packet.hpp>

#include <string>

namespace bfd {

namespace {

std::uint32_t get32(byte_view b, std::size_t at) {
  return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 | std::uint32_t{b[at + 2]} << 8 |
         std::uint32_t{b[at + 3]};
}

void put32(bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

// Flag bits of the second octet (§4.1).
constexpr std::uint8_t flag_poll = 0x20, flag_final = 0x10, flag_cpi = 0x08, flag_auth = 0x04,
                       flag_demand = 0x02, flag_multipoint = 0x01;

bool is_sha1(auth_type t) { return t == auth_type::keyed_sha1 || t == auth_type::meticulous_keyed_sha1; }

}  // namespace

std::string_view to_string(state s) {
  switch (s) {
    case state::admin_down: return "AdminDown";
    case state::down: return "Down";
    case state::init: return "Init";
    case state::up: return "Up";
  }
  return "?";
}

std::string_view to_string(diagnostic d) {
  switch (d) {
    case diagnostic::none: return "no diagnostic";
    case diagnostic::control_detection_time_expired: return "control detection time expired";
    case diagnostic::echo_function_failed: return "echo function failed";
    case diagnostic::neighbor_signaled_session_down: return "neighbor signaled session down";
    case diagnostic::forwarding_plane_reset: return "forwarding plane reset";
    case diagnostic::path_down: return "path down";
    case diagnostic::concatenated_path_down: return "concatenated path down";
    case diagnostic::administratively_down: return "administratively down";
    case diagnostic::reverse_concatenated_path_down: return "reverse concatenated path down";
  }
  return "reserved diagnostic";
}

std::string_view to_string(drop_reason r) {
  static constexpr std::string_view names[] = {
      "none", "truncated", "bad version", "length too small", "length exceeds payload",
      "zero detect multiplier", "multipoint bit set", "zero my discriminator",
      "zero your discriminator outside Down", "bad auth length", "unknown your discriminator",
      "no session for the addresses", "authentication unexpected", "authentication missing",
      "auth type mismatch", "unknown auth key id", "auth sequence out of window",
      "auth digest mismatch", "ttl check failed"};
  static_assert(std::size(names) == drop_reason_count);
  const auto i = static_cast<std::size_t>(r);
  return i < drop_reason_count ? names[i] : "?";
}

decode_result decode(byte_view b) {
  decode_result r;
  if (b.size() < 4) {
    r.reason = drop_reason::truncated;
    return r;
  }
  // RFC 5880 §6.8.6: "If the version number is not correct (1), the packet MUST be discarded."
  if ((b[0] >> 5) != version) {
    r.reason = drop_reason::bad_version;
    return r;
  }
  const bool a_bit = (b[1] & flag_auth) != 0;
  r.length = b[3];
  // §6.8.6: "If the Length field is less than the minimum correct value (24 if the A bit
  // is clear, or 26 if the A bit is set), the packet MUST be discarded."
  if (r.length < (a_bit ? header_length + 2 : header_length)) {
    r.reason = drop_reason::length_too_small;
    return r;
  }
  // §6.8.6: "If the Length field is greater than the payload of the encapsulating
  // protocol, the packet MUST be discarded."
  if (r.length > b.size()) {
    r.reason = drop_reason::length_exceeds_payload;
    return r;
  }
  control_packet& p = r.packet;
  p.diag = static_cast<diagnostic>(b[0] & 0x1f);
  p.sta = static_cast<state>(b[1] >> 6);
  p.poll = (b[1] & flag_poll) != 0;
  p.final = (b[1] & flag_final) != 0;
  p.control_plane_independent = (b[1] & flag_cpi) != 0;
  p.demand = (b[1] & flag_demand) != 0;
  p.multipoint = (b[1] & flag_multipoint) != 0;
  p.detect_mult = b[2];
  p.my_discriminator = get32(b, 4);
  p.your_discriminator = get32(b, 8);
  p.desired_min_tx = get32(b, 12);
  p.required_min_rx = get32(b, 16);
  p.required_min_echo_rx = get32(b, 20);
  // §6.8.6: "If the Detect Mult field is zero, the packet MUST be discarded."
  if (p.detect_mult == 0) {
    r.reason = drop_reason::zero_detect_mult;
    return r;
  }
  // §6.8.6: "If the Multipoint (M) bit is nonzero, the packet MUST be discarded."
  if (p.multipoint) {
    r.reason = drop_reason::multipoint;
    return r;
  }
  // §6.8.6: "If the My Discriminator field is zero, the packet MUST be discarded."
  if (p.my_discriminator == 0) {
    r.reason = drop_reason::zero_my_discriminator;
    return r;
  }
  // §6.8.6: "If the Your Discriminator field is zero and the State field is not Down or
  // AdminDown, the packet MUST be discarded."
  if (p.your_discriminator == 0 && p.sta != state::down && p.sta != state::admin_down) {
    r.reason = drop_reason::zero_your_discriminator;
    return r;
  }
  if (a_bit) {
    // §4.2: Auth Len covers Auth Type and Auth Len; the section lies within Length.
    const std::size_t auth_len = b[header_length + 1];
    p.auth.type = static_cast<auth_type>(b[header_length]);
    if (auth_len < 2 || header_length + auth_len > r.length || p.auth.type == auth_type::none) {
      r.reason = drop_reason::bad_auth_length;
      return r;
    }
    if (is_sha1(p.auth.type)) {
      // §4.4: "Auth Len ... For Keyed SHA1 and Meticulous Keyed SHA1 authentication,
      // this length is 28."
      if (auth_len != sha1_auth_length) {
        r.reason = drop_reason::bad_auth_length;
        return r;
      }
      p.auth.key_id = b[header_length + 2];
      p.auth.sequence = get32(b, header_length + 4);
      for (std::size_t i = 0; i < 20; ++i) p.auth.digest[i] = b[header_length + 8 + i];
    } else {
      p.auth.data.assign(b.begin() + header_length + 2, b.begin() + header_length + auth_len);
    }
  }
  return r;
}

bytes encode(const control_packet& p) {
  bytes out;
  out.reserve(header_length + sha1_auth_length);
  const bool a_bit = p.auth.type != auth_type::none;
  out.push_back(static_cast<std::uint8_t>(version << 5 | (static_cast<std::uint8_t>(p.diag) & 0x1f)));
  out.push_back(static_cast<std::uint8_t>(static_cast<std::uint8_t>(p.sta) << 6 | (p.poll ? flag_poll : 0) |
                                          (p.final ? flag_final : 0) |
                                          (p.control_plane_independent ? flag_cpi : 0) |
                                          (a_bit ? flag_auth : 0) | (p.demand ? flag_demand : 0) |
                                          (p.multipoint ? flag_multipoint : 0)));
  out.push_back(p.detect_mult);
  out.push_back(0);  // Length, below
  put32(out, p.my_discriminator);
  put32(out, p.your_discriminator);
  put32(out, p.desired_min_tx);
  put32(out, p.required_min_rx);
  put32(out, p.required_min_echo_rx);
  if (a_bit) {
    out.push_back(static_cast<std::uint8_t>(p.auth.type));
    if (is_sha1(p.auth.type)) {
      out.push_back(static_cast<std::uint8_t>(sha1_auth_length));
      out.push_back(p.auth.key_id);
      out.push_back(0);  // Reserved
      put32(out, p.auth.sequence);
      out.insert(out.end(), p.auth.digest.begin(), p.auth.digest.end());
    } else {
      out.push_back(static_cast<std::uint8_t>(2 + p.auth.data.size()));
      out.insert(out.end(), p.auth.data.begin(), p.auth.data.end());
    }
  }
  out[3] = static_cast<std::uint8_t>(out.size());
  return out;
}

}  // namespace bfd
