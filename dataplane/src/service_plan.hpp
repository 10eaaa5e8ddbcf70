// What one service should look like in the maps, computed from its spec alone (pure):
// validation with the reasons a service is skipped, the backends that take new flows in
// canonical order, frontend keys and flags, source ranges.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "dataplane/abi.hpp"
#include "dataplane/desired.hpp"

namespace dataplane::detail {

struct planned_backend {
  std::string key;           // maglev::backend_key
  abi::backend_value value{};  // svc_id left 0: the reconciler knows it
};

struct service_plan {
  const service* spec = nullptr;
  std::vector<planned_backend> eligible;     // sorted by key
  std::vector<abi::frontend_key> frontends;  // sorted, distinct
  std::uint32_t frontend_flags = 0;          // FE_F_*
  std::uint32_t service_flags = 0;           // SVC_F_*
  std::uint32_t affinity_timeout = 0;
  std::vector<prefix> ranges;
};

// The plan, or why the service cannot be expressed.
std::variant<service_plan, std::string> plan_service(const service& s, std::uint32_t maglev_size);

abi::addr16 to_addr16(const address& a);
address from_addr16(const abi::addr16& a);
abi::frontend_key frontend_key(const frontend& f, protocol proto);
abi::range_key range_key(std::uint32_t svc_id, const prefix& p);
std::string describe(const abi::frontend_key& k);  // "192.0.2.1:80/tcp"

// Fingerprint of a row's inputs: size, then (key, backend id) in row order.
std::uint64_t row_hash(std::uint32_t size, const std::vector<planned_backend>& eligible,
                       const std::vector<std::uint32_t>& ids);

}  // namespace dataplane::detail
