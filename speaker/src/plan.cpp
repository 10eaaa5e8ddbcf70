// Planning one service on one node, MetalLB's ShouldAnnounce order (reference
// metallb-semantics §3) for LoadBalancer addresses, Calico's /32 for Local services inside
// a configured service range; and the planner's bookkeeping that merges every service's
// routes per (peer, prefix) so a change touches only the keys it contributed to.
#include <algorithm>

#include "context.hpp"

namespace speaker {

namespace {

using detail::advert;
constexpr std::string_view exclude_label = "node.kubernetes.io/exclude-from-external-load-balancers";
// The node-wide Calico ranges are kept under this key; no Service has an empty namespace.
const model::name_key node_wide{"", ""};

struct endpoint_counts {
  std::uint32_t local = 0, anywhere = 0;
};

// MetalLB: an endpoint counts with an address and (ready unset or true, or serving true),
// so a terminating endpoint that still serves keeps the route.
bool usable(const model::endpoint& e) {
  return !e.addresses.empty() && (!e.ready || *e.ready || (e.serving && *e.serving));
}

endpoint_counts count(const model::snapshot& s, const model::service& svc, const std::string& node) {
  endpoint_counts c;
  for (const auto* slice : s.slices_of(svc.meta.ns, svc.meta.name))
    for (const auto& e : slice->endpoints)
      if (usable(e)) {
        ++c.anywhere;
        if (e.node_name && *e.node_name == node) ++c.local;
      }
  return c;
}

bool any_selects(const std::vector<model::label_selector>& selectors, const model::label_map& labels) {
  return selectors.empty() ||
         std::any_of(selectors.begin(), selectors.end(), [&](const auto& s) { return s.matches(labels); });
}

void merge(route_plan& into, const route_plan& from) {
  into.communities.insert(from.communities.begin(), from.communities.end());
  into.large_communities.insert(from.large_communities.begin(), from.large_communities.end());
  if (from.local_pref) into.local_pref = std::max(into.local_pref.value_or(0), *from.local_pref);
  if (from.link_bandwidth_endpoints)
    into.link_bandwidth_endpoints = into.link_bandwidth_endpoints.value_or(0) + *from.link_bandwidth_endpoints;
}

// Rules 4 and 5, which hold for every address of every service on this node.
std::optional<std::string> node_reason(const planner::context& ctx) {
  if (ctx.node.network_unavailable) return "node " + ctx.node.name + " has condition NetworkUnavailable=True";
  if (ctx.node.excluded) return "node " + ctx.node.name + " is excluded by label " + std::string(exclude_label);
  return std::nullopt;
}

class service_planner {
 public:
  service_planner(const planner::context& ctx, const model::snapshot& s, const model::service& svc)
      : ctx_(ctx), svc_(svc), counts_(count(s, svc, ctx.node.name)) {}

  void load_balancer(const std::vector<model::ip_address>& ips) {
    for (const auto& ip : ips) {
      if (auto why = lb_reason(ip)) withhold(ip, *why);
    }
  }

  void calico() {
    if (!ctx_.calico || svc_.external_traffic_policy != model::traffic_policy::local) return;
    std::vector<model::ip_address> candidates;
    auto inside = [&](const std::vector<model::ip_address>& ips, const std::vector<detail::calico_range>& ranges) {
      for (const auto& ip : ips)
        if (std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) { return r.range.contains(ip); }))
          candidates.push_back(ip);
    };
    inside(svc_.cluster_ips, ctx_.cluster_ranges);
    inside(svc_.external_ips, ctx_.external_ranges);
    inside(svc_.ingress_ips, ctx_.lb_ranges);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (const auto& ip : candidates) {
      if (auto why = node_reason(ctx_)) withhold(ip, *why);
      else if (counts_.local == 0) withhold(ip, "no ready endpoint on node " + ctx_.node.name);
      else if (ctx_.peers.empty()) withhold(ip, "no BGPPeer selects node " + ctx_.node.name);
      else {
        const model::cidr host(ip, ip.bits());
        std::vector<std::string> peers;
        for (const auto& p : ctx_.peers) {
          if (!carries(p, ip.family())) continue;
          add(p.name, host, ctx_.calico_attrs(host));
          peers.push_back(p.name);
        }
        if (peers.empty()) withhold(ip, no_family_peer(ip));
        else announce(ip, std::move(peers));
      }
    }
  }

