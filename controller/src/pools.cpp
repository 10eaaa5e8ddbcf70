// Compiling IPAddressPools for the allocator (see pools.hpp).
#include "pools.hpp"

#include <algorithm>
#include <limits>

namespace controller::detail {

namespace {

// Number of x.y.z.0 and x.y.z.255 addresses in an IPv4 range.
std::int64_t buggy_in(const model::ip_range& r) {
  const auto first = static_cast<std::int64_t>(r.first().value());
  const auto last = static_cast<std::int64_t>(r.last().value());
  auto count_ending = [&](std::int64_t octet) {
    // values v in [first, last] with v % 256 == octet
    auto upto = [&](std::int64_t x) { return x < octet ? 0 : (x - octet) / 256 + 1; };
    return upto(last) - (first == 0 ? 0 : upto(first - 1));
  };
  return count_ending(0) + count_ending(255);
}

}  // namespace

bool pool::compatible(const model::service& s) const {
  if (!has_allocation) return true;
  if (namespace_constrained && !namespaces.contains(s.meta.ns)) return false;
  if (!service_selectors.empty()) {
    return std::any_of(service_selectors.begin(), service_selectors.end(),
                       [&](const model::label_selector& sel) { return sel.matches(s.meta.labels); });
  }
  return true;
}

bool pool::pinned_for(const model::service& s) const {
  return has_allocation && auto_assign && compatible(s);
}

bool pool::has_family(model::ip_family f) const {
  return std::any_of(ranges.begin(), ranges.end(), [&](const model::ip_range& r) { return r.family() == f; });
}

std::int64_t pool::size(model::ip_family f) const {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  for (const auto& r : ranges) {
    if (r.family() != f) continue;
    std::int64_t n = r.size();
    if (avoid_buggy_ips && f == model::ip_family::v4) n -= buggy_in(r);
    total = n > max - total ? max : total + n;
  }
  return total;
}

pool_table::pool_table(const model::snapshot& s) {
  for (const auto& [key, p] : s.all<model::ip_address_pool>()) {
    pool c;
    c.name = key.name;
    c.ranges = p.ranges;
    c.auto_assign = p.auto_assign;
    c.avoid_buggy_ips = p.avoid_buggy_ips;
    if (p.allocation) {
      const auto& a = *p.allocation;
      c.has_allocation = true;
      c.priority = a.priority.value_or(0);
      c.service_selectors = a.service_selectors;
      c.namespace_constrained = !a.namespaces.empty() || !a.namespace_selectors.empty();
      c.namespaces.insert(a.namespaces.begin(), a.namespaces.end());
      for (const auto& sel : a.namespace_selectors) {
        for (const auto& [nk, ns] : s.all<model::namespace_object>()) {
          if (sel.matches(ns.meta.labels)) c.namespaces.insert(std::string(nk.name));
        }
      }
    }
    for (const auto& r : c.ranges) spans_.push_back({r, pools_.size()});
    pools_.push_back(std::move(c));
  }
  std::sort(spans_.begin(), spans_.end(), [](const span& a, const span& b) { return a.range.first() < b.range.first(); });
}

const pool* pool_table::find(const std::string& name) const {
  auto it = std::lower_bound(pools_.begin(), pools_.end(), name, [](const pool& p, const std::string& n) { return p.name < n; });
  return it != pools_.end() && it->name == name ? &*it : nullptr;
}

const pool* pool_table::pool_of(model::ip_address a) const {
  auto it = std::upper_bound(spans_.begin(), spans_.end(), a, [](model::ip_address x, const span& s) { return x < s.range.first(); });
  if (it == spans_.begin()) return nullptr;
  --it;
  if (!it->range.contains(a)) return nullptr;
  const pool& p = pools_[it->pool_index];
  if (p.avoid_buggy_ips && model::is_buggy_firmware_address(a)) return nullptr;
  return &p;
}

const pool* pool_table::pool_of(const std::vector<model::ip_address>& ips) const {
  const pool* found = nullptr;
  for (const auto& ip : ips) {
    const pool* p = pool_of(ip);
    if (p == nullptr || (found != nullptr && p != found)) return nullptr;
    found = p;
  }
  return found;
}

}  // namespace controller::detail
