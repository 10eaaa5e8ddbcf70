// The one JSON form of a pool's status (status.json, `bgplbctl pools -j`, `bgplb plan`):
// {"name","assigned_ipv4","available_ipv4","assigned_ipv6","available_ipv6","stranded"}.
#pragma once

#include <boost/json/object.hpp>

#include "model/status.hpp"

namespace store {

boost::json::object pool_json(const model::pool_status& p);

}  // namespace store
