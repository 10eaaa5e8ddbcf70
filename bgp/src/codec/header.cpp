// The message header (RFC 4271 §4.1) and its checks (§6.1), dispatch by type, and the
// three small messages: KEEPALIVE (§4.4), NOTIFICATION (§4.5), ROUTE-REFRESH
// (RFC 2918 §3, RFC 7313 §3.2 and §5).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                                                               |
//  +                           Marker (16)                         +
//  |                                                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |          Length               |      Type     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#include "codec/internal.hpp"

#include <stdexcept>

namespace bgp::codec {

decode_error make_error(std::uint8_t code, std::uint8_t subcode, error_action action,
                        std::string reason, bytes data) {
  decode_error e;
  e.code = code;
  e.subcode = subcode;
  e.action = action;
  e.reason = std::move(reason);
  e.data = std::move(data);
  return e;
}

std::size_t begin_message(writer& w, iana::message_type t) {
  const std::size_t start = w.size();
  auto& buf = w.buffer();
  buf.insert(buf.end(), 16, 0xFF);
  w.u16(0);
  w.u8(static_cast<std::uint8_t>(t));
  return start;
}

void end_message(writer& w, std::size_t start) {
  const std::size_t len = w.size() - start;
  w.patch_u16(start + 16, static_cast<std::uint16_t>(len > 0xFFFF ? 0xFFFF : len));
}

namespace {

namespace ec = iana::error_code;
using iana::message_type;

decode_error header_error(std::uint8_t subcode, std::string reason, bytes data = {}) {
  return make_error(ec::message_header, subcode, error_action::session_reset, std::move(reason),
                    std::move(data));
}

bytes length_data(std::uint16_t len) {
  return bytes{static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)};
}

decode_result fail(decode_error e) {
  decode_result r;
  r.error = std::move(e);
  return r;
}

decode_result ok(message m) {
  decode_result r;
  r.msg = std::move(m);
  return r;
}

// RFC 7313 §5: a ROUTE-REFRESH whose length is not 4 octets past the header is an
// error 7/1 carrying the complete message; an unknown subtype is ignored by the
// receiver (we hand it up with its subtype and let the session ignore it).
decode_result decode_route_refresh(byte_view wire) {
  if (wire.size() != header_size + 4)
    return fail(make_error(ec::route_refresh, iana::route_refresh_subcode::invalid_message_length,
                           error_action::session_reset,
                           "ROUTE-REFRESH must be 23 octets long, got " +
                               std::to_string(wire.size()) + " (RFC 7313 §5)",
                           bytes(wire.begin(), wire.end())));
  route_refresh_message m;
  m.fam.afi = load_u16(wire.data() + header_size);
  m.subtype = wire[header_size + 2];
  m.fam.safi = wire[header_size + 3];
  return ok(m);
}

decode_result decode_notification(byte_view body) {
  notification_message m;
  m.code = body[0];
  m.subcode = body[1];
  m.data.assign(body.begin() + 2, body.end());
  return ok(std::move(m));
}

}  // namespace
}  // namespace bgp::codec

