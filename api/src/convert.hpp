// Conversions between the speaker's types and GoBGP's apipb messages. Pure: no gRPC,
// no io_context. Every submessage the gobgp client dereferences is set (reference
// gobgp-api.md §1a); attributes are typed Any messages in type-code order.
#pragma once

#include <bgp/speaker.hpp>

#include "gobgp.pb.h"

#include <chrono>
#include <optional>
#include <string>

namespace api::convert {

using wall_time = std::chrono::system_clock::time_point;

void set_family(apipb::Family* out, bgp::family f);
// ipv4/ipv6 unicast only; nullopt for anything else.
std::optional<bgp::family> family_of(const apipb::Family& f);
apipb::PeerState::SessionState session_state(bgp::peer_state s);
void set_time(google::protobuf::Timestamp* out, wall_time t);

// `with_advertised`: fill afi_safis[].state.advertised (ListPeer enableAdvertised).
void peer(apipb::Peer* out, const bgp::peer_inspection& p, std::uint32_t local_asn, bool with_advertised);
// The smaller Peer a WatchEvent carries: conf, state, transport.
void peer_event(apipb::Peer* out, const bgp::peer_inspection& p, std::uint32_t local_asn);

// A route this speaker originates, as GoBGP shows locally originated paths: best,
// next hop 0.0.0.0 / :: unless the route has its own, NEXT_HOP/MP_REACH last.
void originated_path(apipb::Path* out, const bgp::route& r, wall_time age);
// A route as one peer is given it (ADJ_OUT).
void advertised_path(apipb::Path* out, const bgp::advertised_route& r, bgp::family f, wall_time age);

// AddPath/DeletePath: the route a GLOBAL path describes (ipv4/ipv6 unicast only).
// Sets `error` and returns nullopt on anything else.
std::optional<bgp::route> route_of(const apipb::Path& p, std::string& error);

}  // namespace api::convert
