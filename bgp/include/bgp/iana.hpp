// Every IANA-assigned number the BGP library uses, one table per registry.
// Registry names are those of https://www.iana.org/assignments/bgp-parameters.
#pragma once

#include <cstdint>

namespace bgp::iana {

// Registry: "BGP Message Types"
enum class message_type : std::uint8_t {
  open = 1,
  update = 2,
  notification = 3,
  keepalive = 4,
  route_refresh = 5,  // RFC 2918
};

// Registry: "BGP Error (Notification) Codes"
namespace error_code {
inline constexpr std::uint8_t message_header = 1;
inline constexpr std::uint8_t open_message = 2;
inline constexpr std::uint8_t update_message = 3;
inline constexpr std::uint8_t hold_timer_expired = 4;
inline constexpr std::uint8_t fsm = 5;
inline constexpr std::uint8_t cease = 6;
inline constexpr std::uint8_t route_refresh = 7;  // RFC 7313
}  // namespace error_code

// Registry: "Message Header Error subcodes"
namespace header_subcode {
inline constexpr std::uint8_t connection_not_synchronized = 1;
inline constexpr std::uint8_t bad_message_length = 2;
inline constexpr std::uint8_t bad_message_type = 3;
}  // namespace header_subcode

// Registry: "OPEN Message Error subcodes"
namespace open_subcode {
inline constexpr std::uint8_t unspecific = 0;
inline constexpr std::uint8_t unsupported_version = 1;
inline constexpr std::uint8_t bad_peer_as = 2;
inline constexpr std::uint8_t bad_bgp_identifier = 3;
inline constexpr std::uint8_t unsupported_optional_parameter = 4;
inline constexpr std::uint8_t unacceptable_hold_time = 6;
inline constexpr std::uint8_t unsupported_capability = 7;   // RFC 5492
inline constexpr std::uint8_t role_mismatch = 11;           // RFC 9234
}  // namespace open_subcode

// Registry: "UPDATE Message Error subcodes"
namespace update_subcode {
inline constexpr std::uint8_t malformed_attribute_list = 1;
inline constexpr std::uint8_t unrecognized_well_known_attribute = 2;
inline constexpr std::uint8_t missing_well_known_attribute = 3;
inline constexpr std::uint8_t attribute_flags_error = 4;
inline constexpr std::uint8_t attribute_length_error = 5;
inline constexpr std::uint8_t invalid_origin_attribute = 6;
inline constexpr std::uint8_t invalid_next_hop_attribute = 8;
inline constexpr std::uint8_t optional_attribute_error = 9;
inline constexpr std::uint8_t invalid_network_field = 10;
inline constexpr std::uint8_t malformed_as_path = 11;
}  // namespace update_subcode

// Registry: "BGP FSM Error Subcodes" (RFC 6608)
namespace fsm_subcode {
inline constexpr std::uint8_t unspecified = 0;
inline constexpr std::uint8_t unexpected_in_open_sent = 1;
inline constexpr std::uint8_t unexpected_in_open_confirm = 2;
inline constexpr std::uint8_t unexpected_in_established = 3;
}  // namespace fsm_subcode

// Registry: "BGP Cease NOTIFICATION message subcodes" (RFC 4486, RFC 8203/9003)
namespace cease_subcode {
inline constexpr std::uint8_t maximum_prefixes_reached = 1;
inline constexpr std::uint8_t administrative_shutdown = 2;
inline constexpr std::uint8_t peer_deconfigured = 3;
inline constexpr std::uint8_t administrative_reset = 4;
inline constexpr std::uint8_t connection_rejected = 5;
inline constexpr std::uint8_t other_configuration_change = 6;
inline constexpr std::uint8_t connection_collision_resolution = 7;
inline constexpr std::uint8_t out_of_resources = 8;
inline constexpr std::uint8_t hard_reset = 9;  // RFC 8538
inline constexpr std::uint8_t bfd_down = 10;   // RFC 9384
}  // namespace cease_subcode

// Registry: "ROUTE-REFRESH Message Error subcodes" (RFC 7313)
namespace route_refresh_subcode {
inline constexpr std::uint8_t invalid_message_length = 1;
}

// Registry: "BGP Route Refresh Subcodes" (RFC 7313)
namespace route_refresh_subtype {
inline constexpr std::uint8_t normal = 0;
inline constexpr std::uint8_t borr = 1;  // beginning of route refresh
inline constexpr std::uint8_t eorr = 2;  // end of route refresh
}  // namespace route_refresh_subtype

// Registry: "BGP OPEN Optional Parameter Types"
namespace open_param {
inline constexpr std::uint8_t capabilities = 2;     // RFC 5492
inline constexpr std::uint8_t extended_length = 255;  // RFC 9072
}  // namespace open_param

// Registry: "Capability Codes"
namespace capability {
inline constexpr std::uint8_t multiprotocol = 1;          // RFC 4760
inline constexpr std::uint8_t route_refresh = 2;          // RFC 2918
inline constexpr std::uint8_t extended_next_hop = 5;      // RFC 8950
inline constexpr std::uint8_t extended_message = 6;       // RFC 8654
inline constexpr std::uint8_t role = 9;                   // RFC 9234
inline constexpr std::uint8_t graceful_restart = 64;      // RFC 4724
inline constexpr std::uint8_t four_octet_as = 65;         // RFC 6793
inline constexpr std::uint8_t add_path = 69;              // RFC 7911
inline constexpr std::uint8_t enhanced_route_refresh = 70;  // RFC 7313
inline constexpr std::uint8_t long_lived_graceful_restart = 71;
inline constexpr std::uint8_t fqdn = 73;                  // draft-walton-bgp-hostname-capability
inline constexpr std::uint8_t route_refresh_cisco = 128;  // pre-standard route refresh
}  // namespace capability

// Registry: "BGP Path Attributes"
namespace attr {
inline constexpr std::uint8_t origin = 1;
inline constexpr std::uint8_t as_path = 2;
inline constexpr std::uint8_t next_hop = 3;
inline constexpr std::uint8_t multi_exit_disc = 4;
inline constexpr std::uint8_t local_pref = 5;
inline constexpr std::uint8_t atomic_aggregate = 6;
inline constexpr std::uint8_t aggregator = 7;
inline constexpr std::uint8_t communities = 8;       // RFC 1997
inline constexpr std::uint8_t originator_id = 9;     // RFC 4456
inline constexpr std::uint8_t cluster_list = 10;     // RFC 4456
inline constexpr std::uint8_t mp_reach_nlri = 14;    // RFC 4760
inline constexpr std::uint8_t mp_unreach_nlri = 15;  // RFC 4760
inline constexpr std::uint8_t extended_communities = 16;  // RFC 4360
inline constexpr std::uint8_t as4_path = 17;         // RFC 6793
inline constexpr std::uint8_t as4_aggregator = 18;   // RFC 6793
inline constexpr std::uint8_t large_community = 32;  // RFC 8092
}  // namespace attr

// Attribute Flags octet, RFC 4271 §4.3
namespace attr_flag {
inline constexpr std::uint8_t optional = 0x80;
inline constexpr std::uint8_t transitive = 0x40;
inline constexpr std::uint8_t partial = 0x20;
inline constexpr std::uint8_t extended_length = 0x10;
}  // namespace attr_flag

// AS_PATH segment types, RFC 4271 §4.3 and RFC 5065 §3
namespace segment {
inline constexpr std::uint8_t as_set = 1;
inline constexpr std::uint8_t as_sequence = 2;
inline constexpr std::uint8_t confed_sequence = 3;
inline constexpr std::uint8_t confed_set = 4;
}  // namespace segment

// RFC 6793 §9: AS_TRANS
inline constexpr std::uint32_t as_trans = 23456;

// Registry: "BGP Well-known Communities" (RFC 1997, RFC 8326)
namespace community {
inline constexpr std::uint32_t graceful_shutdown = 0xFFFF0000;  // RFC 8326
inline constexpr std::uint32_t no_export = 0xFFFFFF01;
inline constexpr std::uint32_t no_advertise = 0xFFFFFF02;
inline constexpr std::uint32_t no_export_subconfed = 0xFFFFFF03;
}  // namespace community

// Registry: "BGP Transitive/Non-Transitive Extended Community Types"
namespace ext_community {
inline constexpr std::uint8_t type_two_octet_as = 0x00;         // transitive
inline constexpr std::uint8_t type_non_transitive_two_octet_as = 0x40;
inline constexpr std::uint8_t subtype_route_target = 0x02;
inline constexpr std::uint8_t subtype_link_bandwidth = 0x04;  // draft-ietf-idr-link-bandwidth
}  // namespace ext_community

}  // namespace bgp::iana
