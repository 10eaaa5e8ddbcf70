// The node's service's log catalogue (runtime/log.hpp has the mechanism;
// docs/operations.md lists every event of every component). Every session-down and every
// withheld service carries a reason.
#pragma once

#include <string_view>

#include "runtime/log.hpp"

namespace speaker::log {

using namespace runtime::log;

namespace ev {
inline constexpr std::string_view speaker_started = "speaker_started";
inline constexpr std::string_view peer_config_error = "peer_config_error";  // a BGPPeer this node cannot run
inline constexpr std::string_view peer_configured = "peer_configured";
inline constexpr std::string_view peer_state = "peer_state";
inline constexpr std::string_view peer_down = "peer_down";
inline constexpr std::string_view bfd_state = "bfd_state";  // with the diagnostic; warn when leaving Up
inline constexpr std::string_view bfd_error = "bfd_error";  // a BFD session could not be set up
inline constexpr std::string_view route_announce = "route_announce";  // debug
inline constexpr std::string_view route_withdraw = "route_withdraw";  // debug
inline constexpr std::string_view service_withheld = "service_withheld";
inline constexpr std::string_view api_started = "api_started";
inline constexpr std::string_view api_failed = "api_failed";  // the GoBGP API could not start (port, TLS files)
inline constexpr std::string_view api_stale = "api_stale";    // a new local identity the API does not show yet
// the eBPF dataplane (speaker/dataplane_driver.hpp)
inline constexpr std::string_view dataplane_off = "dataplane_off";                  // --dataplane=off
inline constexpr std::string_view dataplane_unavailable = "dataplane_unavailable";  // what is missing; BGP goes on
inline constexpr std::string_view dataplane_loaded = "dataplane_loaded";
inline constexpr std::string_view dataplane_capacity = "dataplane_capacity";  // pinned maps smaller or larger than asked
inline constexpr std::string_view dataplane_attached = "dataplane_attached";
inline constexpr std::string_view dataplane_fallback = "dataplane_fallback";  // XDP refused: tc instead, with why
inline constexpr std::string_view dataplane_attach_failed = "dataplane_attach_failed";
inline constexpr std::string_view dataplane_no_interface = "dataplane_no_interface";  // no route to a BGP peer
inline constexpr std::string_view dataplane_skipped = "dataplane_skipped";  // a service the maps cannot express
inline constexpr std::string_view dataplane_apply_failed = "dataplane_apply_failed";
inline constexpr std::string_view dataplane_recovered = "dataplane_recovered";  // maps written again after a failure
// A control RPC or write on the API, accepted (info) or refused (warn), with its caller
inline constexpr std::string_view api_call = "api_call";
}  // namespace ev

}  // namespace speaker::log
