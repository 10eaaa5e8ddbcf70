// Decoders for Calico's BGPConfiguration and BGPPeer (crd.projectcalico.org/v1 and
// projectcalico.org/v3) and Node (projectcalico.org/v3): the service-advertisement CIDRs,
// AS numbers, community definitions, the sessions to routers and the node's BGP identity,
// with Calico's validator and CRD rules (libcalico-go lib/validator/v3, the CRDs'
// x-kubernetes-validations). Fields bgplb reads but does not act on are kept as
// ignored_field, for model::warnings().
#include <array>
#include <charconv>
#include <set>

#include "decoders.hpp"

namespace model::detail {

namespace {

std::vector<cidr> decode_cidr_list(reader& r, const field& f) {
  std::vector<cidr> out;
  for (std::size_t i = 0; r.is_sequence(f) && i < f.size(); ++i) {
    const field e = f.at(i);
    if (!r.is_map(e)) continue;
    if (!e["cidr"].present()) {
      r.fail(e.path("cidr"), "required");
      continue;
    }
    if (auto c = r.prefix(e["cidr"])) out.push_back(*c);
  }
  return out;
}

std::optional<std::uint32_t> number(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// numorstring.ASNumber: a number, or "A.B" (asdot, RFC 5396) with A and B at most 65535.
std::optional<std::uint32_t> as_number(reader& r, const field& f) {
  auto text = r.string(f);
  if (!text) return std::nullopt;
  if (const auto dot = text->find('.'); dot != std::string::npos) {
    const auto hi = number(std::string_view(*text).substr(0, dot));
    const auto lo = number(std::string_view(*text).substr(dot + 1));
    if (hi && lo && *hi <= 0xFFFF && *lo <= 0xFFFF) return *hi << 16 | *lo;
  } else if (auto v = number(*text)) {
    return v;
  }
  r.fail(f.path(), "invalid AS number \"" + *text + "\": want 0-4294967295 or asdot A.B");
  return std::nullopt;
}

std::optional<calico_selector> selector(reader& r, const field& f) {
  auto text = r.string(f);
  if (!text || text->empty()) return std::nullopt;
  auto parsed = calico_selector::parse(*text);
  if (!parsed.selector) r.fail(f.path(), "invalid selector \"" + *text + "\": " + parsed.error);
  return parsed.selector;
}

// spec.peerIP: an address, <IPv4>:<port> or [<IPv6>]:<port>.
void peer_ip(reader& r, const field& f, calico_bgp_peer& p) {
  auto text = r.string(f);
  if (!text || text->empty()) return;
  std::string_view addr = *text;
  std::optional<std::string_view> port;
  if (addr.starts_with("[")) {
    const auto close = addr.find("]:");
    if (close != std::string_view::npos) {
      port = addr.substr(close + 2);
      addr = addr.substr(1, close - 1);
    }
  } else if (const auto colon = addr.find(':');
             colon != std::string_view::npos && addr.find(':', colon + 1) == std::string_view::npos) {
    port = addr.substr(colon + 1);
    addr = addr.substr(0, colon);
  }
  const auto ip = ip_address::parse(addr);
  const auto n = port ? number(*port) : std::optional<std::uint32_t>(0);
  const bool v6_bracketed = text->starts_with("[");
  if (!ip || !n || (port && (*n < 1 || *n > 65535)) || (v6_bracketed && ip->family() != ip_family::v6) ||
      (port && !v6_bracketed && ip->family() != ip_family::v4)) {
    r.fail(f.path(), "peerIP must be an IP address, optionally with a port as <IPv4>:<port> or [<IPv6>]:<port>, got \"" +
                         *text + "\"");
    return;
  }
  p.peer_ip = ip;
  if (port) p.peer_port = static_cast<std::uint16_t>(*n);
}

// What bgplb does not do with a Calico BGPPeer field, whatever its value.
struct ignored_row {
  std::string_view field;
  std::string_view why;
};
constexpr std::array<ignored_row, 5> ignored_peer_fields{{
    {"filters", "ignored: BGPFilters are not applied; the peer gets every route bgplb announces to it"},
    {"ttlSecurity", "ignored: the session runs without GTSM (RFC 5082)"},
    {"reachableBy", "ignored: bgplb adds no static route toward the peer"},
    {"numAllowedLocalASNumbers", "ignored: bgplb installs no route learned from a peer, so the AS path loop check does not matter"},
    {"reversePeering", "ignored: it applies only to peerings between Calico nodes"},
}};

}  // namespace

bgp_configuration decode_bgp_configuration(reader& r, const field& root, object_meta meta) {
  bgp_configuration c;
  c.meta = std::move(meta);
  const field spec = root["spec"];
  if (!r.is_map(spec)) return c;
  c.as_number = as_number(r, spec["asNumber"]);
  c.node_to_node_mesh = r.boolean(spec["nodeToNodeMeshEnabled"]);
  c.service_cluster_ips = decode_cidr_list(r, spec["serviceClusterIPs"]);
  c.service_external_ips = decode_cidr_list(r, spec["serviceExternalIPs"]);
  c.service_load_balancer_ips = decode_cidr_list(r, spec["serviceLoadBalancerIPs"]);
  if (c.meta.name != "default") {
    for (const char* f : {"serviceClusterIPs", "serviceExternalIPs", "serviceLoadBalancerIPs"}) {
      if (spec[f].present()) r.fail(spec.path(f), "may only be set on the global BGPConfiguration \"default\"");
    }
  }
  const field comms = spec["communities"];
  std::set<std::string> names;
  for (std::size_t i = 0; r.is_sequence(comms) && i < comms.size(); ++i) {
    const field e = comms.at(i);
    if (!r.is_map(e)) continue;
    community_alias a{r.string(e["name"]).value_or(""), r.string(e["value"]).value_or("")};
    if (a.name.empty()) r.fail(e.path("name"), "required");
    else if (!names.insert(a.name).second) r.fail(e.path("name"), "duplicate community name \"" + a.name + "\"");
    if (auto err = check_community_value(a.value, false); !err.empty()) r.fail(e.path("value"), err);
    c.communities.push_back(std::move(a));
  }
  const field adverts = spec["prefixAdvertisements"];
  for (std::size_t i = 0; r.is_sequence(adverts) && i < adverts.size(); ++i) {
    const field e = adverts.at(i);
    if (!r.is_map(e)) continue;
    prefix_advertisement pa;
    if (auto p = r.prefix(e["cidr"])) pa.prefix = *p;
    else if (!e["cidr"].present()) r.fail(e.path("cidr"), "required");
    const field pc = e["communities"];
    pa.communities = r.strings(pc);
    for (std::size_t j = 0; j < pa.communities.size(); ++j) {
      const auto& v = pa.communities[j];
      const auto path = [&] { return pc.at(j).path(); };
      if (v.find(':') != std::string::npos) {
        if (auto err = check_community_value(v, false); !err.empty()) r.fail(path(), err);
      } else if (!names.contains(v)) {
        r.fail(path(), "community \"" + v + "\" is not defined in spec.communities");
      }
    }
    c.prefix_advertisements.push_back(std::move(pa));
  }
  return c;
}

calico_bgp_peer decode_calico_bgp_peer(reader& r, const field& root, object_meta meta) {
  calico_bgp_peer p;
  p.meta = std::move(meta);
  const field spec = root["spec"];
  if (!r.is_map(spec)) return p;
  const auto set = [&](const char* name) {
    const field f = spec[name];
    return f.present() && !(f.is_scalar() && f.tree->scalar(f.node).empty());
  };
  p.node = r.string(spec["node"]).value_or("");
  p.node_selector = selector(r, spec["nodeSelector"]);
  peer_ip(r, spec["peerIP"], p);
  const field asn = spec["asNumber"];
  p.as_number = as_number(r, asn);
  const bool asn_refused = asn.present() && !p.as_number;  // already reported
  if (p.as_number == 0u) p.as_number.reset();               // Calico: 0 is unset
  p.local_as_number = as_number(r, spec["localASNumber"]);
  p.peer_selector = selector(r, spec["peerSelector"]);
  const auto keep = r.boolean(spec["keepOriginalNextHop"]);
  const auto mode = r.one_of(spec["nextHopMode"], {"Auto", "Self", "Keep"});
  p.keep_original_next_hop = keep.value_or(false) || mode == "Keep";
  if (keep.value_or(false) && mode) {
    r.fail(spec.path("nextHopMode"),
           "keepOriginalNextHop and nextHopMode cannot both be set; keepOriginalNextHop is deprecated, use nextHopMode instead");
  }
  const field password = spec["password"];
  const field ref = password["secretKeyRef"];
  if (r.is_map(password) && r.is_map(ref)) {
    secret_key_reference s{r.string(ref["name"]).value_or(""), r.string(ref["key"]).value_or("")};
    if (s.name.empty()) r.fail(ref.path("name"), "required");
    if (s.key.empty()) r.fail(ref.path("key"), "required");
    p.password = std::move(s);
  }
  p.source_node_ip = r.one_of(spec["sourceAddress"], {"UseNodeIP", "None"}).value_or("UseNodeIP") == "UseNodeIP";
  p.max_restart_time = r.duration(spec["maxRestartTime"]);
  p.keepalive_time = r.duration(spec["keepaliveTime"]);
  r.integer(spec["numAllowedLocalASNumbers"], 0, 2147483647);
  r.integer(spec["ttlSecurity"], 0, 255);
  r.one_of(spec["reversePeering"], {"Auto", "Manual"});
  const bool workloads = set("localWorkloadSelector");

  // The CRD's x-kubernetes-validations and Calico's validator.
  if (!p.node.empty() && p.node_selector) r.fail(spec.path("nodeSelector"), "node and nodeSelector cannot both be set");
  if (p.peer_ip && p.peer_selector) r.fail(spec.path("peerSelector"), "peerIP and peerSelector cannot both be set");
  if (p.peer_selector && p.as_number) r.fail(spec.path("asNumber"), "asNumber must be empty when peerSelector is set");
  if (workloads && p.peer_ip) r.fail(spec.path("peerIP"), "peerIP must be empty when localWorkloadSelector is set");
  if (set("reachableBy") && !p.peer_ip) r.fail(spec.path("reachableBy"), "reachableBy must be empty when peerIP is empty");
  if (p.peer_ip && !p.as_number && !asn_refused && !p.peer_selector) {
    r.fail(spec.path("asNumber"), "required with peerIP: the router's AS number");
  }
  if (!p.peer_ip && !p.peer_selector && !workloads && !spec["peerIP"].present()) {
    r.fail(spec.path("peerIP"), "one of peerIP, peerSelector and localWorkloadSelector is required");
  }

  // What bgplb reads but does not do.
  auto ignore = [&](const std::string& path, std::string why) { p.ignored.push_back({path, std::move(why)}); };
  if (p.peer_selector) {
    ignore(spec.path("peerSelector"), "peerings with Calico nodes (node-to-node, route reflectors) carry pod routes, "
                                      "which bgplb does not announce; this BGPPeer is not run");
  }
  if (workloads) ignore(spec.path("localWorkloadSelector"), "bgplb makes no peerings with workloads; this BGPPeer is not run");
  for (const auto& row : ignored_peer_fields) {
    if (set(std::string(row.field).c_str())) ignore(spec.path(row.field), std::string(row.why));
  }
  if (p.keep_original_next_hop) {
    ignore(spec.path(keep.value_or(false) ? "keepOriginalNextHop" : "nextHopMode"),
           "ignored: bgplb announces only its own service routes, with this node as the next hop");
  }
  if (p.max_restart_time && *p.max_restart_time != std::chrono::seconds{120}) {
    ignore(spec.path("maxRestartTime"), "ignored: the bgplb speaker's graceful restart time is 120s on every session");
  }
  return p;
}

calico_node decode_calico_node(reader& r, const field& root, object_meta meta) {
  calico_node n;
  n.meta = std::move(meta);
  const field spec = root["spec"];
  const field bgp = spec["bgp"];
  if (!r.is_map(spec) || !r.is_map(bgp)) return n;
  n.as_number = as_number(r, bgp["asNumber"]);
  // "10.0.0.1/24" (the address with its subnet, as Calico writes it) or a bare address.
  auto address = [&](const char* name, ip_family want) -> std::optional<ip_address> {
    const field f = bgp[name];
    auto text = r.string(f);
    if (!text || text->empty()) return std::nullopt;
    const auto slash = text->find('/');
    const auto ip = ip_address::parse(std::string_view(*text).substr(0, slash));
    const bool length_ok = slash == std::string::npos || cidr::parse(*text).has_value();
    if (!ip || !length_ok || ip->family() != want) {
      r.fail(f.path(), "invalid " + std::string(want == ip_family::v4 ? "IPv4" : "IPv6") + " address \"" + *text + "\"");
      return std::nullopt;
    }
    return ip;
  };
  n.ipv4_address = address("ipv4Address", ip_family::v4);
  n.ipv6_address = address("ipv6Address", ip_family::v6);
  if (bgp["routeReflectorClusterID"].present()) {
    n.ignored.push_back({bgp.path("routeReflectorClusterID"),
                         "ignored: bgplb is no route reflector; the node's sessions are ordinary ones"});
  }
  return n;
}

}  // namespace model::detail
