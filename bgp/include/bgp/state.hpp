// The state of a BGP session, RFC 4271 §8.2.2: the FSM's state (src/fsm) and the one a
// peer's status reports are this one enum.
#pragma once

#include <cstdint>
#include <string_view>

namespace bgp {

enum class peer_state : std::uint8_t { idle, connect, active, open_sent, open_confirm, established };

// "idle", "connect", "active", "open_sent", "open_confirm", "established".
std::string_view to_string(peer_state s);

}  // namespace bgp
