// Who uses which address: MetalLB's sharing rules (allocator checkSharing / sharingOK)
// and the search for the lowest address a service may take in a range, in O(log n)
// amortised per allocation (a per-range cursor skips the dense, used prefix). The state
// outlives one pass (controller::incremental_allocator), so every answer depends only on
// the current uses and holds, never on the order in which they came and went.
//
// Memory: an address with one user is one entry of a B-tree keyed by the address (about
// 10 bytes for IPv4); only services with a sharing key carry their keys and ports.
#pragma once

#include <absl/container/btree_map.h>

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/ip.hpp"

namespace controller::detail {

struct port_key {
  std::string protocol;
  std::int32_t port = 0;
  friend auto operator<=>(const port_key&, const port_key&) = default;
};

// What sharing needs to know about a service with a sharing key.
struct sharing {
  std::string sharing_key;  // metallb.io/allow-shared-ip
  std::string backend_key;  // selector string for externalTrafficPolicy Local, else ""
  std::vector<port_key> ports;
};

// A service's key as the allocator keeps it: "namespace\0name". It sorts like
// (namespace, name) with one comparison (no name contains NUL); holds are keyed by it too.
std::string service_key(std::string_view ns, std::string_view name);
// "namespace/name", for messages.
std::string display_name(std::string_view key);

class usage {
 public:
  // `names`: service_key() by service id, owned by the caller.
  explicit usage(const std::deque<std::string>& names) : names_(names) {}

  // The sharing keys of service `id` (nothing kept when it has no sharing key).
  void set_sharing(std::size_t id, sharing s);

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

  bool used(model::ip_address ip) const { return first_user(ip).has_value(); }
  // The services using `ip`, the first user first. They all have the same sharing and
  // backend keys (the sharing rules see to it), so the first one's stand for the address.
  std::vector<std::size_t> users(model::ip_address ip) const;
  // More than one service uses `ip` (users() without building the list).
  bool shared(model::ip_address ip) const { return more_.contains(ip); }

 private:
  std::optional<std::uint32_t> first_user(model::ip_address ip) const;
  const sharing* sharing_of(std::size_t id) const;
  void lower_cursor(model::ip_address ip);

  const std::deque<std::string>& names_;
  std::map<std::uint32_t, sharing> sharing_;  // services with a sharing key
  // address -> first user, by family; later users of a shared address in more_
  absl::btree_map<std::uint32_t, std::uint32_t> v4_;
  absl::btree_map<model::uint128, std::uint32_t> v6_;
  std::map<model::ip_address, std::vector<std::uint32_t>> more_;
  std::map<std::string, std::set<model::ip_address>, std::less<>> by_sharing_key_;

  // range first -> every address below is used, avoided or held (for anyone)
  std::map<model::ip_address, model::ip_address> cursor_;
  std::map<model::ip_address, std::string> holds_;
  std::map<std::string, std::set<model::ip_address>, std::less<>> holds_by_owner_;
};

std::string to_string(const port_key& p);  // "TCP/80"

}  // namespace controller::detail
