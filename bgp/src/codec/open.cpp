// OPEN message, RFC 4271 §4.2 and §6.2, with RFC 5492 capabilities and the RFC 9072
// extended optional parameters length.
//
//   +-+-+-+-+-+-+-+-+
//   |    Version    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     My Autonomous System      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Hold Time           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         BGP Identifier                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Opt Parm Len  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |             Optional Parameters (variable)                    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#include "codec/internal.hpp"

namespace bgp::codec {

namespace {

namespace sub = iana::open_subcode;

decode_result open_fail(std::uint8_t subcode, std::string reason, bytes data = {}) {
  decode_result r;
  r.error = make_error(iana::error_code::open_message, subcode, error_action::session_reset,
                       std::move(reason), std::move(data));
  return r;
}

}  // namespace

decode_result decode_open(byte_view body) {
  reader r(body);
  open_message m;
  std::uint8_t opt_len = 0;
  // The header check guarantees the 10 fixed octets.
  r.u8(m.version);
  r.u16(m.my_as);
  r.u16(m.hold_time);
  r.u32(m.bgp_id);
  r.u8(opt_len);

  // RFC 4271 §6.2: the data is the largest version we support, two octets.
  if (m.version != 4)
    return open_fail(sub::unsupported_version,
                     "BGP version " + std::to_string(m.version) + " is not supported; only 4 (RFC 4271 §6.2)",
                     bytes{0, 4});
  // RFC 7607 §2: AS 0 in the OPEN is a Bad Peer AS.
  if (m.my_as == 0) return open_fail(sub::bad_peer_as, "peer AS 0 in OPEN (RFC 7607 §2)");
  // RFC 4271 §6.2: the hold time must be 0 or at least 3 seconds.
  if (m.hold_time == 1 || m.hold_time == 2)
    return open_fail(sub::unacceptable_hold_time,
                     "hold time " + std::to_string(m.hold_time) + " s: must be 0 or at least 3 (RFC 4271 §6.2)");
  // RFC 6286 §2.2: a BGP Identifier of zero is erroneous.
  if (m.bgp_id == 0) return open_fail(sub::bad_bgp_identifier, "BGP identifier 0.0.0.0 (RFC 6286 §2.2)");

  // RFC 9072 §2: Opt Parm Len 255 followed by parameter type 255 announces the
  // extended form: a two-octet length, and two-octet lengths in every parameter.
  bool extended = false;
  std::size_t params_len = opt_len;
  if (opt_len == 255 && r.remaining() >= 3 && r.position()[0] == iana::open_param::extended_length) {
    std::uint8_t marker = 0;
    std::uint16_t ext_len = 0;
    r.u8(marker);
    r.u16(ext_len);
    extended = true;
    params_len = ext_len;
  }
  if (params_len != r.remaining())
    return open_fail(sub::unspecific, "optional parameters length " + std::to_string(params_len) +
                                          " does not match the " + std::to_string(r.remaining()) +
                                          " octets that follow (RFC 4271 §6.2)");
  while (!r.empty()) {
    std::uint8_t type = 0;
    std::uint16_t len = 0;
    r.u8(type);
    bool got_len = false;
    if (extended) {
      got_len = r.u16(len);
    } else {
      std::uint8_t l8 = 0;
      got_len = r.u8(l8);
      len = l8;
    }
    byte_view value;
    if (!got_len || !r.take(len, value))
      return open_fail(sub::unspecific, "optional parameter of type " + std::to_string(type) +
                                            " runs past the end of the OPEN (RFC 4271 §6.2)");
    if (type != iana::open_param::capabilities)
      return open_fail(sub::unsupported_optional_parameter,
                       "optional parameter type " + std::to_string(type) +
                           " is not supported; only Capabilities (2) (RFC 4271 §6.2, RFC 5492)");
    if (auto err = decode_capabilities(value, m.capabilities)) {
      decode_result res;
      res.error = std::move(*err);
      return res;
    }
  }
  if (const auto* four = m.find<cap_four_octet_as>(); four && four->as == 0)
    return open_fail(sub::bad_peer_as, "four-octet AS capability carries AS 0 (RFC 7607 §2)");

  decode_result res;
  res.msg = std::move(m);
  return res;
}

void encode_open_body(writer& w, const open_message& m) {
  w.u8(m.version);
  w.u16(m.my_as);
  w.u16(m.hold_time);
  w.u32(m.bgp_id);
  bytes caps_storage;
  writer caps(caps_storage);
  for (const auto& c : m.capabilities) encode_capability(caps, c);
  if (caps_storage.empty()) {
    w.u8(0);
    return;
  }
  // All capabilities go in one Capabilities parameter (RFC 5492 §4 allows one or
  // many). Splitting them over several one-octet-length parameters never helps: once
  // they exceed 252 octets the parameters exceed the 254 octets of Opt Parm Len, so
  // the RFC 9072 form (two-octet lengths) is needed either way.
  if (caps_storage.size() + 2 <= 254) {
    w.u8(static_cast<std::uint8_t>(caps_storage.size() + 2));
    w.u8(iana::open_param::capabilities);
    w.u8(static_cast<std::uint8_t>(caps_storage.size()));
  } else {
    w.u8(255);
    w.u8(iana::open_param::extended_length);
    w.u16(static_cast<std::uint16_t>(caps_storage.size() + 3));
    w.u8(iana::open_param::capabilities);
    w.u16(static_cast<std::uint16_t>(caps_storage.size()));
  }
  w.put(caps_storage);
}

}  // namespace bgp::codec
