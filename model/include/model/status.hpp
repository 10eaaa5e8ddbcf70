// What the controller reports back: per-service status (ingress IPs, pool, events) and
// per-pool usage, as MetalLB writes to Service status and IPAddressPool status. Kept in
// model so datastores can persist them without depending on the controller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ip.hpp"

namespace model {

struct event {
  std::string type;  // Normal | Warning
  std::string reason;
  std::string message;
  friend bool operator==(const event&, const event&) = default;
};

struct service_status {
  std::string ns;
  std::string name;
  std::vector<ip_address> ingress;  // status.loadBalancer.ingress
  std::string pool;                 // annotation metallb.io/ip-allocated-from-pool
  std::vector<event> events;
  friend bool operator==(const service_status&, const service_status&) = default;
};

struct pool_status {
  std::string name;
  std::int64_t assigned_ipv4 = 0;
  std::int64_t available_ipv4 = 0;
  std::int64_t assigned_ipv6 = 0;
  std::int64_t available_ipv6 = 0;
  std::int64_t stranded = 0;  // addresses in use by services but no longer in this pool
  friend bool operator==(const pool_status&, const pool_status&) = default;
};

}  // namespace model