namespace bgp {

using namespace codec;

frame_result frame(byte_view s, const session_context& ctx) {
  frame_result r;
  if (s.size() < header_size) return r;
  for (std::size_t i = 0; i < 16; ++i)
    if (s[i] != 0xFF) {
      r.error = header_error(iana::header_subcode::connection_not_synchronized,
                             "marker is not all ones (RFC 4271 §6.1)");
      return r;
    }
  const std::uint16_t len = load_u16(s.data() + 16);
  const std::uint8_t type = s[18];
  auto bad_length = [&](std::string why) {
    r.error = header_error(iana::header_subcode::bad_message_length,
                           "length " + std::to_string(len) + " " + why, length_data(len));
    return r;
  };
  if (len < header_size) return bad_length("is below the 19-octet header (RFC 4271 §6.1)");
  if (len > ctx.max_size())
    return bad_length("exceeds the maximum of " + std::to_string(ctx.max_size()) +
                      (ctx.extended_message ? " (RFC 8654)" : " (RFC 4271 §4.1; RFC 8654 not negotiated)"));
  switch (static_cast<message_type>(type)) {
    case message_type::open:
      if (len < 29) return bad_length("is too short for an OPEN (29 octets minimum, RFC 4271 §4.2)");
      if (len > max_message_size)
        return bad_length("is too long for an OPEN (4096 octets maximum, RFC 8654 §4)");
      break;
    case message_type::update:
      if (len < 23) return bad_length("is too short for an UPDATE (23 octets minimum, RFC 4271 §4.3)");
      break;
    case message_type::notification:
      if (len < 21)
        return bad_length("is too short for a NOTIFICATION (21 octets minimum, RFC 4271 §4.5)");
      break;
    case message_type::keepalive:
      if (len != header_size)
        return bad_length("is wrong for a KEEPALIVE (exactly 19 octets, RFC 4271 §4.4)");
      break;
    case message_type::route_refresh:
      break;  // length checked by decode (RFC 7313 §5 has its own error code)
    default:
      r.error = header_error(iana::header_subcode::bad_message_type,
                             "unknown message type " + std::to_string(type) + " (RFC 4271 §6.1)",
                             bytes{type});
      return r;
  }
  r.length = len;
  return r;
}

decode_result decode(byte_view wire, const session_context& ctx) {
  if (wire.size() < header_size)
    return fail(header_error(iana::header_subcode::bad_message_length,
                             "message of " + std::to_string(wire.size()) + (wire.size() == 1 ? " octet" : " octets") +
                                 " is shorter than the 19-octet header (RFC 4271 §6.1)",
                             length_data(static_cast<std::uint16_t>(wire.size()))));
  auto f = frame(wire, ctx);
  if (f.error) return fail(std::move(*f.error));
  if (f.length != wire.size())
    return fail(header_error(iana::header_subcode::bad_message_length,
                             "length field says " + std::to_string(f.length) + " but the message has " +
                                 std::to_string(wire.size()) + " octets (RFC 4271 §6.1)",
                             length_data(static_cast<std::uint16_t>(f.length))));
  const byte_view body = wire.subspan(header_size);
  switch (static_cast<message_type>(wire[18])) {
    case message_type::open: return decode_open(body);
    case message_type::update: return decode_update(body, ctx);
    case message_type::notification: return decode_notification(body);
    case message_type::keepalive: return ok(keepalive_message{});
    case message_type::route_refresh: return decode_route_refresh(wire);
  }
  return fail(header_error(iana::header_subcode::bad_message_type, "unreachable"));
}

void encode(bytes& out, const message& m, const session_context& ctx) {
  writer w(out);
  const std::size_t before = out.size();
  std::size_t limit = ctx.max_size();
  struct visitor {
    writer& w;
    const session_context& ctx;
    std::size_t& limit;
    void operator()(const open_message& o) {
      const auto s = begin_message(w, message_type::open);
      encode_open_body(w, o);
      end_message(w, s);
      limit = max_message_size;
    }
    void operator()(const update_message& u) {
      const auto s = begin_message(w, message_type::update);
      encode_update_body(w, u, ctx);
      end_message(w, s);
    }
    void operator()(const notification_message& n) {
      const auto s = begin_message(w, message_type::notification);
      w.u8(n.code);
      w.u8(n.subcode);
      w.put(n.data);
      end_message(w, s);
    }
    void operator()(const keepalive_message&) {
      end_message(w, begin_message(w, message_type::keepalive));
      limit = max_message_size;
    }
    void operator()(const route_refresh_message& r) {
      const auto s = begin_message(w, message_type::route_refresh);
      w.u16(r.fam.afi);
      w.u8(r.subtype);
      w.u8(r.fam.safi);
      end_message(w, s);
    }
  };
  std::visit(visitor{w, ctx, limit}, m);
  const std::size_t len = out.size() - before;
  if (len > limit) {
    out.resize(before);
    throw std::length_error("BGP message of " + std::to_string(len) +
                            " octets exceeds the session maximum of " + std::to_string(limit));
  }
}

bytes encode(const message& m, const session_context& ctx) {
  bytes out;
  encode(out, m, ctx);
  return out;
}

}  // namespace bgp
