// The one conversion from a published ledger (or Service status) to model::assignments.
#include "model/assignments.hpp"

namespace model {

assignments assignments_from(const ledger& l) {
  assignments a;
  for (const auto& e : l.entries)
    if (!e.ips.empty()) a.emplace_hint(a.end(), name_key{e.ns, e.name}, e.ips);
  return a;
}

assignments assignments_from_status(const snapshot& s, const std::optional<std::string>& load_balancer_class) {
  assignments a;
  for (const auto& [k, svc] : s.all<service>())
    if (svc.type == "LoadBalancer" && svc.load_balancer_class == load_balancer_class && !svc.ingress_ips.empty())
      a.emplace_hint(a.end(), k, svc.ingress_ips);
  return a;
}

std::vector<name_key> changed_services(const assignments& before, const assignments& after) {
  std::vector<name_key> out;
  auto b = before.begin(), a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      out.push_back((b++)->first);
    } else if (b == before.end() || a->first < b->first) {
      out.push_back((a++)->first);
    } else {
      if (a->second != b->second) out.push_back(a->first);
      ++a;
      ++b;
    }
  }
  return out;
}

}  // namespace model
