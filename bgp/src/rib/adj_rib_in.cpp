// What a peer sent us, held only when asked for.
#include "rib/adj_rib_in.hpp"

namespace bgp::rib {

void adj_rib_in::keep(bool on) {
  keep_ = on;
  if (!on) routes_.clear();
}

void adj_rib_in::remove(const std::vector<nlri>& routes, family f) {
  const auto t = routes_.find(f);
  if (t == routes_.end()) return;
  for (const auto& n : routes) t->second.erase(n);
}

// `next_hops`: MP_REACH_NLRI's for its routes (then NEXT_HOP is not theirs), or null.
void adj_rib_in::add(const std::vector<nlri>& routes, family f, const update_message& u,
                     const std::vector<ip_address>* next_hops) {
  if (routes.empty()) return;
  path p{u.attrs, {}};
  if (next_hops) {
    p.attrs.next_hop.reset();
    p.next_hops = *next_hops;
  } else if (u.attrs.next_hop) {
    p.next_hops = {*u.attrs.next_hop};
  }
  const auto shared = std::make_shared<const path>(std::move(p));
  auto& t = routes_[f];
  for (const auto& n : routes) t.insert_or_assign(n, shared);
}

void adj_rib_in::apply(const update_message& u, bool treat_as_withdraw) {
  if (!keep_) return;
  remove(u.withdrawn, ipv4_unicast);
  if (u.unreach) remove(u.unreach->routes, u.unreach->fam);
  if (treat_as_withdraw) {
    remove(u.routes, ipv4_unicast);
    if (u.reach) remove(u.reach->routes, u.reach->fam);
    return;
  }
  add(u.routes, ipv4_unicast, u, nullptr);
  if (u.reach) add(u.reach->routes, u.reach->fam, u, &u.reach->next_hops);
}

std::size_t adj_rib_in::size(family f) const {
  const auto t = routes_.find(f);
  return t == routes_.end() ? 0 : t->second.size();
}

std::size_t adj_rib_in::size() const {
  std::size_t n = 0;
  for (const auto& [f, t] : routes_) n += t.size();
  return n;
}

std::vector<std::pair<family, std::uint64_t>> adj_rib_in::sizes() const {
  std::vector<std::pair<family, std::uint64_t>> out;
  for (const auto& [f, t] : routes_) out.emplace_back(f, t.size());
  return out;
}

}  // namespace bgp::rib
