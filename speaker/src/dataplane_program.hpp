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
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/desired.hpp"
#include "dataplane/reconciler.hpp"
#include "model/snapshot.hpp"
#include "model/assignments.hpp"

namespace speaker {

struct dataplane_options {
  std::uint32_t maglev_size = 65537;
  std::uint16_t tunnel_port = 6080;
};

struct dataplane_program {
  dataplane::desired desired;
  std::vector<dataplane::skipped_service> skipped;  // not expressible (SCTP, ...), with the reason
};

dataplane_program program_dataplane(const model::snapshot& s, const model::assignments& ips, const std::string& node,
                                    const dataplane_options& o = {});

}  // namespace speaker
