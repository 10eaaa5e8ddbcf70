// The routes a speaker originates, stored compactly: each prefix maps to the id of an
// interned attribute set (a `route` whose destination is unset), so 100,000 routes
// that share their attributes cost one flat hash-table slot each (24 octets) plus one
// copy of the attributes. One route_pool serves the speaker-wide table and every
// per-peer table of a speaker.
#pragma once

#include <bgp/route.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace bgp::rib {

struct prefix_hash {
  std::size_t operator()(const prefix& p) const noexcept;
};

// True when x and y differ at most in their destination.
bool same_attributes(const route& x, const route& y);

class route_pool {
 public:
  using id = std::uint32_t;
  // The id of r's attributes (r.destination is ignored), with one more reference.
  id acquire(const route& r);
  void acquire(id i) { ++slots_[i].refs; }
  void release(id i);
  // The attributes; destination unset.
  const route& get(id i) const { return slots_[i].attrs; }
  // Changes whenever an id is freed (and may later name other attributes): a cache
  // keyed by id must be dropped when this changes.
  std::uint64_t generation() const { return generation_; }
  std::size_t size() const { return slots_.size() - free_.size(); }

 private:
  struct slot {
    route attrs;
    std::size_t hash = 0;
    std::uint32_t refs = 0;
  };
  std::vector<slot> slots_;
  std::vector<id> free_;
  std::unordered_multimap<std::size_t, id> index_;
  std::uint64_t generation_ = 0;
  id last_ = 0;  // the most recently acquired id: bulk loads repeat it
};

class route_table {
 public:
  explicit route_table(route_pool& pool) : pool_(&pool) {}
  ~route_table();
  route_table(route_table&& o) noexcept : pool_(o.pool_), map_(std::move(o.map_)) { o.map_.clear(); }
  route_table& operator=(route_table&&) = delete;
  route_table(const route_table&) = delete;
  route_table& operator=(const route_table&) = delete;

  // Adds or replaces r; false when the table already held exactly r.
  bool set(const route& r);
  // False when p was not in the table.
  bool erase(const prefix& p);
  std::optional<route_pool::id> find(const prefix& p) const {
    auto it = map_.find(p);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  bool contains(const prefix& p) const { return map_.contains(p); }
  std::size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  // fn(const prefix&, route_pool::id) for every route; no particular order.
  template <class F>
  void for_each(F&& fn) const {
    for (const auto& kv : map_) fn(kv.first, kv.second);
  }

 private:
  route_pool* pool_;
  boost::unordered_flat_map<prefix, route_pool::id, prefix_hash> map_;
};

}  // namespace bgp::rib
