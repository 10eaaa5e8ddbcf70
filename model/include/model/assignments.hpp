// model::assignments: the addresses the controller assigned to services, as every consumer
// reads them. One owner and one conversion: the controller publishes a ledger (model/ledger.hpp),
// a datastore reads it back (the file backend's ledger.json; Service status in Kubernetes;
// the ledger keys in etcd), and the speaker, `bgplb plan` and bgplbctl all turn it into this
// map with the functions below.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/ip.hpp"
#include "model/ledger.hpp"
#include "model/snapshot.hpp"

namespace model {

// Service -> its addresses, one per family, in allocation order. Services without
// addresses are absent.
using assignments = std::map<name_key, std::vector<ip_address>>;

// The ledger's entries (a ledger holds exactly the services that have addresses).
assignments assignments_from(const ledger& l);

// What Services' status.loadBalancer.ingress says, for LoadBalancer services of the given
// spec.loadBalancerClass (unset: services without a class): the assignments when no
// ledger is published (MetalLB wrote them before a migration, or another controller).
assignments assignments_from_status(const snapshot& s, const std::optional<std::string>& load_balancer_class);

// The services whose addresses differ between two assignments (name order).
std::vector<name_key> changed_services(const assignments& before, const assignments& after);

}  // namespace model
