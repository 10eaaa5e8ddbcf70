// The controller's durable allocation ledger as the Kubernetes API holds it.
//
// Entries live on the Services themselves, as MetalLB keeps them, so that a MetalLB
// cluster migrates with every address and speakers read what the controller decided
// from the same place:
//   status.loadBalancer.ingress[].ip                 the addresses (status subresource)
//   metadata.annotations["metallb.io/ip-allocated-from-pool"]   the pool (MetalLB's)
//   metadata.annotations["bgplb.io/allocated-since"] unix seconds of the first allocation
// Every LoadBalancer Service of the served class with an ingress address is an entry
// (pool "" when the annotation is missing: the allocator finds the pool, or keeps the
// address stranded). Holds (addresses released by deleted Services, kept back for the
// hold-down) and the ledger revision have no Service to live on: they are in one
// ConfigMap (`ledger=` in the URI, default bgplb-ledger) in the datastore's namespace,
// data "revision" and "holds" (JSON array), replaced with resourceVersion preconditions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "model/ledger.hpp"
#include "store/backend.hpp"

namespace store::kubernetes {

inline constexpr std::string_view since_annotation = "bgplb.io/allocated-since";

// What the ledger and the writer read of one Service, straight from its JSON (a Service
// whose spec the model refuses still holds its addresses).
struct service_facts {
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;
  std::string type;
  std::optional<std::string> load_balancer_class;
  std::vector<model::ip_address> ingress;  // unparsable entries skipped
  std::optional<std::string> pool;         // the annotation
  std::optional<std::string> since;        // the annotation, as written
};
service_facts read_service(const boost::json::object& item);

// The ConfigMap's data key: a ledger in the state directory's format (store/state_dir.hpp)
// whose allocations are empty; only its revision and holds count.
inline constexpr std::string_view holds_key = "ledger.json";
// The revision and holds in a ConfigMap read from the API; errors name
// "ConfigMap NS/NAME data[ledger.json]", the field path and the rule.
ledger_read decode_holds(const std::string& object, const boost::json::object& config_map);
// The ConfigMap with the revision and holds of `l` (metadata.resourceVersion set when
// non-empty; a new ConfigMap otherwise).
std::string encode_holds(std::string_view ns, std::string_view name, const model::ledger& l,
                         std::string_view resource_version);

// The ledger: an entry per Service of the served class with addresses, in name order.
model::ledger make_ledger(const std::vector<service_facts>& services, const std::optional<std::string>& load_balancer_class,
                          const model::ledger& holds);

// Merge patches (RFC 7386), with metadata.resourceVersion as precondition: the status
// subresource's ingress (empty: cleared), and the ledger annotations (nullopt: removed).
std::string status_patch(const std::vector<model::ip_address>& ingress, std::string_view resource_version);
std::string annotation_patch(const std::optional<std::string>& pool, const std::optional<std::string>& since,
                             std::string_view resource_version);

}  // namespace store::kubernetes
