// What the node's dataplane should do: services (frontends -> backends) with their
// Kubernetes options. A value: the node's service builds it from a snapshot (a pure
// function), the reconciler makes the maps match it. Nothing here knows Kubernetes
// objects; the words are Kubernetes' so the mapping is obvious.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/address.hpp"

namespace dataplane {

enum class protocol : std::uint8_t { tcp = 6, udp = 17 };

// externalTrafficPolicy (or internalTrafficPolicy for a ClusterIP reached from outside).
enum class traffic_policy : std::uint8_t {
  cluster,  // every backend, on any node; every node builds the same Maglev row
  local,    // only backends on this node (backend::node empty)
};

// An address and port a client sends to: a LoadBalancer ingress IP, an externalIP, a
// ClusterIP, or one of this node's addresses with the NodePort.
struct frontend {
  address addr;
  std::uint16_t port = 0;
  friend auto operator<=>(const frontend&, const frontend&) = default;
};

// An endpoint (address, targetPort). Give only serving endpoints.
struct backend {
  address addr;
  std::uint16_t port = 0;
  std::optional<address> node;  // empty: a pod on this node; else the node that hosts it
  bool terminating = false;     // serving but terminating: keeps its flows, takes no new one
                                // (unless no backend is ready, as kube-proxy does)
  friend bool operator==(const backend&, const backend&) = default;
};

struct service {
  std::string name;  // unique; shown in metrics and logs ("default/web:http/TCP")
  protocol proto = protocol::tcp;
  std::vector<frontend> frontends;  // all of one family, the backends' family
  std::vector<backend> backends;
  traffic_policy policy = traffic_policy::cluster;
  std::optional<std::uint32_t> affinity_timeout;  // seconds: sessionAffinity ClientIP
  std::vector<prefix> source_ranges;              // loadBalancerSourceRanges; empty: any
  friend bool operator==(const service&, const service&) = default;
};

struct desired {
  std::vector<service> services;
  std::optional<address> node_v4;    // this node: source of IPv4 tunnel packets
  std::optional<address> node_v6;    // ... of IPv6 tunnel packets
  std::vector<address> tunnel_peers;  // the other nodes: tunnel packets are accepted from these
  std::uint32_t maglev_size = 65537;  // prime; every node of the cluster must use the same
  std::uint16_t tunnel_port = 6080;   // UDP port of the GUE tunnel between nodes
  std::uint32_t tcp_timeout = 7440;   // seconds an idle TCP flow keeps its backend (RFC 5382 REQ-5)
  std::uint32_t udp_timeout = 300;    // seconds an idle UDP flow keeps its backend (RFC 4787 REQ-5)
  friend bool operator==(const desired&, const desired&) = default;
};

}  // namespace dataplane
