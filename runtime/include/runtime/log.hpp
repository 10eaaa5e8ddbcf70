// Structured log lines: one line per event, `event=<name>` followed by key=value pairs
// (values quoted when they hold spaces, quotes or '='), so a line greps and parses the same
// way every time. Each component keeps its own catalogue of event names (a `log_events.hpp`
// beside its sources, all of them listed in docs/operations.md); this header holds the
// mechanism and the process shell's own events.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace runtime::log {

namespace ev {
inline constexpr std::string_view started = "started";
inline constexpr std::string_view stopping = "stopping";
inline constexpr std::string_view stopping_now = "stopping_now";  // a second signal: no drain
inline constexpr std::string_view stopped = "stopped";
inline constexpr std::string_view reload = "reload";
inline constexpr std::string_view refused_to_start = "refused_to_start";
inline constexpr std::string_view http_accept_error = "http_accept_error";  // e.g. out of file descriptors
inline constexpr std::string_view http_busy = "http_busy";                  // connection cap reached
}  // namespace ev

// Logs go to stderr; `level` is trace, debug, info, warn or error.
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

}  // namespace runtime::log
