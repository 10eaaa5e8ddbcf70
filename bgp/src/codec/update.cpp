// UPDATE message, RFC 4271 §4.3, with the error handling of RFC 4271 §6.3 as revised
// by RFC 7606.
//
//   +-----------------------------------------------------+
//   |   Withdrawn Routes Length (2 octets)                |
//   +-----------------------------------------------------+
//   |   Withdrawn Routes (variable)                       |
//   +-----------------------------------------------------+
//   |   Total Path Attribute Length (2 octets)            |
//   +-----------------------------------------------------+
//   |   Path Attributes (variable)                        |
//   +-----------------------------------------------------+
//   |   Network Layer Reachability Information (variable) |
//   +-----------------------------------------------------+
#include "codec/internal.hpp"

#include <bitset>

namespace bgp::codec {

namespace {

namespace sub = iana::update_subcode;

decode_error update_error(std::uint8_t subcode, error_action action, std::string reason,
                          bytes data = {}) {
  return make_error(iana::error_code::update_message, subcode, action, std::move(reason),
                    std::move(data));
}

decode_result fail(decode_error e) {
  decode_result r;
  r.error = std::move(e);
  return r;
}

// Walks the path attributes, RFC 7606 §4 for lengths that do not add up.
void decode_attributes(byte_view v, update_message& m, const session_context& ctx,
                       error_sink& errors, std::bitset<256>& seen) {
  reader r(v);
  while (!r.empty()) {
    const std::uint8_t* start = r.position();
    std::uint8_t flags = 0, type = 0;
    std::uint16_t len = 0;
    const bool ext = r.remaining() >= 1 && (start[0] & iana::attr_flag::extended_length);
    if (r.remaining() < (ext ? 4u : 3u)) {
      errors.add(update_error(sub::attribute_length_error, error_action::treat_as_withdraw,
                              std::to_string(r.remaining()) +
                                  " octets left in the path attributes, too few for an attribute "
                                  "header (RFC 7606 §4)"));
      return;
    }
    r.u8(flags);
    r.u8(type);
    if (ext) {
      r.u16(len);
    } else {
      std::uint8_t l8 = 0;
      r.u8(l8);
      len = l8;
    }
    byte_view value;
    if (!r.take(len, value)) {
      errors.add(update_error(sub::attribute_length_error, error_action::treat_as_withdraw,
                              "attribute type " + std::to_string(type) + " length " + std::to_string(len) +
                                  " overruns the path attributes by " +
                                  std::to_string(len - r.remaining()) + " octets (RFC 7606 §4)"));
      return;
    }
    const byte_view raw(start, static_cast<std::size_t>(r.position() - start));
    if (seen[type]) {
      // RFC 7606 §3(g): a repeated MP attribute resets the session; any other repeat is
      // discarded, keeping the first.
      if (type == iana::attr::mp_reach_nlri || type == iana::attr::mp_unreach_nlri)
        errors.add(update_error(sub::malformed_attribute_list, error_action::session_reset,
                                "attribute type " + std::to_string(type) +
                                    " appears more than once (RFC 7606 §3(g))"));
      else
        errors.add(update_error(sub::malformed_attribute_list, error_action::attribute_discard,
                                "repeated attribute type " + std::to_string(type) +
                                    " discarded (RFC 7606 §3(g))"));
      continue;
    }
    seen[type] = true;
    decode_attribute(flags, type, value, raw, m, ctx, errors);
  }
}

// Routes that are well formed but come back to the receiver are ignored: treat-as-
// withdraw, and never a NOTIFICATION (the NOTIFICATION fields say which rule).
void ignore_looped_routes(update_message& m, const session_context& ctx, error_sink& errors) {
  // RFC 4271 §6.3: a NEXT_HOP that is the receiving speaker's own address is
  // semantically incorrect; "the route SHOULD be ignored".
  if (ctx.local_address && m.attrs.next_hop && !m.routes.empty() && *m.attrs.next_hop == *ctx.local_address)
    errors.add(update_error(sub::invalid_next_hop_attribute, error_action::treat_as_withdraw,
                            "NEXT_HOP " + m.attrs.next_hop->to_string() +
                                " is our own address: routes ignored (RFC 4271 §6.3)"));
  // RFC 4456 §8: an ORIGINATOR_ID that is our BGP Identifier is our own route reflected
  // back to us; "SHOULD ignore".
  if (ctx.local_id != 0 && m.attrs.originator_id == ctx.local_id)
    errors.add(update_error(sub::optional_attribute_error, error_action::treat_as_withdraw,
                            "ORIGINATOR_ID " + ip_address::v4(ctx.local_id).to_string() +
                                " is our BGP Identifier: routes ignored (RFC 4456 §8)"));
}

}  // namespace

decode_result decode_update(byte_view body, const session_context& ctx) {
  reader r(body);
  std::uint16_t wlen = 0, alen = 0;
  byte_view withdrawn, attrs;
  // RFC 4271 §6.3 (kept by RFC 7606 §3(a)): lengths that do not fit the message are
  // a Malformed Attribute List and reset the session.
  r.u16(wlen);
  if (!r.take(wlen, withdrawn) || r.remaining() < 2)
    return fail(update_error(sub::malformed_attribute_list, error_action::session_reset,
                             "withdrawn routes length " + std::to_string(wlen) +
                                 " does not fit in the message (RFC 4271 §6.3)"));
  r.u16(alen);
  if (!r.take(alen, attrs))
    return fail(update_error(sub::malformed_attribute_list, error_action::session_reset,
                             "total path attribute length " + std::to_string(alen) + " exceeds the " +
                                 std::to_string(r.remaining()) + " octets left (RFC 4271 §6.3)"));
  const byte_view nlri_field = r.rest();

  update_message m;
  std::string why;
  // RFC 7606 §5.3: a syntactically incorrect withdrawn routes or NLRI field resets.
  if (!decode_prefixes(withdrawn, afi::ipv4, ctx.add_path_ipv4, m.withdrawn, why))
    return fail(update_error(sub::invalid_network_field, error_action::session_reset,
                             "withdrawn routes: " + why));

  error_sink errors;
  std::bitset<256> seen;
  decode_attributes(attrs, m, ctx, errors, seen);
  if (errors.action() >= error_action::afi_safi_disable) return fail(std::move(*errors.worst));

  if (!decode_prefixes(nlri_field, afi::ipv4, ctx.add_path_ipv4, m.routes, why))
    return fail(update_error(sub::invalid_network_field, error_action::session_reset, "NLRI: " + why));

  // RFC 4271 §6.3 / RFC 7606 §3(d): ORIGIN and AS_PATH are mandatory when the UPDATE
  // carries reachability, NEXT_HOP when it carries IPv4 NLRI in the NLRI field
  // (RFC 4760 §3). A missing one means treat-as-withdraw; one that was present but
  // malformed has already been reported.
  const bool reach = !m.routes.empty() ||
                     (m.reach && (!m.reach->routes.empty() || !m.reach->raw_nlri.empty()));
  // RFC 7606 §5.2: without reachable NLRI there is nothing to treat as withdrawn, and no
  // telling that the NLRI were parsed right: an attribute error stronger than
  // attribute discard resets the session.
  if (!reach && errors.action() == error_action::treat_as_withdraw) {
    decode_error e = std::move(*errors.worst);
    e.action = error_action::session_reset;
    e.reason += "; the UPDATE has no reachable NLRI (RFC 7606 §5.2)";
    return fail(std::move(e));
  }
  if (reach) {
    auto require = [&](bool present, std::uint8_t type, const char* name) {
      if (present || seen[type]) return;
      errors.add(update_error(sub::missing_well_known_attribute, error_action::treat_as_withdraw,
                              std::string("missing well-known attribute ") + name +
                                  " (RFC 4271 §6.3, RFC 7606 §3(d))",
                              bytes{type}));
    };
    require(m.attrs.origin.has_value(), iana::attr::origin, "ORIGIN");
    require(m.attrs.path.has_value(), iana::attr::as_path, "AS_PATH");
    if (!m.routes.empty()) require(m.attrs.next_hop.has_value(), iana::attr::next_hop, "NEXT_HOP");
    ignore_looped_routes(m, ctx, errors);
  }

  decode_result res;
  res.msg = std::move(m);
  res.error = std::move(errors.worst);
  return res;
}

void encode_update_body(writer& w, const update_message& m, const session_context& ctx) {
  const std::size_t wlen_at = w.placeholder(2);
  for (const auto& n : m.withdrawn) encode_prefix(w, n, ctx.add_path_ipv4);
  w.patch_u16(wlen_at, static_cast<std::uint16_t>(w.size() - wlen_at - 2));
  const std::size_t alen_at = w.placeholder(2);
  // RFC 7606 §5.1: MP_REACH_NLRI / MP_UNREACH_NLRI go first.
  if (m.reach) encode_mp_reach(w, *m.reach, ctx);
  if (m.unreach) encode_mp_unreach(w, *m.unreach, ctx);
  encode_path_attributes(w, m.attrs, ctx);
  w.patch_u16(alen_at, static_cast<std::uint16_t>(w.size() - alen_at - 2));
  for (const auto& n : m.routes) encode_prefix(w, n, ctx.add_path_ipv4);
}

}  // namespace bgp::codec
