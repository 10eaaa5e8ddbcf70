// Decoders for the core Kubernetes kinds bgplb reads: v1 Service, Node, Secret and
// discovery.k8s.io/v1 EndpointSlice, with the API server's own field rules.
#include <array>

#include "decoders.hpp"

namespace model::detail {

namespace {

std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (char c : in) {
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0) return std::nullopt;
    const auto v = alphabet.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (pad > 2 || (in.size() % 4) != 0) return std::nullopt;
  return out;
}

std::vector<service_port> decode_ports(reader& r, const field& f) {
  std::vector<service_port> out;
  if (!r.is_sequence(f)) return out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const field p = f.at(i);
    if (!r.is_map(p)) continue;
    service_port sp;
    sp.name = r.string(p["name"]).value_or("");
    sp.protocol = r.one_of(p["protocol"], {"TCP", "UDP", "SCTP"}).value_or("TCP");
    const auto port = r.integer(p["port"], 1, 65535);
    if (!port && !p["port"].present()) r.fail(p.path("port"), "required");
    sp.port = static_cast<std::int32_t>(port.value_or(0));
    if (auto np = r.integer(p["nodePort"], 0, 65535); np && *np != 0) sp.node_port = static_cast<std::int32_t>(*np);
    out.push_back(std::move(sp));
  }
  return out;
}

// The API server's rules on a Service's families (ValidateService,
// ValidateServiceClusterIPsRelatedFields), so a manifest no API server has seen is held to
// them too: the allocator derives a family from spec.ipFamilies when there is no cluster IP.
void check_families(reader& r, const field& spec, const service& s, const service_extra& x,
                    const std::optional<std::string>& none_at) {
  const field fams = spec["ipFamilies"];
  if (x.ip_families.size() > 2) r.fail(fams.path(), "at most two IP families are allowed");
  if (x.ip_families.size() == 2 && x.ip_families[0] == x.ip_families[1]) {
    r.fail(fams.at(1).path(), "duplicate IP family " + std::string(x.ip_families[1] == ip_family::v4 ? "IPv4" : "IPv6"));
  }
  for (std::size_t i = 0; i < s.cluster_ips.size() && i < x.ip_families.size(); ++i) {
    if (s.cluster_ips[i].family() == x.ip_families[i]) continue;
    r.fail(fams.at(i).path(), "does not match the family of cluster IP " + s.cluster_ips[i].to_string());
  }
  if (x.family_policy == ip_family_policy::single_stack) {
    if (s.cluster_ips.size() == 2) {
      r.fail(spec.path("ipFamilyPolicy"), "must be RequireDualStack or PreferDualStack when two clusterIPs are given");
    } else if (x.ip_families.size() == 2) {
      r.fail(spec.path("ipFamilyPolicy"), "must be RequireDualStack or PreferDualStack when two ipFamilies are given");
    }
  }
  if (s.type == "LoadBalancer" && none_at) r.fail(*none_at, "may not be \"None\" for LoadBalancer services");
}

}  // namespace

service decode_service(reader& r, const field& root, object_meta meta) {
  service s;
  s.meta = std::move(meta);
  service_extra x;  // boxed only when set
  const field spec = root["spec"];
  if (r.is_map(spec)) {
    s.type = r.one_of(spec["type"], {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}).value_or("ClusterIP");
    std::optional<std::string> none_at;  // the path of a "None" cluster IP
    auto add_cluster_ip = [&](const field& f) {
      auto text = r.string(f);
      if (text && *text == "None" && !none_at) none_at = f.path();
      if (!text || text->empty() || *text == "None") return;
      if (auto a = ip_address::parse(*text)) s.cluster_ips.push_back(*a);
      else r.fail(f.path(), "invalid IP address \"" + *text + "\"");
    };
    const field ips = spec["clusterIPs"];
    if (r.is_sequence(ips) && ips.size() > 0) {
      if (ips.size() > 2) r.fail(ips.path(), "at most two cluster IPs are allowed");
      for (std::size_t i = 0; i < ips.size(); ++i) add_cluster_ip(ips.at(i));
      if (s.cluster_ips.size() == 2 && s.cluster_ips[0].family() == s.cluster_ips[1].family()) {
        r.fail(ips.path(), "cluster IPs must be of different IP families");
      }
    } else {
      add_cluster_ip(spec["clusterIP"]);
    }
    const field ext = spec["externalIPs"];
    for (std::size_t i = 0; i < r.size(ext); ++i) {
      if (auto a = r.ip(ext.at(i))) x.external_ips.push_back(*a);
    }
    r.is_sequence(ext);
    x.load_balancer_ip = r.string(spec["loadBalancerIP"]).value_or("");
    x.load_balancer_class = r.string(spec["loadBalancerClass"]);
    const field fams = spec["ipFamilies"];
    if (r.is_sequence(fams)) {
      for (std::size_t i = 0; i < fams.size(); ++i) {
        if (auto f = r.one_of(fams.at(i), {"IPv4", "IPv6"})) {
          x.ip_families.push_back(*f == "IPv4" ? ip_family::v4 : ip_family::v6);
        }
      }
    }
    if (auto p = r.one_of(spec["ipFamilyPolicy"], {"SingleStack", "PreferDualStack", "RequireDualStack"})) {
      x.family_policy = *p == "SingleStack" ? ip_family_policy::single_stack
                        : *p == "PreferDualStack" ? ip_family_policy::prefer_dual_stack
                                                  : ip_family_policy::require_dual_stack;
    }
    check_families(r, spec, s, x, none_at);
    if (auto p = r.one_of(spec["externalTrafficPolicy"], {"Cluster", "Local"})) {
      s.external_traffic_policy = *p == "Local" ? traffic_policy::local : traffic_policy::cluster;
    }
    // ValidateService: sessionAffinity None or ClientIP; timeoutSeconds in (0, 86400],
    // only with ClientIP.
    const auto affinity = r.one_of(spec["sessionAffinity"], {"None", "ClientIP"});
    const field affinity_config = spec["sessionAffinityConfig"];
    r.is_map(affinity_config);
    const field client_ip = affinity_config["clientIP"];
    r.is_map(client_ip);
    const field timeout = client_ip["timeoutSeconds"];
    if (affinity == "ClientIP") {
      x.session_affinity_timeout = static_cast<std::int32_t>(r.integer(timeout, 1, 86400).value_or(10800));
    } else if (timeout.present()) {
      r.fail(timeout.path(), "only with sessionAffinity: ClientIP");
    }
    const field ranges = spec["loadBalancerSourceRanges"];
    for (std::size_t i = 0; i < r.size(ranges); ++i) {
      if (auto c = r.prefix(ranges.at(i))) x.load_balancer_source_ranges.push_back(*c);
    }
    r.is_sequence(ranges);
    s.ports = decode_ports(r, spec["ports"]);
    s.selector = r.string_map(spec["selector"]);
  }
  if (x != service_extra{}) s.extra = std::move(x);
  const field status = root["status"];
  const field lb = status["loadBalancer"];
  const field ingress = lb["ingress"];
  if (r.is_sequence(ingress)) {
    for (std::size_t i = 0; i < ingress.size(); ++i) {
      const field ing = ingress.at(i);
      if (!r.is_map(ing)) continue;
      if (auto a = r.ip(ing["ip"])) s.ingress_ips.push_back(*a);
    }
  }
  return s;
}

