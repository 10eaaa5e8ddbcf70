// Node-wide planning facts: which BGPPeers this node runs (MetalLB's here, Calico's in
// calico_peers.cpp), which advertisements apply to each pool and whether they select this
// node, community aliases resolved.
#include <algorithm>
#include <charconv>
#include <map>

#include "context.hpp"

namespace speaker {

namespace {

using namespace std::string_literals;

constexpr std::string_view exclude_label = "node.kubernetes.io/exclude-from-external-load-balancers";
constexpr std::string_view weighted_annotation = "bgplb.io/weighted-ecmp";

std::optional<std::uint32_t> number(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t b = 0;;) {
    const auto e = s.find(':', b);
    out.push_back(s.substr(b, e == std::string_view::npos ? e : e - b));
    if (e == std::string_view::npos) return out;
    b = e + 1;
  }
}

// "a:b" (16-bit halves), "large:a:b:c" (MetalLB) or "a:b:c" (Calico); false when neither.
bool add_community(std::string_view v, route_plan& r) {
  if (v.starts_with("large:")) v.remove_prefix(6);
  const auto parts = split(v);
  std::vector<std::uint32_t> n;
  for (auto p : parts) {
    auto x = number(p);
    if (!x) return false;
    n.push_back(*x);
  }
  if (n.size() == 2 && n[0] <= 0xFFFF && n[1] <= 0xFFFF) {
    r.communities.insert(n[0] << 16 | n[1]);
    return true;
  }
  if (n.size() == 3) {
    r.large_communities.insert({n[0], n[1], n[2]});
    return true;
  }
  return false;
}

void add_communities(const std::vector<std::string>& names, const std::map<std::string, std::string>& aliases,
                     route_plan& r) {
  for (const auto& c : names) {
    if (add_community(c, r)) continue;
    if (auto a = aliases.find(c); a != aliases.end()) add_community(a->second, r);
    // An undefined alias is a validation error reported with the snapshot's errors.
  }
}

bool any_selects(const std::vector<model::label_selector>& selectors, const model::label_map& labels) {
  if (selectors.empty()) return true;
  return std::any_of(selectors.begin(), selectors.end(), [&](const auto& s) { return s.matches(labels); });
}

detail::node_facts facts_of(const model::snapshot& s, const std::string& name) {
  detail::node_facts f;
  f.name = name;
  if (const auto* n = s.find<model::node>("", name)) {
    f.labels = n->meta.labels;
    for (const auto& c : n->conditions)
      if (c.type == "NetworkUnavailable" && c.status == "True") f.network_unavailable = true;
    for (const auto& a : n->addresses)
      if (a.type == "InternalIP")
        if (auto ip = model::ip_address::parse(a.address); ip && ip->family() == model::ip_family::v4 && !f.internal_ipv4)
          f.internal_ipv4 = ip;
  }
  // The kubelet sets this label on every node; without a Node object, match as it would.
  f.labels.try_emplace("kubernetes.io/hostname", name);
  f.excluded = f.labels.contains(std::string(exclude_label));
  return f;
}

model::error peer_error(const model::bgp_peer& p, std::string path, std::string rule) {
  return model::error{p.meta.file.str(), "BGPPeer " + p.meta.ns + "/" + p.meta.name, std::move(path), std::move(rule)};
}

// spec.bfdProfile: the BFDProfile of the BGPPeer's namespace, MetalLB's defaults where it
// sets nothing. An empty name asks for no BFD (as in MetalLB).
bfd_plan resolve_bfd(const model::bfd_profile& b) {
  bfd_plan out;
  out.profile = b.meta.name;
  bfd::profile& t = out.timers;
  t.receive_interval_ms = b.receive_interval.value_or(t.receive_interval_ms);
  t.transmit_interval_ms = b.transmit_interval.value_or(t.transmit_interval_ms);
  t.detect_multiplier = b.detect_multiplier.value_or(t.detect_multiplier);
  t.echo_interval_ms = b.echo_interval.value_or(t.echo_interval_ms);
  t.echo_mode = b.echo_mode.value_or(t.echo_mode);
  t.passive_mode = b.passive_mode.value_or(t.passive_mode);
  t.minimum_ttl = b.minimum_ttl.value_or(t.minimum_ttl);
  return out;
}

std::optional<peer_plan> plan_peer(const model::snapshot& s, const model::bgp_peer& p, const detail::node_facts& node,
                                   std::vector<model::error>& errors) {
  peer_plan out;
  out.name = p.meta.name;
  out.my_asn = p.local_asn.value_or(p.my_asn);
  if (p.peer_asn) out.peer_asn = *p.peer_asn;
  else if (p.dynamic_asn && *p.dynamic_asn == "internal") out.peer_asn = out.my_asn;
  else {
    errors.push_back(peer_error(p, "spec.dynamicASN", "dynamicASN \"external\" is not supported by the bgplb speaker yet; set spec.peerASN"));
    return std::nullopt;
  }
  if (!p.peer_address) {
    errors.push_back(peer_error(p, "spec.interface", "BGP unnumbered (spec.interface) is not supported by the bgplb speaker yet; set spec.peerAddress"));
    return std::nullopt;
  }
  if (p.vrf && !p.vrf->empty()) {
    errors.push_back(peer_error(p, "spec.vrf", "VRFs are not supported by the bgplb speaker yet"));
    return std::nullopt;
  }
  out.address = *p.peer_address;
  out.port = p.peer_port;
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  // MetalLB: when only one of holdTime/keepaliveTime is set, the other is derived.
  if (p.hold_time) out.hold_time = duration_cast<seconds>(*p.hold_time);
  else if (p.keepalive_time) out.hold_time = duration_cast<seconds>(*p.keepalive_time) * 3;
  if (p.keepalive_time) out.keepalive = duration_cast<seconds>(*p.keepalive_time);
  if (p.connect_time) out.connect_time = duration_cast<seconds>(*p.connect_time);
  out.source_address = p.source_address;
  out.router_id = p.router_id ? p.router_id : node.internal_ipv4;
  out.ebgp_multihop = p.ebgp_multihop;
  out.graceful_restart = p.enable_graceful_restart;
  out.dual_stack = p.dual_stack_address_family;
  if (p.password) out.password = *p.password;
  else if (p.password_secret) {
    const std::string ns = p.password_secret->ns.empty() ? p.meta.ns : p.password_secret->ns;
    const auto* sec = s.find<model::secret>(ns, p.password_secret->name);
    if (!sec) {
      errors.push_back(peer_error(p, "spec.passwordSecret", "secret " + ns + "/" + p.password_secret->name + " not found"));
      return std::nullopt;
    }
    auto pw = sec->data.find("password");
    if (pw == sec->data.end()) {
      errors.push_back(peer_error(p, "spec.passwordSecret", "secret " + ns + "/" + p.password_secret->name + " has no key \"password\""));
      return std::nullopt;
    }
    out.password = pw->second;
  }
  if (p.bfd_profile && !p.bfd_profile->empty()) {
    const auto* b = s.find<model::bfd_profile>(p.meta.ns, *p.bfd_profile);
    if (!b) {
      errors.push_back(peer_error(p, "spec.bfdProfile", "BFDProfile " + p.meta.ns + "/" + *p.bfd_profile + " not found"));
      return std::nullopt;
    }
    out.bfd = resolve_bfd(*b);
  }
  return out;
}

}  // namespace