  planner::contribution take() {
    std::sort(out_.announced.begin(), out_.announced.end(), [](const auto& a, const auto& b) { return a.ip < b.ip; });
    std::sort(out_.withheld.begin(), out_.withheld.end(), [](const auto& a, const auto& b) { return a.ip < b.ip; });
    return std::move(out_);
  }

 private:
  // Why `ip` is not announced, or nothing when it was (routes added).
  std::optional<std::string> lb_reason(const model::ip_address& ip) {
    const auto* pool = ctx_.pool_for(ip);
    if (!pool) return "address " + ip.to_string() + " is in no IPAddressPool";
    std::vector<const advert*> owners, matching;
    for (const auto& a : pool->adverts)
      if (a.selects_node) owners.push_back(&a);
    // 1. notOwner
    if (owners.empty()) return "no BGPAdvertisement for pool " + pool->pool + " selects node " + ctx_.node.name;
    // 2. noMatchingAdvertisement
    for (const auto* a : owners)
      if (any_selects(a->service_selectors, svc_.meta.labels)) matching.push_back(a);
    if (matching.empty()) return "no BGPAdvertisement for pool " + pool->pool + " selects the service's labels";
    // 3. conflictingAdvertisements
    for (const auto* a : matching)
      for (const auto* b : matching)
        if (a->attrs.local_pref && b->attrs.local_pref && *a->attrs.local_pref < *b->attrs.local_pref)
          return "conflicting localPref: BGPAdvertisement " + a->name + " sets " + std::to_string(*a->attrs.local_pref) +
                 ", " + b->name + " sets " + std::to_string(*b->attrs.local_pref);
    // 4, 5. The node.
    if (auto why = node_reason(ctx_)) return why;
    // 6. Endpoints.
    if (svc_.external_traffic_policy == model::traffic_policy::local) {
      if (counts_.local == 0) return "no ready endpoint on node " + ctx_.node.name;
    } else if (counts_.anywhere == 0) {
      return std::string("no ready endpoint on any node");
    }
    std::vector<std::string> peers;
    bool named = false;  // some advertisement names a peer, whatever its family
    for (const auto* a : matching) {
      const model::cidr prefix(ip, ip.family() == model::ip_family::v4 ? a->length_v4 : a->length_v6);
      route_plan attrs = a->attrs;
      if (a->weighted && svc_.external_traffic_policy == model::traffic_policy::local)
        attrs.link_bandwidth_endpoints = counts_.local;
      for (const auto& p : a->peers) {
        named = true;
        // A session carries the family of its peer's address, both with dualStackAddressFamily.
        const auto* peer = ctx_.peer(p);
        if (!peer || !carries(*peer, ip.family())) continue;
        add(p, prefix, attrs);
        peers.push_back(p);
      }
    }
    if (!named) return "no BGPPeer of node " + ctx_.node.name + " is named by the pool's BGPAdvertisements";
    if (peers.empty()) return no_family_peer(ip);
    std::sort(peers.begin(), peers.end());
    peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
    announce(ip, std::move(peers));
    return std::nullopt;
  }

  std::string no_family_peer(const model::ip_address& ip) const {
    return "no BGPPeer of node " + ctx_.node.name + " carries " + (ip.family() == model::ip_family::v4 ? "IPv4" : "IPv6") +
           " (a session carries its peer address's family; dualStackAddressFamily: true carries both)";
  }

