// Decoders for MetalLB's metallb.io kinds: IPAddressPool, BGPAdvertisement, Community,
// BFDProfile, BGPPeer (v1beta2 and v1beta1). Each rule below is one MetalLB webhook or
// config-parsing rule (metallb internal/config/config.go, api/*/..._webhook.go) that can be
// checked on the object alone; rules needing other objects are in validate.cpp.
#include <set>

#include "decoders.hpp"

namespace model::detail {

namespace {

std::optional<std::uint32_t> u32(reader& r, const field& f, std::int64_t min = 0, std::int64_t max = 4294967295LL) {
  auto v = r.integer(f, min, max);
  if (!v) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

}  // namespace

ip_address_pool decode_ip_address_pool(reader& r, const field& root, object_meta meta) {
  ip_address_pool p;
  p.meta = std::move(meta);
  const field spec = root["spec"];
  if (!r.is_map(spec)) {
    r.fail("spec", "required");
    return p;
  }
  const field addrs = spec["addresses"];
  p.addresses = r.strings(addrs);
  if (p.addresses.empty() && !r.failed()) r.fail(addrs.path(), "pool has no addresses defined");
  for (std::size_t i = 0; i < p.addresses.size(); ++i) {
    const auto path = [&] { return addrs.at(i).path(); };
    const auto parsed = parse_pool_addresses(p.addresses[i]);
    if (!parsed.range) {
      r.fail(path(), parsed.error);
      continue;
    }
    for (std::size_t j = 0; j < p.ranges.size(); ++j) {
      if (p.ranges[j].overlaps(*parsed.range)) {
        r.fail(path(), p.addresses[i] + " overlaps " + addrs.at(j).path() + " (" + p.addresses[j] + ")");
      }
    }
    p.ranges.push_back(*parsed.range);
  }
  p.auto_assign = r.boolean(spec["autoAssign"]).value_or(true);
  p.avoid_buggy_ips = r.boolean(spec["avoidBuggyIPs"]).value_or(false);
  const field sa = spec["serviceAllocation"];
  if (r.is_map(sa)) {
    service_allocation a;
    if (auto prio = r.integer(sa["priority"], INT32_MIN, INT32_MAX)) a.priority = static_cast<std::int32_t>(*prio);
    a.namespaces = r.strings(sa["namespaces"]);
    a.namespace_selectors = r.selectors(sa["namespaceSelectors"]);
    a.service_selectors = r.selectors(sa["serviceSelectors"]);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < a.namespaces.size(); ++i) {
      if (!seen.insert(a.namespaces[i]).second) {
        r.fail(sa.path() + ".namespaces[" + std::to_string(i) + "]", "duplicate namespace \"" + a.namespaces[i] + "\"");
      }
    }
    p.allocation = std::move(a);
  }
  return p;
}

bgp_advertisement decode_bgp_advertisement(reader& r, const field& root, object_meta meta) {
  bgp_advertisement a;
  a.meta = std::move(meta);
  const field spec = root["spec"];
  if (!r.is_map(spec)) return a;  // an empty spec advertises every pool to every peer
  if (auto v = r.integer(spec["aggregationLength"], 1, 32)) a.aggregation_length = static_cast<std::int32_t>(*v);
  if (auto v = r.integer(spec["aggregationLengthV6"], 0, 128)) a.aggregation_length_v6 = static_cast<std::int32_t>(*v);
  a.local_pref = u32(r, spec["localPref"]);
  const field comms = spec["communities"];
  a.communities = r.strings(comms);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < a.communities.size(); ++i) {
    const auto path = [&] { return comms.at(i).path(); };
    const auto& c = a.communities[i];
    if (!seen.insert(c).second) r.fail(path(), "duplicate definition of community \"" + c + "\"");
    if (c.find(':') == std::string::npos) continue;  // an alias, resolved in validate()
    if (auto err = check_community_value(c, true); !err.empty()) r.fail(path(), err);
  }
  a.ip_address_pools = r.strings(spec["ipAddressPools"]);
  a.ip_address_pool_selectors = r.selectors(spec["ipAddressPoolSelectors"]);
  a.node_selectors = r.selectors(spec["nodeSelectors"]);
  a.peers = r.strings(spec["peers"]);
  // MetalLB bgpAdvertisementFromCR validateDuplicate.
  for (const auto& [list, field_name] : {std::pair{&a.ip_address_pools, "ipAddressPools"}, std::pair{&a.peers, "peers"}}) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (names.insert((*list)[i]).second) continue;
      r.fail(spec.path(field_name) + "[" + std::to_string(i) + "]",
             "duplicate definition of " + std::string(field_name) + " \"" + (*list)[i] + "\"");
    }
  }
  a.service_selectors = r.selectors(spec["serviceSelectors"]);
  const bool default_aggregation = a.aggregation_length.value_or(32) == 32 && a.aggregation_length_v6.value_or(128) == 128;
  if (!a.service_selectors.empty() && !default_aggregation) {
    r.fail(spec.path("serviceSelectors"), "cannot be combined with a non-default aggregationLength or aggregationLengthV6");
  }
  return a;
}

