// Reading a Service's allocation inputs (see service_info.hpp).
#include "service_info.hpp"

#include <algorithm>

#include "controller/events.hpp"

namespace controller::detail {

std::optional<std::string> annotation(const model::service& s, std::string_view suffix, std::vector<model::event>& events) {
  const auto& a = s.meta.annotations;
  const std::string current = std::string(model::annotations::current_prefix) + std::string(suffix);
  if (auto it = a.find(current); it != a.end()) return it->second;
  const std::string old = std::string(model::annotations::deprecated_prefix) + std::string(suffix);
  if (auto it = a.find(old); it != a.end()) {
    events.push_back({"Warning", std::string(reason::deprecated_annotation),
                      "annotation " + old + " is deprecated, use " + current});
    return it->second;
  }
  return std::nullopt;
}

std::string recorded_pool(const model::service& s) {
  const auto& a = s.meta.annotations;
  const std::string current(model::annotations::allocated_from_pool);
  if (auto it = a.find(current); it != a.end()) return it->second;
  const auto suffix = current.substr(model::annotations::current_prefix.size());
  if (auto it = a.find(std::string(model::annotations::deprecated_prefix) + suffix); it != a.end()) return it->second;
  return "";
}

requested_ips requested(const model::service& s, std::vector<model::event>& events) {
  requested_ips out;
  const auto list = annotation(s, "loadBalancerIPs", events);
  const bool has_list = list && !list->empty();
  if (!has_list && s.extra->load_balancer_ip.empty()) return out;
  if (has_list && !s.extra->load_balancer_ip.empty()) {
    out.error = "service can not have both metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP";
    return out;
  }
  if (!has_list) {
    if (auto a = model::ip_address::parse(s.extra->load_balancer_ip)) out.ips.push_back(*a);
    else out.error = "invalid spec.loadBalancerIP " + s.extra->load_balancer_ip;
    return out;
  }
  std::string_view rest = *list;
  while (true) {
    const auto comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    auto a = model::ip_address::parse(part);
    if (!a) {
      out.ips.clear();
      out.error = "invalid metallb.io/loadBalancerIPs annotation " + *list;
      return out;
    }
    out.ips.push_back(*a);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (out.ips.size() > 2 || (out.ips.size() == 2 && out.ips[0].family() == out.ips[1].family())) {
    out.ips.clear();
    out.error = "invalid metallb.io/loadBalancerIPs annotation " + *list + ": at most one address per IP family";
  }
  return out;
}

family_need needs(const model::service& s) {
  using model::ip_family;
  using model::ip_family_policy;
  family_need n;
  for (const auto& ip : s.cluster_ips) n.families.push_back(ip.family());
  if (n.families.empty()) {
    // Kubernetes initIPFamilyFields, on a dual-stack cluster whose primary family is IPv4:
    // ipFamilies as written, else IPv4; no policy means RequireDualStack with two
    // families, else SingleStack; a dual-stack policy adds the family not written.
    const auto& x = *s.extra;
    n.families = x.ip_families;
    if (n.families.empty()) n.families.push_back(ip_family::v4);
    const auto policy = x.family_policy.value_or(x.ip_families.size() == 2 ? ip_family_policy::require_dual_stack
                                                                           : ip_family_policy::single_stack);
    if (policy != ip_family_policy::single_stack && n.families.size() == 1) {
      n.families.push_back(n.families[0] == ip_family::v4 ? ip_family::v6 : ip_family::v4);
    }
  }
  n.prefer_dual = n.families.size() == 2 && s.extra->family_policy == ip_family_policy::prefer_dual_stack;
  return n;
}

sharing sharing_keys(const model::service& s, std::vector<model::event>& events) {
  sharing out;
  out.sharing_key = annotation(s, "allow-shared-ip", events).value_or("");
  // Backend key and ports only matter between services that share an address, i.e.
  // that have a key.
  if (out.sharing_key.empty()) return out;
  if (s.external_traffic_policy == model::traffic_policy::local) {
    out.backend_key = model::to_selector_string(s.selector);
  }
  for (const auto& p : s.ports) out.ports.push_back({p.protocol, p.port});
  std::sort(out.ports.begin(), out.ports.end());
  return out;
}

std::string quote(const std::vector<model::ip_address>& ips) {
  std::string out = "[";
  for (std::size_t i = 0; i < ips.size(); ++i) out += (i == 0 ? "\"" : " \"") + ips[i].to_string() + "\"";
  return out + "]";
}

}  // namespace controller::detail
