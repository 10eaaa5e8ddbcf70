// The daemon's log catalogue: one line per event, `event=<name>` followed by key=value
// pairs (values quoted when they hold spaces or quotes), so a line greps and parses the
// same way every time. Every session-down and every withheld service carries a reason.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace speaker::log {

namespace ev {
inline constexpr std::string_view started = "started";
inline constexpr std::string_view stopping = "stopping";
inline constexpr std::string_view stopped = "stopped";
inline constexpr std::string_view reload = "reload";
inline constexpr std::string_view refused_to_start = "refused_to_start";
inline constexpr std::string_view config_error = "config_error";          // a manifest refused; last good kept
inline constexpr std::string_view config_warning = "config_warning";      // accepted, but likely a mistake
inline constexpr std::string_view state_error = "state_error";            // the state directory
inline constexpr std::string_view allocation = "allocation";              // a controller event on a service
inline constexpr std::string_view peer_config_error = "peer_config_error";  // a BGPPeer this node cannot run
inline constexpr std::string_view peer_configured = "peer_configured";
inline constexpr std::string_view peer_state = "peer_state";
inline constexpr std::string_view peer_down = "peer_down";
inline constexpr std::string_view route_announce = "route_announce";
inline constexpr std::string_view route_withdraw = "route_withdraw";
inline constexpr std::string_view service_withheld = "service_withheld";
inline constexpr std::string_view api_started = "api_started";
inline constexpr std::string_view api_failed = "api_failed";  // the GoBGP API could not start (port, TLS files)
inline constexpr std::string_view api_stale = "api_stale";    // a new local identity the API does not show yet
inline constexpr std::string_view datastore_update = "datastore_update";  // debug: a change read
inline constexpr std::string_view update_applied = "update_applied";      // debug: with timings
}  // namespace ev

void setup(const std::string& level);
std::string quote(std::string_view v);

template <class... KV>
std::string line(std::string_view event, const KV&... kv) {
  std::string out = "event=" + std::string(event);
  const std::string_view parts[] = {std::string_view(kv)...};
  for (std::size_t i = 0; i + 1 < sizeof...(kv); i += 2) {
    out += ' ';
    out += parts[i];
    out += '=';
    out += quote(parts[i + 1]);
  }
  return out;
}

template <class... KV>
void debug(std::string_view e, const KV&... kv) {
  if (spdlog::should_log(spdlog::level::debug)) spdlog::debug(line(e, kv...));
}
template <class... KV>
void info(std::string_view e, const KV&... kv) { spdlog::info(line(e, kv...)); }
template <class... KV>
void warn(std::string_view e, const KV&... kv) { spdlog::warn(line(e, kv...)); }
template <class... KV>
void error(std::string_view e, const KV&... kv) { spdlog::error(line(e, kv...)); }

}  // namespace speaker::log