community decode_community(reader& r, const field& root, object_meta meta) {
  community c;
  c.meta = std::move(meta);
  const field spec = root["spec"];
  const field list = spec["communities"];
  std::set<std::string> names;
  for (std::size_t i = 0; r.is_sequence(list) && i < list.size(); ++i) {
    const field e = list.at(i);
    if (!r.is_map(e)) continue;
    community_alias alias{r.string(e["name"]).value_or(""), r.string(e["value"]).value_or("")};
    if (alias.name.empty()) r.fail(e.path("name"), "required");
    else if (!names.insert(alias.name).second) r.fail(e.path("name"), "duplicate definition of community alias \"" + alias.name + "\"");
    if (auto err = check_community_value(alias.value, true); !err.empty()) r.fail(e.path("value"), err);
    c.communities.push_back(std::move(alias));
  }
  return c;
}

bfd_profile decode_bfd_profile(reader& r, const field& root, object_meta meta) {
  bfd_profile b;
  b.meta = std::move(meta);
  const field spec = root["spec"];
  if (!r.is_map(spec)) return b;
  b.receive_interval = u32(r, spec["receiveInterval"], 10, 60000);
  b.transmit_interval = u32(r, spec["transmitInterval"], 10, 60000);
  b.detect_multiplier = u32(r, spec["detectMultiplier"], 2, 255);
  b.echo_interval = u32(r, spec["echoInterval"], 10, 60000);
  b.echo_mode = r.boolean(spec["echoMode"]);
  b.passive_mode = r.boolean(spec["passiveMode"]);
  b.minimum_ttl = u32(r, spec["minimumTtl"], 1, 254);
  return b;
}

