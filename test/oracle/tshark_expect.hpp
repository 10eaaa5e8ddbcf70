// What Wireshark 4.0's BGP dissector should show for a message, derived from the typed
// message alone (never from our encoder's bytes), in tshark's own field names.
#pragma once

#include <bgp/codec.hpp>

#include <boost/json/object.hpp>

#include <span>

namespace oracle {

// {"fields": {tshark field: [values in packet order]},      fields outside path attributes
//  "attributes": [{"type_code", "flags", "fields": {...}}]} in the order they must appear
// `ctx` is the session the message is encoded for (2-octet AS rewriting, ADD-PATH).
boost::json::object tshark_expect(const bgp::message& m, const bgp::session_context& ctx);

// The same for a run of UPDATEs from pack_announce: every message carries `attrs` (plus
// MP_REACH_NLRI or NEXT_HOP), and the NLRI of all messages together are `routes`.
// Only the IPv4-unicast-with-IPv4-next-hop case (routes in the NLRI field) is supported.
boost::json::object tshark_expect_packed(const bgp::path_attributes& attrs,
                                         const bgp::ip_address& next_hop,
                                         std::span<const bgp::nlri> routes,
                                         const bgp::session_context& ctx);

}  // namespace oracle
