// The planner's table of routes (route_book.hpp).
#include "route_book.hpp"

#include <algorithm>
#include <iterator>
#include <tuple>

namespace speaker::detail {

void merge(route_plan& into, const route_plan& from) {
  into.communities.insert(from.communities.begin(), from.communities.end());
  into.large_communities.insert(from.large_communities.begin(), from.large_communities.end());
  if (from.local_pref) into.local_pref = std::max(into.local_pref.value_or(0), *from.local_pref);
  if (from.link_bandwidth_endpoints)
    into.link_bandwidth_endpoints = into.link_bandwidth_endpoints.value_or(0) + *from.link_bandwidth_endpoints;
}

namespace {

route_book::key key_of(std::uint32_t peer, const model::cidr& prefix) {
  const auto v = prefix.network().value();
  return {peer, prefix.family(), static_cast<std::uint8_t>(prefix.prefix_length()), static_cast<std::uint64_t>(v >> 64),
          static_cast<std::uint64_t>(v), 0};
}

}  // namespace

model::cidr route_book::prefix_of(const key& k) {
  const auto ip = k.family == model::ip_family::v4
                      ? model::ip_address::v4(static_cast<std::uint32_t>(k.low))
                      : model::ip_address::v6((static_cast<model::uint128>(k.high) << 64) | k.low);
  return model::cidr(ip, k.length);
}

std::uint32_t route_book::intern(std::string_view peer) {
  auto it = std::find(peers_.begin(), peers_.end(), peer);
  if (it == peers_.end()) it = peers_.emplace(peers_.end(), peer);
  return static_cast<std::uint32_t>(it - peers_.begin());
}

route_book::handle route_book::add(std::string_view peer, const model::cidr& prefix, const route_plan& attrs, owner o) {
  auto k = key_of(intern(peer), prefix);
  dirty_.push_back(k);
  k.owner = reinterpret_cast<std::uintptr_t>(o);
  auto [it, fresh] = entries_.try_emplace(k, attrs);
  if (!fresh) merge(it->second, attrs);
  return it;
}

void route_book::remove(handle h) {
  auto k = h->first;
  k.owner = 0;
  dirty_.push_back(k);
  entries_.erase(h);
}

std::vector<route_change> route_book::flush() {
  // (peer name, prefix) order, as model::cidr sorts: family, address, length.
  std::vector<std::uint32_t> rank(peers_.size());
  for (std::uint32_t i = 0; i < rank.size(); ++i)
    rank[i] = static_cast<std::uint32_t>(std::count_if(peers_.begin(), peers_.end(), [&](const auto& p) { return p < peers_[i]; }));
  const auto order = [&](const key& k) { return std::tie(rank[k.peer], k.family, k.high, k.low, k.length); };
  std::sort(dirty_.begin(), dirty_.end(), [&](const key& a, const key& b) { return order(a) < order(b); });
  dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
  std::vector<route_change> out;
  out.reserve(dirty_.size());  // no doubling: at start this is every route
  for (const auto& k : dirty_) {
    std::optional<route_plan> now;
    for (auto it = entries_.lower_bound(k);
         it != entries_.end() && std::tie(it->first.peer, it->first.family, it->first.length, it->first.high, it->first.low) ==
                                     std::tie(k.peer, k.family, k.length, k.high, k.low);
         ++it) {
      if (!now) now.emplace(it->second);
      else merge(*now, it->second);
    }
    const auto& name = peers_[k.peer];
    const auto prefix = prefix_of(k);
    auto table = merged_.find(name);
    if (now) {
      if (table == merged_.end()) table = merged_.try_emplace(name).first;
      auto& routes = table->second;
      if (routes.empty() || std::prev(routes.end())->first < prefix) {  // at start, every key: no search
        routes.emplace_hint(routes.end(), prefix, *now);
        out.push_back({name, prefix, std::move(now)});
        continue;
      }
      auto [it, fresh] = routes.try_emplace(prefix, *now);
      if (!fresh) {
        if (it->second == *now) continue;
        it->second = *now;
      }
    } else {
      if (table == merged_.end() || !table->second.erase(prefix)) continue;
      if (table->second.empty()) merged_.erase(table);
    }
    out.push_back({name, prefix, std::move(now)});
  }
  dirty_.clear();
  dirty_.shrink_to_fit();
  return out;
}

}  // namespace speaker::detail