  void add(const std::string& peer, const model::cidr& prefix, const route_plan& attrs) {
    out_.routes.push_back({peer, {prefix, attrs}});
  }
  void announce(const model::ip_address& ip, std::vector<std::string> peers) {
    out_.announced.push_back({svc_.meta.ns, svc_.meta.name, ip, std::move(peers)});
  }
  void withhold(const model::ip_address& ip, std::string why) {
    out_.withheld.push_back({svc_.meta.ns, svc_.meta.name, ip, std::move(why)});
  }

  const planner::context& ctx_;
  const model::service& svc_;
  endpoint_counts counts_;
  planner::contribution out_;
};

planner::contribution node_wide_routes(const planner::context& ctx) {
  planner::contribution c;
  if (node_reason(ctx)) return c;
  for (const auto* ranges : {&ctx.cluster_ranges, &ctx.external_ranges, &ctx.lb_ranges})
    for (const auto& r : *ranges)
      for (const auto& p : ctx.peers)
        if (carries(p, r.range.family())) c.routes.push_back({p.name, {r.range, r.attrs}});
  return c;
}

}  // namespace

void planner::replan_service(const model::name_key& k, const context& ctx, const model::assignments& ips,
                             std::set<std::pair<std::string, model::cidr>>& dirty) {
  if (auto old = by_service_.find(k); old != by_service_.end()) {
    for (const auto& [peer, route] : old->second.routes) {
      const std::pair key{peer, route.first};
      auto c = contributors_.find(key);
      if (c != contributors_.end()) {
        c->second.erase(k);
        if (c->second.empty()) contributors_.erase(c);
      }
      dirty.insert(key);
    }
    by_service_.erase(old);
  }
  contribution c;
  if (k == node_wide) c = node_wide_routes(ctx);
  else if (const auto* svc = snapshot_->find<model::service>(k.ns, k.name)) {
    service_planner sp(ctx, *snapshot_, *svc);
    if (svc->type == "LoadBalancer")
      if (auto a = ips.find(k); a != ips.end()) sp.load_balancer(a->second);
    sp.calico();
    c = sp.take();
  }
  if (c.routes.empty() && c.announced.empty() && c.withheld.empty()) return;
  for (const auto& [peer, route] : c.routes) {
    const std::pair key{peer, route.first};
    auto [it, fresh] = contributors_[key].try_emplace(k, route.second);
    if (!fresh) merge(it->second, route.second);
    dirty.insert(key);
  }
  by_service_.emplace(k, std::move(c));
}

planner::delta planner::update_all(std::shared_ptr<const model::snapshot> s, const model::assignments& ips) {
  snapshot_ = std::move(s);
  auto ctx = make_context(*snapshot_, node_);
  const bool peers_changed = ctx->peers != peers_;
  peers_ = ctx->peers;
  errors_ = ctx->errors;
  std::vector<withheld_address> before;
  std::set<model::name_key> announced_before;
  for (const auto& [k, c] : by_service_) {
    before.insert(before.end(), c.withheld.begin(), c.withheld.end());
    if (!c.announced.empty()) announced_before.insert(announced_before.end(), k);
  }
  std::set<std::pair<std::string, model::cidr>> dirty;
  std::vector<model::name_key> keys;
  for (const auto& [k, c] : by_service_) keys.push_back(k);
  for (const auto& [k, svc] : snapshot_->all<model::service>()) keys.push_back(k);
  keys.push_back(node_wide);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const auto& k : keys) replan_service(k, *ctx, ips, dirty);
  ctx_ = std::move(ctx);
  return finish(dirty, std::move(before), announced_before, keys, true, peers_changed);
}