bgp_peer decode_bgp_peer(reader& r, const field& root, object_meta meta, bool v1beta1) {
  bgp_peer p;
  p.meta = std::move(meta);
  const field spec = root["spec"];
  if (!r.is_map(spec)) {
    r.fail("spec", "required");
    return p;
  }
  const auto my_asn = u32(r, spec["myASN"]);
  if (!my_asn && !spec["myASN"].present()) r.fail(spec.path("myASN"), "required");
  p.my_asn = my_asn.value_or(0);
  p.peer_asn = u32(r, spec["peerASN"]);
  if (!v1beta1) {
    p.dynamic_asn = r.one_of(spec["dynamicASN"], {"internal", "external"});
    if (auto v = u32(r, spec["localASN"])) p.local_asn = v;
  }
  if (spec["peerASN"].present() && spec["dynamicASN"].present()) {
    r.fail(spec.path("dynamicASN"), "peerASN and dynamicASN are mutually exclusive");
  } else if (!spec["peerASN"].present() && !spec["dynamicASN"].present()) {
    r.fail(spec.path("peerASN"), v1beta1 ? "required" : "one of peerASN or dynamicASN must be set");
  }
  p.peer_address = r.ip(spec["peerAddress"]);
  if (!v1beta1) p.interface = r.string(spec["interface"]);
  if (spec["peerAddress"].present() && spec["interface"].present() && !v1beta1) {
    r.fail(spec.path("interface"), "peerAddress and interface are mutually exclusive");
  } else if (!spec["peerAddress"].present() && !spec["interface"].present()) {
    r.fail(spec.path("peerAddress"), v1beta1 ? "required" : "one of peerAddress or interface must be set");
  }
  p.source_address = r.ip(spec["sourceAddress"]);
  if (auto port = r.integer(spec["peerPort"], 1, 16384)) p.peer_port = static_cast<std::uint16_t>(*port);
  p.hold_time = r.duration(spec["holdTime"]);
  p.keepalive_time = r.duration(spec["keepaliveTime"]);
  if (!v1beta1) p.connect_time = r.duration(spec["connectTime"]);
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  // RFC 4271 §4.2: hold time is 0 or at least three seconds.
  if (p.hold_time && *p.hold_time != milliseconds{0} && *p.hold_time < seconds{3}) {
    r.fail(spec.path("holdTime"), "invalid hold time \"" + r.string(spec["holdTime"]).value_or("") + "\": must be 0 or >=3s");
  }
  if (p.hold_time && p.keepalive_time && *p.keepalive_time > *p.hold_time) {
    r.fail(spec.path("keepaliveTime"), "invalid keepaliveTime \"" + r.string(spec["keepaliveTime"]).value_or("") +
                                             "\": must be lower than holdTime \"" + r.string(spec["holdTime"]).value_or("") + "\"");
  }
  if (p.connect_time) {
    const auto ms = p.connect_time->count();
    if (ms % 1000 != 0) r.fail(spec.path("connectTime"), "must be a whole number of seconds");
    else if (ms < 1000 || ms > 65535000) r.fail(spec.path("connectTime"), "must be between 1s and 65535s");
  }
  p.router_id = r.ip(spec["routerID"]);
  if (p.router_id && p.router_id->family() != ip_family::v4) {
    r.fail(spec.path("routerID"), "router ID must be an IPv4 address, got " + p.router_id->to_string());
  }
  p.node_selectors = r.selectors(spec["nodeSelectors"]);
  p.password = r.string(spec["password"]);
  const field ps = spec["passwordSecret"];
  if (!v1beta1 && r.is_map(ps)) {
    p.password_secret = secret_reference{r.string(ps["name"]).value_or(""), r.string(ps["namespace"]).value_or(p.meta.ns)};
    if (p.password_secret->name.empty()) r.fail(ps.path("name"), "required");
  }
  if (p.password && p.password_secret) {
    r.fail(spec.path("passwordSecret"), "can not have both password and passwordSecret");
  }
  p.bfd_profile = r.string(spec["bfdProfile"]);
  p.ebgp_multihop = r.boolean(spec["ebgpMultiHop"]).value_or(false);
  const bool ibgp = (p.peer_asn && *p.peer_asn == p.my_asn) || p.dynamic_asn == "internal";
  if (p.ebgp_multihop && ibgp) r.fail(spec.path("ebgpMultiHop"), "invalid ebgpMultiHop parameter set for an ibgp peer");
  if (!v1beta1) {
    p.enable_graceful_restart = r.boolean(spec["enableGracefulRestart"]).value_or(false);
    p.vrf = r.string(spec["vrf"]);
    p.disable_mp = r.boolean(spec["disableMP"]).value_or(false);
    p.dual_stack_address_family = r.boolean(spec["dualStackAddressFamily"]).value_or(false);
  }
  return p;
}

}  // namespace model::detail
