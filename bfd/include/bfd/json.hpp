// The status of BFD sessions as JSON, one shape for every reader: the speaker's HTTP
// endpoint and `bgplbctl bfd`, bfd_probe, the tests. Field names are snake_case; times
// are microseconds; states and diagnostics are RFC 5880's words ("Up",
// "control detection time expired").
#pragma once

#include <bfd/manager.hpp>

#include <boost/json/object.hpp>

namespace bfd {

// {"peer", "local"?, "interface"?, "hops", "state", "remote_state", "diag", "remote_diag",
//  "last_down_diag", "local_discr", "remote_discr", "tx_interval_us", "detection_time_us",
//  "desired_min_tx_us", "required_min_rx_us", "remote_min_rx_us", "remote_desired_tx_us",
//  "remote_detect_mult", "poll", "admin_down", "echo_active", "profile": {...},
//  "counters": {"control_in", "control_out", "echo_in", "echo_out", "up_events",
//  "down_events", "dropped", "notifications"}, "since_s" (seconds before `now`)}
boost::json::object to_json(const session_status& s, std::chrono::steady_clock::time_point now);

// {"drops": {reason: n, ...}, "send_errors", "transmissions", "late_transmissions",
//  "max_lateness_us", "lateness_histogram_lt_100us_1ms_5ms_20ms_more": [5 counts]}
boost::json::object to_json(const manager_stats& s);

}  // namespace bfd