planner::delta planner::update(std::shared_ptr<const model::snapshot> s, const model::change_set& changes,
                               const model::assignments& ips, std::set<model::name_key> ips_changed) {
  if (!ctx_) return update_all(std::move(s), ips);
  std::set<model::name_key> touched = std::move(ips_changed);  // at start: every service, held once
  bool full = false;
  auto note = [&](const model::object_key& k, const model::snapshot& in) {
    switch (k.kind) {
      case model::kind::service: touched.insert({k.ns, k.name}); break;
      case model::kind::endpoint_slice:
        if (const auto* sl = in.find<model::endpoint_slice>(k.ns, k.name)) touched.insert({k.ns, sl->service_name});
        break;
      case model::kind::namespace_: break;  // nothing the speaker reads
      case model::kind::node:
      case model::kind::calico_node:
        if (k.name == node_) full = true;
        break;
      default: full = true;
    }
  };
  for (const auto* list : {&changes.added, &changes.modified})
    for (const auto& k : *list) note(k, *s);
  for (const auto* list : {&changes.modified, &changes.removed})
    for (const auto& k : *list) note(k, *snapshot_);
  if (full) return update_all(std::move(s), ips);

  snapshot_ = std::move(s);
  std::vector<withheld_address> before;
  std::set<model::name_key> announced_before;
  for (const auto& k : touched)
    if (auto c = by_service_.find(k); c != by_service_.end()) {
      before.insert(before.end(), c->second.withheld.begin(), c->second.withheld.end());
      if (!c->second.announced.empty()) announced_before.insert(k);
    }
  std::set<std::pair<std::string, model::cidr>> dirty;
  for (const auto& k : touched) replan_service(k, *ctx_, ips, dirty);
  return finish(dirty, std::move(before), announced_before, {touched.begin(), touched.end()}, false, false);
}

planner::delta planner::finish(std::set<std::pair<std::string, model::cidr>>& dirty, std::vector<withheld_address> before,
                               const std::set<model::name_key>& announced_before,
                               const std::vector<model::name_key>& keys, bool full, bool peers_changed) {
  delta d;
  d.full = full;
  d.peers_changed = peers_changed;
  d.routes.reserve(dirty.size());  // no doubling: at start this is every route
  for (const auto& key : dirty) {
    std::optional<route_plan> now;
    if (auto c = contributors_.find(key); c != contributors_.end()) {
      now.emplace();
      for (const auto& [svc, attrs] : c->second) merge(*now, attrs);
    }
    auto& table = merged_[key.first];
    auto it = table.find(key.second);
    if (now) {
      if (it != table.end() && it->second == *now) continue;
      table[key.second] = *now;
    } else {
      if (it == table.end()) continue;
      table.erase(it);
    }
    if (table.empty()) merged_.erase(key.first);
    d.routes.push_back({key.first, key.second, std::move(now)});
  }
  std::sort(before.begin(), before.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ns, a.name, a.ip, a.reason) < std::tie(b.ns, b.name, b.ip, b.reason);
  });
  for (const auto& k : keys) {
    auto c = by_service_.find(k);
    if (c == by_service_.end()) continue;
    if (!c->second.announced.empty() && !announced_before.count(k)) d.started_announcing.push_back(k);
    for (const auto& w : c->second.withheld) {
      auto it = std::lower_bound(before.begin(), before.end(), w, [](const auto& a, const auto& b) {
        return std::tie(a.ns, a.name, a.ip, a.reason) < std::tie(b.ns, b.name, b.ip, b.reason);
      });
      if (it == before.end() || !(*it == w)) d.newly_withheld.push_back(w);
    }
  }
  return d;
}

node_plan planner::current() const {
  node_plan p;
  p.peers = peers_;
  p.routes = merged_;
  p.errors = errors_;
  for (const auto& [k, c] : by_service_) {
    p.announced.insert(p.announced.end(), c.announced.begin(), c.announced.end());
    p.withheld.insert(p.withheld.end(), c.withheld.begin(), c.withheld.end());
  }
  return p;
}

std::vector<model::name_key> planner::announcing() const {
  std::vector<model::name_key> out;
  for (const auto& [k, c] : by_service_) {
    if (!c.announced.empty()) out.push_back(k);
  }
  return out;
}

node_plan plan(const model::snapshot& s, const model::assignments& ips, const std::string& node) {
  planner p(node);
  p.update_all(std::shared_ptr<const model::snapshot>(&s, [](const model::snapshot*) {}), ips);
  return p.current();
}

}  // namespace speaker
