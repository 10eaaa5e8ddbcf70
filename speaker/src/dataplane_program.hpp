// What this node's eBPF dataplane should hold, as a pure function of the snapshot and
// the controller's assignments: the translation from Kubernetes objects to
// dataplane::desired lives here, in the node's service, not in the dataplane library.
//
// Per Service port and address family: the frontends (assigned LoadBalancer IPs and
// externalIPs under externalTrafficPolicy; ClusterIPs inside Calico's advertised
// serviceClusterIPs, always under Cluster), the serving
// endpoints of the EndpointSlices (targetPort resolved by port name), each either on
// this node or behind its node's InternalIP. Every node derives the same backend set for
// a Cluster service, which is what keeps a flow on its backend when the rack moves it.
//
// The program is computed per Service: a Service's share reads the Service, its
// EndpointSlices, its assigned addresses and the program's inputs (every node's
// addresses, Calico's advertised ClusterIP ranges). A change that leaves the inputs as
// they were reprograms only the Services it touched (services_touched).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/desired.hpp"
#include "dataplane/reconciler.hpp"
#include "model/snapshot.hpp"
#include "model/assignments.hpp"
#include "speaker/plan.hpp"

namespace speaker {

struct dataplane_options {
  std::uint32_t maglev_size = 65537;
  std::uint16_t tunnel_port = 6080;
  friend bool operator==(const dataplane_options&, const dataplane_options&) = default;
};

struct dataplane_program {
  dataplane::desired desired;
  std::vector<dataplane::skipped_service> skipped;  // not expressible (SCTP, ...), with the reason
};

// What every Service's program reads besides its own objects. Equal inputs: a Service
// nobody touched programs as it did before.
struct program_inputs {
  struct node_addresses {
    std::optional<dataplane::address> v4, v6;  // InternalIP first, then ExternalIP
    friend bool operator==(const node_addresses&, const node_addresses&) = default;
  };
  std::string node;
  dataplane_options options;
  std::map<std::string, node_addresses> nodes;  // every Node by name
  std::vector<model::cidr> cluster_ranges;      // BGPConfiguration "default" spec.serviceClusterIPs
  friend bool operator==(const program_inputs&, const program_inputs&) = default;
};
program_inputs program_inputs_of(const model::snapshot& s, const std::string& node, const dataplane_options& o = {});

// The program without services: this node's addresses, the tunnel peers, the options.
dataplane::desired program_settings(const program_inputs& in);

// One Service's share: its dataplane services (named "<ns>/<name>:<port>/<proto>/<family>...")
// and the ports it cannot express.
//
// A dataplane service's name begins with its Service's prefix, "<ns>/<name>:", and no other
// Service's: a namespace (RFC 1123 label) and a Service name (DNS-1035 label) hold neither
// '/' nor ':', which model::decode checks. The driver finds a Service's share in the maps by
// that prefix, and a name's Service by owner_of.
std::string service_prefix(const model::name_key& key);
std::optional<model::name_key> owner_of(std::string_view dataplane_name);

dataplane_program program_service(const program_inputs& in, const model::snapshot& s, const model::name_key& key,
                                  const model::service& svc, const model::assignments& ips);

// Everything: the settings and every Service's share.
dataplane_program program_dataplane(const model::snapshot& s, const model::assignments& ips, const std::string& node,
                                    const dataplane_options& o = {});

// The Services whose share may differ between `before` and `after`: those added, changed
// or removed, those whose EndpointSlices changed (the Service a slice names before and
// after), and those whose assigned addresses moved.
// `moved` is in name order, each once (store::change::moved).
service_names services_touched(const model::snapshot& before, const model::snapshot& after,
                               const model::change_set& changes, const std::vector<model::name_key>& moved);

}  // namespace speaker
