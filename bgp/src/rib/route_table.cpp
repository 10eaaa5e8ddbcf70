// Interned route attributes and the compact prefix -> attributes table.
#include "rib/route_table.hpp"

#include <boost/container_hash/hash.hpp>

#include <cstring>

namespace bgp::rib {

std::size_t prefix_hash::operator()(const prefix& p) const noexcept {
  // Two 64-bit words of address (host bits are zero by construction), then length and
  // family, folded with multiply-xorshift.
  std::uint64_t lo = 0, hi = 0;
  std::memcpy(&lo, p.address.octets.data(), 8);
  std::memcpy(&hi, p.address.octets.data() + 8, 8);
  std::uint64_t h = lo * 0x9E3779B97F4A7C15ull;
  h ^= (hi + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2)) * 0xBF58476D1CE4E5B9ull;
  h ^= (std::uint64_t{p.length} << 40) ^ (std::uint64_t{static_cast<std::uint8_t>(p.address.family)} << 48);
  h ^= h >> 31;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 29;
  return static_cast<std::size_t>(h);
}

bool same_attributes(const route& x, const route& y) {
  return x.next_hop == y.next_hop && x.origin == y.origin && x.as_path == y.as_path &&
         x.communities == y.communities && x.large_communities == y.large_communities &&
         x.extended_communities == y.extended_communities && x.med == y.med && x.local_pref == y.local_pref;
}

namespace {

std::size_t hash_attributes(const route& r) {
  std::size_t h = 0;
  if (r.next_hop) {
    boost::hash_combine(h, static_cast<int>(r.next_hop->family));
    boost::hash_range(h, r.next_hop->octets.begin(), r.next_hop->octets.end());
  }
  boost::hash_combine(h, static_cast<int>(r.origin));
  boost::hash_range(h, r.as_path.begin(), r.as_path.end());
  boost::hash_combine(h, r.as_path.size());
  boost::hash_range(h, r.communities.begin(), r.communities.end());
  boost::hash_combine(h, r.communities.size());
  for (const auto& c : r.large_communities) {
    boost::hash_combine(h, c.global_admin);
    boost::hash_combine(h, c.local_data1);
    boost::hash_combine(h, c.local_data2);
  }
  boost::hash_range(h, r.extended_communities.begin(), r.extended_communities.end());
  boost::hash_combine(h, r.med.value_or(0) + (r.med ? 1ull << 32 : 0));
  boost::hash_combine(h, r.local_pref.value_or(0) + (r.local_pref ? 1ull << 32 : 0));
  return h;
}

}  // namespace

route_pool::id route_pool::acquire(const route& r) {
  if (last_ < slots_.size() && slots_[last_].refs > 0 && same_attributes(slots_[last_].attrs, r)) {
    ++slots_[last_].refs;
    return last_;
  }
  const std::size_t h = hash_attributes(r);
  for (auto [it, end] = index_.equal_range(h); it != end; ++it)
    if (same_attributes(slots_[it->second].attrs, r)) {
      ++slots_[it->second].refs;
      return last_ = it->second;
    }
  id i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = static_cast<id>(slots_.size());
    slots_.emplace_back();
  }
  slot& s = slots_[i];
  s.attrs = r;
  s.attrs.destination = prefix{};
  s.hash = h;
  s.refs = 1;
  index_.emplace(h, i);
  return last_ = i;
}

void route_pool::release(id i) {
  slot& s = slots_[i];
  if (--s.refs > 0) return;
  for (auto [it, end] = index_.equal_range(s.hash); it != end; ++it)
    if (it->second == i) {
      index_.erase(it);
      break;
    }
  s.attrs = route{};
  free_.push_back(i);
  ++generation_;
}

route_table::~route_table() {
  for (const auto& kv : map_) pool_->release(kv.second);
}

bool route_table::set(const route& r) {
  auto it = map_.find(r.destination);
  if (it != map_.end()) {
    if (same_attributes(pool_->get(it->second), r)) return false;
    const auto old = it->second;
    it->second = pool_->acquire(r);
    pool_->release(old);
    return true;
  }
  map_.emplace(r.destination, pool_->acquire(r));
  return true;
}

bool route_table::erase(const prefix& p) {
  auto it = map_.find(p);
  if (it == map_.end()) return false;
  pool_->release(it->second);
  map_.erase(it);
  return true;
}

}  // namespace bgp::rib
