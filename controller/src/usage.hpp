// Who uses which address: MetalLB's sharing rules (allocator checkSharing / sharingOK)
// and the search for the lowest address a service may take in a range, in O(log n)
// amortised per allocation (a per-range cursor skips the dense, used prefix). The state
// outlives one pass (controller::incremental_allocator), so every answer depends only on
// the current uses and holds, never on the order in which they came and went.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/ip.hpp"

namespace controller::detail {

struct port_key {
  std::string protocol;
  std::int32_t port = 0;
  friend auto operator<=>(const port_key&, const port_key&) = default;
};

// What sharing needs to know about one service.
struct sharer {
  std::string name;         // "namespace/name", for messages and holds
  std::string sharing_key;  // metallb.io/allow-shared-ip, "" = no sharing
  std::string backend_key;  // selector string for externalTrafficPolicy Local, else ""
  std::vector<port_key> ports;
};

class usage {
 public:
  explicit usage(const std::vector<sharer>& services) : services_(services) {}

  // Addresses held for deleted services: nobody else gets them automatically.
  void hold(model::ip_address ip, std::string owner);
  void unhold(model::ip_address ip);
  bool held_against(model::ip_address ip, std::size_t id) const;

  // "" when service `id` may use `ip`; otherwise the reason, in MetalLB's words.
  std::string check(std::size_t id, model::ip_address ip) const;
  void add(std::size_t id, model::ip_address ip);
  void remove(std::size_t id, model::ip_address ip);

  // Lowest address of `r` that service `id` may take: free (not held for another, not an
  // avoided buggy address) or shareable.
  std::optional<model::ip_address> first_available(std::size_t id, const model::ip_range& r, bool avoid_buggy);

  // The users of one address. They all have the same sharing and backend keys (the
  // sharing rules see to it), so the first one's stand for the address.
  struct use {
    std::vector<std::size_t> services;
  };
  const std::map<model::ip_address, use>& all() const { return uses_; }

 private:
  const std::vector<sharer>& services_;
  std::map<model::ip_address, use> uses_;
  std::map<std::string, std::set<model::ip_address>> by_sharing_key_;
  void lower_cursor(model::ip_address ip);
  const sharer& keys_of(const use& u) const { return services_[u.services.front()]; }

  // range first -> every address below is used, avoided or held (for anyone)
  std::map<model::ip_address, model::ip_address> cursor_;
  std::map<model::ip_address, std::string> holds_;
  std::map<std::string, std::set<model::ip_address>> holds_by_owner_;
};

std::string to_string(const port_key& p);  // "TCP/80"

}  // namespace controller::detail
