// MetalLB's BFD metrics (speaker, FRR mode) as a table over session_status, for the
// process's Prometheus exposition: one family per row, one sample per session with the
// label peer="<session_status.config.key.peer>".
//
//   for (const auto& m : bfd::metrics) {
//     x.family(std::string(m.name), std::string(m.type), std::string(m.help));
//     for (const auto& s : manager.sessions())
//       x.sample(std::string(m.name), {{"peer", s.config.key.peer.to_string()}}, m.value(s));
//   }
#pragma once

#include <bfd/manager.hpp>

#include <string_view>

namespace bfd {

struct metric {
  std::string_view name, type, help;
  double (*value)(const session_status&);
};

inline constexpr metric metrics[] = {
    {"metallb_bfd_session_up", "gauge", "BFD session state (1 is up, 0 is down)",
     [](const session_status& s) { return s.local_state == state::up ? 1.0 : 0.0; }},
    {"metallb_bfd_control_packet_input", "counter", "Number of received BFD control packets",
     [](const session_status& s) { return static_cast<double>(s.counters.control_packet_input); }},
    {"metallb_bfd_control_packet_output", "counter", "Number of sent BFD control packets",
     [](const session_status& s) { return static_cast<double>(s.counters.control_packet_output); }},
    {"metallb_bfd_echo_packet_input", "counter", "Number of received BFD echo packets",
     [](const session_status& s) { return static_cast<double>(s.counters.echo_packet_input); }},
    {"metallb_bfd_echo_packet_output", "counter", "Number of sent BFD echo packets",
     [](const session_status& s) { return static_cast<double>(s.counters.echo_packet_output); }},
    {"metallb_bfd_session_up_events", "counter", "Number of BFD session up events",
     [](const session_status& s) { return static_cast<double>(s.counters.session_up_events); }},
    {"metallb_bfd_session_down_events", "counter", "Number of BFD session down events",
     [](const session_status& s) { return static_cast<double>(s.counters.session_down_events); }},
    // FRR counts its notifications to zebra; ours are the state changes handed to the
    // manager's subscribers (the speaker), the same events.
    {"metallb_bfd_zebra_notifications", "counter", "Number of BFD zebra notifications",
     [](const session_status& s) { return static_cast<double>(s.counters.notifications); }},
};

}  // namespace bfd
