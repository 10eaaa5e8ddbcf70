// program_dataplane: Services, EndpointSlices and Nodes -> dataplane::desired.
#include "dataplane_program.hpp"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <map>
#include <optional>

namespace speaker {

namespace {

std::optional<dataplane::address> to_dp(const model::ip_address& a) { return dataplane::address::parse(a.to_string()); }

// The address other nodes reach `n` at, for one family: InternalIP first, then ExternalIP.
std::optional<dataplane::address> node_address(const model::node& n, model::ip_family f) {
  for (const char* type : {"InternalIP", "ExternalIP"})
    for (const auto& a : n.addresses) {
      if (a.type != type) continue;
      auto ip = model::ip_address::parse(a.address);
      if (ip && ip->family() == f) return to_dp(*ip);
    }
  return std::nullopt;
}

// KEP-1669: serving defaults to ready; a serving endpoint that is not ready takes no new
// flow while a ready one exists.
struct endpoint_state {
  bool serving = false;
  bool ready = false;
};

endpoint_state state_of(const model::endpoint& e) {
  const bool ready = e.ready.value_or(true) && !e.terminating.value_or(false);
  return {e.serving.value_or(e.ready.value_or(true)), ready};
}

std::string family_tag(model::ip_family f) { return f == model::ip_family::v4 ? "v4" : "v6"; }

}  // namespace

std::string service_prefix(const model::name_key& key) { return key.ns + "/" + key.name + ":"; }

std::optional<model::name_key> owner_of(std::string_view dataplane_name) {
  const auto slash = dataplane_name.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto colon = dataplane_name.find(':', slash + 1);
  if (colon == std::string_view::npos) return std::nullopt;
  return model::name_key{std::string(dataplane_name.substr(0, slash)),
                         std::string(dataplane_name.substr(slash + 1, colon - slash - 1))};
}

program_inputs program_inputs_of(const model::snapshot& s, const std::string& node, const dataplane_options& o) {
  program_inputs in;
  in.node = node;
  in.options = o;
  for (const auto& [key, n] : s.all<model::node>())
    in.nodes[std::string(key.name)] = {node_address(n, model::ip_family::v4), node_address(n, model::ip_family::v6)};
  // A ClusterIP is reached from outside only where Calico advertises it (BGPConfiguration
  // "default" spec.serviceClusterIPs); elsewhere it stays kube-proxy's or the CNI's.
  if (const auto* c = s.find<model::bgp_configuration>("", "default")) in.cluster_ranges = c->service_cluster_ips;
  return in;
}

dataplane::desired program_settings(const program_inputs& in) {
  dataplane::desired d;
  d.maglev_size = in.options.maglev_size;
  d.tunnel_port = in.options.tunnel_port;
  if (auto self = in.nodes.find(in.node); self != in.nodes.end()) {
    d.node_v4 = self->second.v4;
    d.node_v6 = self->second.v6;
  }
  for (const auto& [name, a] : in.nodes) {
    if (name == in.node) continue;
    if (a.v4) d.tunnel_peers.push_back(*a.v4);
    if (a.v6) d.tunnel_peers.push_back(*a.v6);
  }
  return d;
}

dataplane_program program_service(const program_inputs& in, const model::snapshot& s, const model::name_key& key,
                                  const model::service& svc, const model::assignments& ips) {
  dataplane_program out;
  auto advertised = [&](const model::ip_address& a) {
    return std::any_of(in.cluster_ranges.begin(), in.cluster_ranges.end(),
                       [&](const model::cidr& r) { return r.contains(a); });
  };
  const std::string prefix = service_prefix(key);
  std::vector<model::ip_address> assigned;
  if (auto it = ips.find(key); it != ips.end()) assigned = it->second;
  std::vector<model::ip_address> cluster_ips;
  std::copy_if(svc.cluster_ips.begin(), svc.cluster_ips.end(), std::back_inserter(cluster_ips), advertised);
  const bool node_ports = svc.type == "NodePort" || svc.type == "LoadBalancer";
  const auto self = in.nodes.find(in.node);
  const auto slices = s.slices_of(key.ns, key.name);
  for (const auto& port : svc.ports) {
    const std::string port_name = prefix + (port.name.empty() ? std::to_string(port.port) : port.name) + "/" + port.protocol;
    if (port.protocol != "TCP" && port.protocol != "UDP") {
      out.skipped.push_back({port_name, port.protocol + " is not supported by the dataplane"});
      continue;
    }
    for (auto family : {model::ip_family::v4, model::ip_family::v6}) {
      std::vector<dataplane::backend> backends;
      for (const auto* slice : slices) {
        if (slice->address_type != (family == model::ip_family::v4 ? "IPv4" : "IPv6")) continue;
        std::optional<std::int32_t> target;
        for (const auto& ep : slice->ports)
          if (ep.name.value_or("") == port.name && ep.protocol == port.protocol) target = ep.port;
        if (!target) continue;
        for (const auto& e : slice->endpoints) {
          const auto st = state_of(e);
          if (!st.serving || e.addresses.empty()) continue;
          auto addr = to_dp(e.addresses.front());
          if (!addr) continue;
          dataplane::backend b{*addr, static_cast<std::uint16_t>(*target), std::nullopt, !st.ready};
          if (e.node_name && *e.node_name != in.node) {
            auto n = in.nodes.find(*e.node_name);
            if (n == in.nodes.end()) continue;  // no address to tunnel to
            const auto& same = family == model::ip_family::v4 ? n->second.v4 : n->second.v6;
            const auto& other = family == model::ip_family::v4 ? n->second.v6 : n->second.v4;
            b.node = same ? same : other;
            if (!b.node) continue;
          }
          backends.push_back(b);
        }
      }
      auto frontends_of = [&](const std::vector<model::ip_address>& addrs) {
        std::vector<dataplane::frontend> fs;
        for (const auto& a : addrs)
          if (a.family() == family)
            if (auto dp = to_dp(a)) fs.push_back({*dp, static_cast<std::uint16_t>(port.port)});
        return fs;
      };
      auto distinct = [](std::vector<dataplane::frontend> a) {
        std::sort(a.begin(), a.end());
        a.erase(std::unique(a.begin(), a.end()), a.end());
        return a;
      };
      auto merge = [&](std::vector<dataplane::frontend> a, const std::vector<dataplane::frontend>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return distinct(std::move(a));
      };
      auto lb = distinct(frontends_of(assigned));
      auto ext = frontends_of(svc.extra->external_ips);
      // A NodePort on this node's own address of the family (kube-proxy serves every
      // node address; the ones the rack routes here are these).
      if (node_ports && port.node_port && self != in.nodes.end())
        if (const auto& a = family == model::ip_family::v4 ? self->second.v4 : self->second.v6)
          ext.push_back({*a, static_cast<std::uint16_t>(*port.node_port)});
      ext = distinct(std::move(ext));
      auto cluster = distinct(frontends_of(cluster_ips));
      const auto policy = svc.external_traffic_policy == model::traffic_policy::local ? dataplane::traffic_policy::local
                                                                                       : dataplane::traffic_policy::cluster;
      const std::string name = port_name + "/" + family_tag(family);
      auto add = [&](const std::string& suffix, std::vector<dataplane::frontend> fs, dataplane::traffic_policy p,
                     std::vector<dataplane::prefix> ranges = {}) {
        if (fs.empty()) return;
        dataplane::service ds;
        ds.name = name + suffix;
        ds.proto = port.protocol == "UDP" ? dataplane::protocol::udp : dataplane::protocol::tcp;
        ds.frontends = std::move(fs);
        ds.backends = backends;
        ds.policy = p;
        if (const auto t = svc.extra->session_affinity_timeout) ds.affinity_timeout = static_cast<std::uint32_t>(*t);
        ds.source_ranges = std::move(ranges);
        out.desired.services.push_back(std::move(ds));
      };
      // loadBalancerSourceRanges guard the LoadBalancer addresses only (as kube-proxy
      // does), so those get a service of their own; a family without a range of its own
      // admits no client there.
      if (!svc.extra->load_balancer_source_ranges.empty() && !lb.empty()) {
        std::vector<dataplane::prefix> ranges;
        for (const auto& r : svc.extra->load_balancer_source_ranges)
          if (r.family() == family)
            if (auto p = dataplane::prefix::parse(r.to_string())) ranges.push_back(*p);
        if (ranges.empty())
          out.skipped.push_back({name + "/load-balancer", "loadBalancerSourceRanges admit no " +
                                                              std::string(family == model::ip_family::v4 ? "IPv4" : "IPv6") +
                                                              " client"});
        else
          add("/load-balancer", lb, policy, std::move(ranges));
        lb.clear();
      }
      // externalTrafficPolicy governs external addresses; a ClusterIP reached from
      // outside (Calico's serviceClusterIPs) is Cluster. One service when both agree.
      if (policy == dataplane::traffic_policy::cluster) {
        add("", merge(merge(lb, ext), cluster), policy);
      } else {
        add("/external", merge(lb, ext), policy);
        add("/cluster-ip", cluster, dataplane::traffic_policy::cluster);
      }
    }
  }
  return out;
}

dataplane_program program_dataplane(const model::snapshot& s, const model::assignments& ips, const std::string& node,
                                    const dataplane_options& o) {
  const auto in = program_inputs_of(s, node, o);
  dataplane_program out;
  out.desired = program_settings(in);
  for (const auto& [ref, svc] : s.all<model::service>()) {
    auto p = program_service(in, s, ref.owned(), svc, ips);
    std::move(p.desired.services.begin(), p.desired.services.end(), std::back_inserter(out.desired.services));
    std::move(p.skipped.begin(), p.skipped.end(), std::back_inserter(out.skipped));
  }
  return out;
}

service_names services_touched(const model::snapshot& before, const model::snapshot& after,
                               const model::change_set& changes, const std::vector<model::name_key>& moved) {
  service_names objects;
  for (const auto* list : {&changes.added, &changes.modified, &changes.removed})
    for (const auto& k : *list) {
      if (k.kind == model::kind::service) objects.push_back({k.ns, k.name});
      if (k.kind != model::kind::endpoint_slice) continue;
      for (const auto* snap : {&before, &after})
        if (const auto* slice = snap->find<model::endpoint_slice>(k.ns, k.name); slice && !slice->service_name.empty())
          objects.push_back({k.ns, slice->service_name});
    }
  std::sort(objects.begin(), objects.end());
  objects.erase(std::unique(objects.begin(), objects.end()), objects.end());
  service_names out(moved.begin(), moved.end());
  assert(std::is_sorted(out.begin(), out.end()) && std::adjacent_find(out.begin(), out.end()) == out.end());
  merge_names(out, std::move(objects));
  return out;
}

}  // namespace speaker
