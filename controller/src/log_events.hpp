// The controller's log catalogue (runtime/log.hpp has the mechanism; docs/operations.md
// lists every event of every component).
#pragma once

#include <string_view>

#include "runtime/log.hpp"

namespace controller::log {

using namespace runtime::log;

namespace ev {
inline constexpr std::string_view allocation = "allocation";            // a controller event on a service
inline constexpr std::string_view allocation_summary = "allocation_summary";  // a pass with many: counts per reason
inline constexpr std::string_view state_error = "state_error";          // the ledger cannot be read or written
inline constexpr std::string_view leader = "leader";                    // leadership gained or lost
}  // namespace ev

}  // namespace controller::log
