// The BGP-4 wire codec: bytes in, typed messages out, and back. Pure code: no sockets,
// no clocks, no exceptions out of decode, never a read outside the given buffer.
//
// RFCs: 4271 (messages, §6 errors), 2918 + 7313 (route refresh), 5492 (capabilities),
// 4760 (multiprotocol), 6793 (4-octet AS), 7911 (ADD-PATH), 8654 (extended message),
// 8950 (extended next hop), 4724 (graceful restart, End-of-RIB), 1997, 4360, 8092
// (communities), 4456 (route reflection), 7606 (revised UPDATE error handling),
// 9003 (shutdown communication), 9072 (extended OPEN optional parameters length).
#pragma once

#include <bgp/error.hpp>
#include <bgp/message.hpp>
#include <bgp/types.hpp>

#include <cstddef>
#include <optional>
#include <span>

namespace bgp {

inline constexpr std::size_t header_size = 19;
inline constexpr std::size_t max_message_size = 4096;            // RFC 4271 §4
inline constexpr std::size_t max_extended_message_size = 65535;  // RFC 8654

// What was negotiated on the session, as far as it changes the bytes, and who the
// receiver is, as far as some receive rules ask.
// For decoding, `add_path_*` means "the peer sends path identifiers to us" (we
// advertised receive and it advertised send); for encoding, "we send them".
struct session_context {
  bool four_octet_as = true;      // RFC 6793 negotiated
  bool extended_message = false;  // RFC 8654 negotiated
  bool add_path_ipv4 = false;     // RFC 7911, IPv4 unicast
  bool add_path_ipv6 = false;     // RFC 7911, IPv6 unicast
  bool ebgp = false;  // RFC 7606 §7.5/7.9/7.10: some iBGP-only attributes are discarded
  // Decoding only; unknown (0, none) means not checked. Routes that come back to us
  // are ignored (treat-as-withdraw, never a NOTIFICATION): a NEXT_HOP that is our own
  // address (RFC 4271 §6.3), an ORIGINATOR_ID that is our BGP Identifier (RFC 4456 §8).
  std::uint32_t local_id = 0;  // our BGP Identifier, host byte order
  std::optional<ip_address> local_address;  // our address on the session

  bool add_path(family f) const {
    return (f == ipv4_unicast && add_path_ipv4) || (f == ipv6_unicast && add_path_ipv6);
  }
  std::size_t max_size() const {
    return extended_message ? max_extended_message_size : max_message_size;
  }
};

// The result of decoding one message.
//  - clean:                 msg set, error empty
//  - usable with an error:  msg set (always an UPDATE), error->action is
//                           attribute_discard or treat_as_withdraw; the offending
//                           attributes are already dropped from msg
//  - unusable:              msg empty, error->action is session_reset
//                           (or afi_safi_disable)
struct decode_result {
  std::optional<message> msg;
  std::optional<decode_error> error;
  bool ok() const { return msg.has_value() && !error.has_value(); }
};

// Stream framing: looks at the first bytes of a TCP stream. Returns 0 when fewer than
// 19 bytes are present, otherwise the total length of the first message (which may be
// more than `stream.size()`: read more). A header error (marker, length bounds, type)
// comes back in `error` with action session_reset.
struct frame_result {
  std::size_t length = 0;
  std::optional<decode_error> error;
};
frame_result frame(byte_view stream, const session_context& ctx);

// Decodes exactly one whole message (header included); `wire.size()` must equal the
// header's length field, otherwise that is reported as a length error.
decode_result decode(byte_view wire, const session_context& ctx);

// Encodes one message, header included, appending to `out`. A message larger than
// ctx.max_size() is a caller bug (use the pack_* functions for bulk NLRI) and throws
// std::length_error. Unknown optional transitive attributes get the Partial bit
// (RFC 4271 §5); unknown non-transitive ones are not passed on. On a two-octet AS
// session, ASNs above 65535 become AS_TRANS and AS4_PATH / AS4_AGGREGATOR are added
// when the attributes do not already carry them (RFC 6793 §4.2.2).
void encode(bytes& out, const message& m, const session_context& ctx);
bytes encode(const message& m, const session_context& ctx);

// Appends to `out` the fewest UPDATE messages (each at most ctx.max_size()) that
// announce `routes` of family `fam` with the attribute set `attrs`. IPv4 unicast with
// one IPv4 next hop uses NEXT_HOP and the NLRI field; anything else (IPv6, or IPv4 with
// an IPv6 next hop per RFC 8950) uses MP_REACH_NLRI with `next_hops` (global first,
// optional link-local second). Returns the number of messages written.
std::size_t pack_announce(bytes& out, family fam, const path_attributes& attrs,
                          std::span<const ip_address> next_hops,
                          std::span<const nlri> routes, const session_context& ctx);

// Appends the fewest UPDATE messages that withdraw `routes`. Returns the count.
std::size_t pack_withdraw(bytes& out, family fam, std::span<const nlri> routes,
                          const session_context& ctx);

// The End-of-RIB marker for `fam` (RFC 4724 §2).
update_message end_of_rib(family fam);

// RFC 6793 §4.2.3: the AS path a NEW speaker uses for a route learned from an OLD
// (two-octet) speaker, merging AS_PATH with AS4_PATH; and likewise the aggregator.
as_path reconstruct_as_path(const path_attributes& attrs);
std::optional<aggregator_info> reconstruct_aggregator(const path_attributes& attrs);

// Number of ASes in a path as RFC 4271 §9.1.2.2 counts them (AS_SET counts 1,
// confederation segments 0).
std::size_t path_length(const as_path& path);

}  // namespace bgp
