// The Kubernetes datastore's log catalogue: one line per event, `event=<name>` then
// key=value pairs (values quoted when they hold spaces or quotes), as the daemons log.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace store::kubernetes::log {

namespace ev {
inline constexpr std::string_view connected = "kube_connected";        // every watch is up again
inline constexpr std::string_view disconnected = "kube_disconnected";  // a list or watch fails: last good state stays
inline constexpr std::string_view relist = "kube_relist";              // 410 Gone: resourceVersion compacted
inline constexpr std::string_view absent = "kube_kind_absent";         // a kind not served (CRD not installed)
inline constexpr std::string_view bad_event = "kube_bad_event";        // a watch line that is not an event
inline constexpr std::string_view leader = "kube_leader";              // Lease gained or lost
inline constexpr std::string_view lease_error = "kube_lease_error";    // a Lease read or write failed
inline constexpr std::string_view write_failed = "kube_write_failed";  // a status, annotation, pool or ledger write
inline constexpr std::string_view conflict = "kube_conflict";          // 409: re-read, not overwritten
inline constexpr std::string_view written = "kube_written";            // debug: a write plan carried out
inline constexpr std::string_view event_dropped = "kube_event_dropped";  // an Event could not be posted
}  // namespace ev

std::string line(std::string_view event, std::initializer_list<std::pair<std::string_view, std::string_view>> kv);

inline void info(std::string_view e, std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  spdlog::info(line(e, kv));
}
inline void warn(std::string_view e, std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  spdlog::warn(line(e, kv));
}
inline void debug(std::string_view e, std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  if (spdlog::should_log(spdlog::level::debug)) spdlog::debug(line(e, kv));
}

}  // namespace store::kubernetes::log
