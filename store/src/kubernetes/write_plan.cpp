// The writer's plan (see write_plan.hpp).
#include "write_plan.hpp"

#include <algorithm>

#include "ledger.hpp"

namespace store::kubernetes {

service_steps steps_for(const service_view& actual, const service_goal& goal) {
  service_steps out;
  if (actual.ingress != goal.ingress) {
    std::vector<model::ip_address> kept;
    for (const auto& ip : actual.ingress) {
      if (std::find(goal.ingress.begin(), goal.ingress.end(), ip) != goal.ingress.end()) kept.push_back(ip);
    }
    const bool drops = kept.size() < actual.ingress.size();
    if (drops) out.release = kept;
    if (!drops || kept != goal.ingress) out.status = goal.ingress;
  }
  out.annotate = actual.pool != goal.pool || actual.since != goal.since;
  return out;
}

service_view view_of(const model::service& s) {
  service_view v;
  v.ingress = s.ingress_ips;
  const auto& a = s.meta.annotations;
  if (auto it = a.find(std::string(model::annotations::allocated_from_pool)); it != a.end()) v.pool = it->second;
  if (auto it = a.find(std::string(since_annotation)); it != a.end()) v.since = it->second;
  return v;
}

std::map<model::name_key, service_goal> goals_of(const state& desired) {
  std::map<model::name_key, service_goal> out;
  for (const auto& s : desired.services) out[{s.ns, s.name}].ingress = s.ingress;
  for (const auto& e : desired.ledger.entries) {
    auto& g = out[{e.ns, e.name}];
    g.pool = e.pool;
    g.since = std::to_string(e.since);
    if (g.ingress.empty()) g.ingress = e.ips;  // a ledger entry without a status row
  }
  return out;
}

write_plan plan_writes(const state& desired, const model::snapshot& actual, writer_memory& memory) {
  write_plan plan;
  const model::ledger holds{desired.ledger.revision, {}, desired.ledger.holds};
  if (!memory.holds || *memory.holds != holds) plan.holds = holds;

  for (auto& [key, goal] : goals_of(desired)) {
    const auto* svc = actual.find<model::service>(key.ns, key.name);
    if (svc == nullptr) continue;
    auto steps = steps_for(view_of(*svc), goal);
    if (!steps.empty()) plan.services.push_back({key, std::move(goal), steps});
  }

  for (const auto& p : desired.pools) {
    auto it = memory.pools.find(p.name);
    if (it != memory.pools.end() && it->second == p) continue;
    memory.pools[p.name] = p;
    plan.pools.push_back(p);
  }

  // Only the events a service did not show last time are posted (the allocator reports
  // a service's events with every state); services gone are forgotten.
  std::map<model::name_key, std::vector<model::event>> shown;
  for (const auto& s : desired.services) {
    const model::name_key key{s.ns, s.name};
    const auto before = memory.events.find(key);
    for (const auto& e : s.events) {
      if (before == memory.events.end() || std::find(before->second.begin(), before->second.end(), e) == before->second.end()) {
        plan.events.emplace_back(key, e);
      }
    }
    if (!s.events.empty()) shown.emplace_hint(shown.end(), key, s.events);
  }
  memory.events = std::move(shown);
  return plan;
}

}  // namespace store::kubernetes
