// controller::allocate: IP address management as one pure function of a snapshot and the
// previous ledger. MetalLB's order and rules (controller/service.go convergeBalancer,
// internal/allocator) with three deliberate differences: pools without serviceAllocation
// are tried in name order instead of Go map order; addresses in the ledger are restored
// before anything new is allocated and are kept (with a PoolRemoved warning) when their
// pool shrinks or disappears; released addresses are held for other services for
// options::hold_down so a deleted-and-recreated service gets its address back.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/ledger.hpp"
#include "model/snapshot.hpp"
#include "model/status.hpp"

namespace controller {

struct options {
  std::int64_t now = 0;  // unix seconds; the caller's clock, so allocate() stays pure
  std::chrono::seconds hold_down{300};
  // The spec.loadBalancerClass this controller serves; unset: services without a class.
  std::optional<std::string> load_balancer_class;
};

struct result {
  model::ledger ledger;
  // Every LoadBalancer service this controller serves, namespace/name order; a service
  // without addresses has empty ingress and says why in its events.
  std::vector<model::service_status> services;
  // Every pool, name order, plus pools that are gone but still hold stranded addresses.
  std::vector<model::pool_status> pools;
};

result allocate(const model::snapshot& s, const model::ledger& previous, const options& opts);

}  // namespace controller
