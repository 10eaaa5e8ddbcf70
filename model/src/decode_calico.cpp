// Decoder for Calico's BGPConfiguration (crd.projectcalico.org/v1 and projectcalico.org/v3):
// the service-advertisement CIDRs, AS number and community definitions, with Calico's
// validator rules (libcalico-go lib/validator/v3).
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

}  // namespace

bgp_configuration decode_bgp_configuration(reader& r, const field& root, object_meta meta) {
  bgp_configuration c;
  c.meta = std::move(meta);
  const field spec = root["spec"];
  if (!r.is_map(spec)) return c;
  if (auto asn = r.integer(spec["asNumber"], 0, 4294967295LL)) c.as_number = static_cast<std::uint32_t>(*asn);
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

}  // namespace model::detail