endpoint_slice decode_endpoint_slice(reader& r, const field& root, object_meta meta) {
  endpoint_slice es;
  es.meta = std::move(meta);
  auto it = es.meta.labels.find("kubernetes.io/service-name");
  if (it != es.meta.labels.end()) es.service_name = it->second;
  const auto type = r.one_of(root["addressType"], {"IPv4", "IPv6", "FQDN"});
  if (!type && !root["addressType"].present()) r.fail("addressType", "required");
  es.address_type = type.value_or("");
  const field eps = root["endpoints"];
  if (r.is_sequence(eps)) {
    for (std::size_t i = 0; i < eps.size(); ++i) {
      const field e = eps.at(i);
      if (!r.is_map(e)) continue;
      endpoint ep;
      const field addrs = e["addresses"];
      if (r.is_sequence(addrs)) {
        for (std::size_t j = 0; j < addrs.size(); ++j) {
          if (es.address_type == "FQDN") {
            r.string(addrs.at(j));
          } else if (auto a = r.ip(addrs.at(j))) {
            if ((a->family() == ip_family::v4) != (es.address_type == "IPv4")) {
              r.fail(addrs.at(j).path(), "address " + a->to_string() + " does not match addressType " + es.address_type);
            }
            ep.addresses.push_back(*a);
          }
        }
      }
      ep.node_name = r.string(e["nodeName"]);
      const field cond = e["conditions"];
      if (r.is_map(cond)) {
        ep.ready = r.boolean(cond["ready"]);
        ep.serving = r.boolean(cond["serving"]);
        ep.terminating = r.boolean(cond["terminating"]);
      }
      es.endpoints.push_back(std::move(ep));
    }
  }
  const field ports = root["ports"];
  if (r.is_sequence(ports)) {
    for (std::size_t i = 0; i < ports.size(); ++i) {
      const field p = ports.at(i);
      if (!r.is_map(p)) continue;
      endpoint_port ep;
      ep.name = r.string(p["name"]);
      ep.protocol = r.one_of(p["protocol"], {"TCP", "UDP", "SCTP"}).value_or("TCP");
      if (auto n = r.integer(p["port"], 1, 65535)) ep.port = static_cast<std::int32_t>(*n);
      es.ports.push_back(std::move(ep));
    }
  }
  return es;
}

node decode_node(reader& r, const field& root, object_meta meta) {
  node n;
  n.meta = std::move(meta);
  const field status = root["status"];
  if (!r.is_map(status)) return n;
  const field conds = status["conditions"];
  for (std::size_t i = 0; r.is_sequence(conds) && i < conds.size(); ++i) {
    const field c = conds.at(i);
    if (!r.is_map(c)) continue;
    n.conditions.push_back({r.string(c["type"]).value_or(""), r.string(c["status"]).value_or("")});
  }
  const field addrs = status["addresses"];
  for (std::size_t i = 0; r.is_sequence(addrs) && i < addrs.size(); ++i) {
    const field a = addrs.at(i);
    if (!r.is_map(a)) continue;
    n.addresses.push_back({r.string(a["type"]).value_or(""), r.string(a["address"]).value_or("")});
  }
  return n;
}

secret decode_secret(reader& r, const field& root, object_meta meta) {
  secret s;
  s.meta = std::move(meta);
  s.type = r.string(root["type"]).value_or("Opaque");
  const field data = root["data"];
  for (const auto& [k, v] : r.string_map(data)) {
    if (auto decoded = base64_decode(v)) s.data[k] = *decoded;
    else r.fail(data.path(k), "invalid base64 data");
  }
  for (const auto& [k, v] : r.string_map(root["stringData"])) s.data[k] = v;
  return s;
}

}  // namespace model::detail