const detail::pool_adverts* planner::context::pool_for(const model::ip_address& a) const {
  for (const auto& p : pools)
    for (const auto& r : p.ranges)
      if (r.contains(a)) return &p;
  return nullptr;
}

const peer_plan* planner::context::peer(const std::string& name) const {
  auto it = std::lower_bound(peers.begin(), peers.end(), name, [](const peer_plan& p, const std::string& n) { return p.name < n; });
  return it != peers.end() && it->name == name ? &*it : nullptr;
}

route_plan planner::context::calico_attrs(const model::cidr& c) const {
  route_plan r;
  for (const auto& [range, attrs] : prefix_attrs)
    if (range.family() == c.family() && range.prefix_length() <= c.prefix_length() && range.contains(c.network())) {
      r.communities.insert(attrs.communities.begin(), attrs.communities.end());
      r.large_communities.insert(attrs.large_communities.begin(), attrs.large_communities.end());
    }
  return r;
}

std::shared_ptr<const planner::context> make_context(const model::snapshot& s, const std::string& node) {
  auto ctx = std::make_shared<planner::context>();
  ctx->node = facts_of(s, node);
  detail::add_calico_facts(s, ctx->node, ctx->errors);

  for (const auto& [key, p] : s.all<model::bgp_peer>()) {
    if (!any_selects(p.node_selectors, ctx->node.labels)) continue;
    if (auto pp = plan_peer(s, p, ctx->node, ctx->errors)) ctx->peers.push_back(std::move(*pp));
  }
  detail::add_calico_peers(s, ctx->node, ctx->peers, ctx->errors);
  std::sort(ctx->peers.begin(), ctx->peers.end(), [](const auto& a, const auto& b) { return a.name < b.name; });

  std::map<std::string, std::string> aliases;
  for (const auto& [key, c] : s.all<model::community>())
    for (const auto& a : c.communities) aliases.try_emplace(a.name, a.value);

  std::map<std::string, const model::ip_address_pool*> pools;
  for (const auto& [key, p] : s.all<model::ip_address_pool>()) pools.try_emplace(p.meta.name, &p);
  for (const auto& entry : pools) {
    const auto& name = entry.first;
    const model::ip_address_pool* pool = entry.second;
    detail::pool_adverts pa;
    pa.pool = name;
    pa.ranges = pool->ranges;
    std::map<std::string, const model::bgp_advertisement*> adverts;
    for (const auto& [key, a] : s.all<model::bgp_advertisement>()) adverts.try_emplace(a.meta.name, &a);
    for (const auto& [aname, a] : adverts) {
      // MetalLB: an advertisement that names no pool and selects none applies to all.
      const bool all = a->ip_address_pools.empty() && a->ip_address_pool_selectors.empty();
      const bool named = std::find(a->ip_address_pools.begin(), a->ip_address_pools.end(), name) != a->ip_address_pools.end();
      const bool selected = std::any_of(a->ip_address_pool_selectors.begin(), a->ip_address_pool_selectors.end(),
                                        [&](const auto& sel) { return sel.matches(pool->meta.labels); });
      if (!all && !named && !selected) continue;
      detail::advert ad;
      ad.name = aname;
      ad.service_selectors = a->service_selectors;
      ad.selects_node = any_selects(a->node_selectors, ctx->node.labels);
      add_communities(a->communities, aliases, ad.attrs);
      ad.attrs.local_pref = a->local_pref;
      ad.length_v4 = static_cast<unsigned>(a->aggregation_length.value_or(32));
      ad.length_v6 = static_cast<unsigned>(a->aggregation_length_v6.value_or(128));
      if (auto w = a->meta.annotations.find(std::string(weighted_annotation)); w != a->meta.annotations.end())
        ad.weighted = w->second == "true";
      for (const auto& p : ctx->peers)
        if (a->peers.empty() || std::find(a->peers.begin(), a->peers.end(), p.name) != a->peers.end())
          ad.peers.push_back(p.name);
      pa.adverts.push_back(std::move(ad));
    }
    ctx->pools.push_back(std::move(pa));
  }

  // Calico: the BGPConfiguration named "default" is the cluster-wide one.
  if (const auto* c = s.find<model::bgp_configuration>("", "default")) {
    ctx->calico = true;
    std::map<std::string, std::string> calico_aliases;
    for (const auto& a : c->communities) calico_aliases.try_emplace(a.name, a.value);
    for (const auto& pa : c->prefix_advertisements) {
      route_plan r;
      add_communities(pa.communities, calico_aliases, r);
      ctx->prefix_attrs.emplace_back(pa.prefix, std::move(r));
    }
    auto ranges = [&](const std::vector<model::cidr>& in, std::vector<detail::calico_range>& out) {
      for (const auto& c2 : in) out.push_back({c2, ctx->calico_attrs(c2)});
    };
    ranges(c->service_cluster_ips, ctx->cluster_ranges);
    ranges(c->service_external_ips, ctx->external_ranges);
    ranges(c->service_load_balancer_ips, ctx->lb_ranges);
  }
  return ctx;
}

}  // namespace speaker
