// The allocator's view of IPAddressPools: ranges, flags and the resolved serviceAllocation
// (namespaceSelectors turned into namespace names, as MetalLB does at config load), an
// address -> pool index, and pool sizes as MetalLB counts them.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "model/snapshot.hpp"

namespace controller::detail {

struct pool {
  std::string name;
  std::vector<model::ip_range> ranges;  // spec order
  bool auto_assign = true;
  bool avoid_buggy_ips = false;
  bool has_allocation = false;          // serviceAllocation present
  bool namespace_constrained = false;   // namespaces or namespaceSelectors given
  std::set<std::string> namespaces;
  std::vector<model::label_selector> service_selectors;
  std::int32_t priority = 0;

  // MetalLB isPoolCompatibleWithService.
  bool compatible(const model::service& s) const;
  // MetalLB pinnedPools membership: autoAssign, serviceAllocation set and compatible.
  bool pinned_for(const model::service& s) const;
  bool has_family(model::ip_family f) const;
  std::int64_t size(model::ip_family f) const;  // buggy addresses excluded when avoided
};

class pool_table {
 public:
  explicit pool_table(const model::snapshot& s);

  const std::vector<pool>& all() const { return pools_; }  // name order
  const pool* find(const std::string& name) const;
  // The pool an address belongs to (MetalLB poolFor: avoided buggy addresses belong to
  // none); nullptr when none.
  const pool* pool_of(model::ip_address a) const;
  // The pool holding all of `ips`, or nullptr when they are not all in one pool.
  const pool* pool_of(const std::vector<model::ip_address>& ips) const;

 private:
  struct span {
    model::ip_range range;
    std::size_t pool_index;
  };
  std::vector<pool> pools_;
  std::vector<span> spans_;  // sorted by first address
};

}  // namespace controller::detail
