// Planning one service on one node, MetalLB's ShouldAnnounce order (reference
// metallb-semantics §3) for LoadBalancer addresses, Calico's /32 for Local services inside
// a configured service range. The planner's bookkeeping is in planner.cpp.
#include <algorithm>
#include <iterator>
#include <numeric>
#include <utility>

#include "context.hpp"

namespace speaker {

void merge_names(service_names& into, service_names more) {
  if (more.empty()) return;
  if (into.empty()) {
    into = std::move(more);
    return;
  }
  service_names out;
  out.reserve(into.size() + more.size());
  std::set_union(std::make_move_iterator(into.begin()), std::make_move_iterator(into.end()),
                 std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()), std::back_inserter(out));
  into = std::move(out);
}

namespace {

using detail::advert;
using detail::contribution;
constexpr std::string_view exclude_label = "node.kubernetes.io/exclude-from-external-load-balancers";

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
    inside(svc_.extra->external_ips, ctx_.external_ranges);
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

  contribution take() {
    const auto by_ip = [](const auto& a, const auto& b) { return a.ip < b.ip; };
    if (!std::is_sorted(out_.withheld.begin(), out_.withheld.end(), by_ip))
      std::stable_sort(out_.withheld.begin(), out_.withheld.end(), by_ip);
    if (std::is_sorted(out_.announced.begin(), out_.announced.end(), by_ip)) return std::move(out_);
    // Addresses in order; each route follows its address to its new place.
    std::vector<std::uint32_t> order(out_.announced.size()), place(order.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return by_ip(out_.announced[a], out_.announced[b]); });
    std::vector<announced_address> sorted;
    sorted.reserve(order.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) {
      place[order[i]] = i;
      sorted.push_back(std::move(out_.announced[order[i]]));
    }
    out_.announced = std::move(sorted);
    for (auto& r : out_.routes) r.address = place[r.address];
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

  // A route for the address announce() names next.
  void add(const std::string& peer, const model::cidr& prefix, const route_plan& attrs) {
    out_.routes.push_back({peer, prefix, attrs, static_cast<std::uint32_t>(out_.announced.size())});
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
  contribution out_;
};

contribution node_wide_routes(const planner::context& ctx) {
  contribution c;
  if (node_reason(ctx)) return c;
  for (const auto* ranges : {&ctx.cluster_ranges, &ctx.external_ranges, &ctx.lb_ranges})
    for (const auto& r : *ranges)
      for (const auto& p : ctx.peers)
        if (carries(p, r.range.family())) c.routes.push_back({p.name, r.range, r.attrs, 0});
  return c;
}

}  // namespace

contribution detail::plan_one(const planner::context& ctx, const model::snapshot& s, const model::assignments& ips,
                              const model::name_key& k) {
  if (k == node_wide) return node_wide_routes(ctx);
  const auto* svc = s.find<model::service>(k.ns, k.name);
  if (!svc) return {};
  service_planner sp(ctx, s, *svc);
  if (svc->type == "LoadBalancer")
    if (auto a = ips.find(k); a != ips.end()) sp.load_balancer(a->second);
  sp.calico();
  return sp.take();
}

node_plan plan(const model::snapshot& s, const model::assignments& ips, const std::string& node) {
  planner p(node);
  p.update_all(std::shared_ptr<const model::snapshot>(&s, [](const model::snapshot*) {}), ips);
  return p.current();
}

}  // namespace speaker
