// The datastore's log catalogue (runtime/log.hpp has the mechanism; docs/operations.md
// lists every event of every component).
#pragma once

#include <string_view>

#include "runtime/log.hpp"

namespace store::log {

using namespace runtime::log;

namespace ev {
inline constexpr std::string_view config_error = "config_error";          // a manifest refused; last good kept
inline constexpr std::string_view config_recovered = "config_recovered";  // every refused manifest is good again
inline constexpr std::string_view config_warning = "config_warning";      // accepted, but likely a mistake or ignored
inline constexpr std::string_view datastore_stale = "datastore_stale";    // cannot read; last good state kept
inline constexpr std::string_view datastore_connected = "datastore_connected";
inline constexpr std::string_view datastore_update = "datastore_update";  // debug: a change delivered
}  // namespace ev

}  // namespace store::log
