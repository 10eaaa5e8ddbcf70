// Declarations shared by the codec's translation units (not part of the public API).
#pragma once

#include "codec/wire.hpp"

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>

#include <string>

namespace bgp::codec {

decode_error make_error(std::uint8_t code, std::uint8_t subcode, error_action action,
                        std::string reason, bytes data = {});

// Keeps the most severe of the errors seen while decoding one message (RFC 7606 §3:
// "the most severe of the approaches applies").
struct error_sink {
  std::optional<decode_error> worst;
  void add(decode_error e) {
    if (!worst || e.action > worst->action) worst = std::move(e);
  }
  error_action action() const { return worst ? worst->action : error_action::none; }
};

// ---- NLRI (nlri.cpp): RFC 4271 §4.3 prefix encoding, RFC 7911 §3 path identifiers.
// Appends every prefix in `v` to `out`; false (out partially filled) when a length is
// larger than the family allows or a prefix runs past the end.
bool decode_prefixes(byte_view v, afi fam, bool add_path, std::vector<nlri>& out,
                     std::string& why);
inline std::size_t prefix_wire_size(const nlri& n, bool add_path) {
  return (add_path ? 4u : 0u) + 1u + (n.route.length + 7u) / 8u;
}
void encode_prefix(writer& w, const nlri& n, bool add_path);

// ---- OPEN (open.cpp, capability.cpp)
decode_result decode_open(byte_view body);
void encode_open_body(writer& w, const open_message& m);
// Decodes the capabilities inside one Capabilities optional parameter (RFC 5492 §4).
std::optional<decode_error> decode_capabilities(byte_view v, std::vector<capability>& out);
void encode_capability(writer& w, const capability& c);

// ---- UPDATE (update.cpp, attribute.cpp)
decode_result decode_update(byte_view body, const session_context& ctx);
void encode_update_body(writer& w, const update_message& m, const session_context& ctx);

// Path attributes other than MP_REACH/MP_UNREACH, in ascending type order, each with
// its header (flags, type, length). On a two-octet session the AS4 conversion of
// RFC 6793 §4.2.2 is applied.
void encode_path_attributes(writer& w, const path_attributes& a, const session_context& ctx);
void encode_mp_reach(writer& w, const mp_reach& r, const session_context& ctx);
void encode_mp_unreach(writer& w, const mp_unreach& u, const session_context& ctx);
// Writes an attribute header for a value of `length` bytes (extended length when > 255).
void put_attribute_header(writer& w, std::uint8_t flags, std::uint8_t code, std::size_t length);

// Decodes one path attribute value into `m`; reports problems to `errors`.
// `raw` is the whole attribute (header included), used as NOTIFICATION data.
void decode_attribute(std::uint8_t flags, std::uint8_t code, byte_view value, byte_view raw,
                      update_message& m, const session_context& ctx, error_sink& errors);

// Header writing shared by encode() and the pack_* functions.
std::size_t begin_message(writer& w, iana::message_type t);  // returns start offset
void end_message(writer& w, std::size_t start);               // patches the length

}  // namespace bgp::codec
