// MetalLB's rules for one service (controller/service.go convergeBalancer,
// internal/allocator), applied by detail::engine in two phases: restore() keeps or clears
// what a service already has (ledger entry, else status ingress) for every service of the
// pass first, so nothing new can take an address a later service is about to restore;
// then allocate_new() serves every service still without addresses, in the same order
// (ledger, ingress only, neither; namespace/name within each).
#include "controller/allocate.hpp"

#include <algorithm>

#include "controller/events.hpp"
#include "engine.hpp"

namespace controller {

namespace detail {

namespace {

std::string family_name(model::ip_family f) { return f == model::ip_family::v4 ? "IPv4" : "IPv6"; }

std::string family_word(const family_need& n) {
  if (n.families.size() == 2) return "dual";
  return n.families.at(0) == model::ip_family::v4 ? "ipv4" : "ipv6";
}

bool same_set(std::vector<model::ip_address> a, std::vector<model::ip_address> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

bool fits(const std::vector<model::ip_address>& ips, const family_need& n) {
  if (ips.empty() || ips.size() > n.families.size()) return false;
  if (ips.size() == 2 && ips[0].family() == ips[1].family()) return false;
  for (const auto& ip : ips) {
    if (std::find(n.families.begin(), n.families.end(), ip.family()) == n.families.end()) return false;
  }
  return ips.size() == n.families.size() || n.prefer_dual;
}

}  // namespace

bool same_addresses(const std::vector<model::ip_address>& a, const std::vector<model::ip_address>& b) {
  return same_set(a, b);
}

void engine::event(std::size_t id, std::string_view type, std::string_view why, std::string message) {
  events_of(id).push_back({std::string(type), std::string(why), std::move(message)});
}

void engine::take(std::size_t id, const std::vector<model::ip_address>& ips, const std::string& pool_name) {
  slots_[id].pool = pool_id(pool_name);  // first: a stranded address is counted against it
  slots_[id].ips.clear();
  for (const auto& ip : ips) slots_[id].ips.push_back(ip);
  for (const auto& ip : ips) use_ip(id, ip);
}

// MetalLB convergeBalancer steps 1-4: keep, or clear for reallocation.
void engine::restore(work& w) {
  const std::size_t id = w.id;
  const model::service& s = *w.svc;
  w.need = needs(s);
  if (s.extra->family_policy == model::ip_family_policy::require_dual_stack && w.need.families.size() < 2) {
    std::string ips;
    for (const auto& ip : s.cluster_ips) ips += (ips.empty() ? "" : " ") + ip.to_string();
    event(id, "Warning", reason::not_enough_cluster_ips, "Service requires dual stack but not enough clusterips [" + ips + "]");
    return;
  }
  std::vector<model::event> warnings;  // deprecated spellings; most services have none
  w.request = requested(s, warnings);
  w.pool_annotation = annotation(s, "address-pool", warnings);
  add_events(id, std::move(warnings));
  if (w.pool_annotation && w.pool_annotation->empty()) w.pool_annotation.reset();

  const std::vector<model::ip_address>& current = w.previous ? w.previous->ips : s.ingress_ips;
  w.pending = true;
  if (current.empty()) return;

  const pool* p = pools_.pool_of(current);
  // The pool the addresses were given from: the ledger's, else (status only) the one
  // MetalLB recorded on the service; empty when nobody recorded one.
  const std::string recorded = w.previous ? w.previous->pool : recorded_pool(s);
  // Stranded: every address is either in no pool any more or still in the recorded pool
  // (a dual-stack pool that lost one family). A service keeps such addresses whether they
  // come from the ledger or only from its status (migrated, or the ledger was lost).
  const bool stranded = p == nullptr && std::all_of(current.begin(), current.end(), [&](model::ip_address ip) {
                          const pool* q = pools_.pool_of(ip);
                          return q == nullptr || (!recorded.empty() && q->name == recorded);
                        });
  std::string clear;
  if (p == nullptr && !stranded) {
    clear = quote(current) + " is not allowed in config";
  } else if (p != nullptr && !p->compatible(s)) {
    clear = "pool " + p->name + " not compatible for ip assignment";
  }
  for (const auto& ip : current) {
    if (!clear.empty()) break;
    clear = usage_.check(id, ip);
  }
  const std::string current_pool = p != nullptr ? p->name : recorded;
  const bool user_changed = (w.pool_annotation && *w.pool_annotation != current_pool) ||
                            (!w.request.ips.empty() && !same_set(w.request.ips, current)) || !fits(current, w.need);
  if (!clear.empty()) {
    event(id, "Normal", reason::clear_assignment,
          "current IP for \"" + name_of(id) + "\" not allowed by config, will attempt for new IP assignment: " + clear);
    return;
  }
  if (user_changed) return;

  w.pending = false;
  if (!w.request.error.empty()) {
    event(id, "Warning", reason::load_balancer_failed,
          "Failed to allocate IP for \"" + name_of(id) + "\": " + w.request.error);
  }
  take(id, current, current_pool);
  if (stranded) {
    for (const auto& ip : current) {
      if (pools_.pool_of(ip) != nullptr) continue;
      event(id, "Warning", reason::pool_removed, "address " + ip.to_string() + " no longer in any pool");
    }
    return;
  }
  // Adding the other family is an allocation: it waits until every service is restored.
  w.add_family = slots_[id].ips.size() < w.need.families.size();
}

void engine::allocate_new(work& w) {
  const std::size_t id = w.id;
  if (w.add_family) {
    add_missing_family(w, *pools_.find(pool_name(slots_[id])));
    return;
  }
  if (!w.request.error.empty()) {
    event(id, "Warning", reason::load_balancer_failed,
          "Failed to allocate IP for \"" + name_of(id) + "\": " + w.request.error);
    return;
  }
  std::vector<model::ip_address> ips;
  const pool* p = nullptr;
  std::string err;
  if (!w.request.ips.empty()) {
    ips = w.request.ips;
    err = assign_requested(w, ips, p);
  } else if (w.pool_annotation) {
    p = pools_.find(*w.pool_annotation);
    err = p == nullptr ? "unknown pool \"" + *w.pool_annotation + "\"" : from_pool(w, *p, ips);
  } else {
    err = from_any_pool(w, ips, p);
  }
  if (!err.empty()) {
    event(id, "Warning", reason::allocation_failed, "Failed to allocate IP for \"" + name_of(id) + "\": " + err);
    return;
  }
  take(id, ips, p->name);
  event(id, "Normal", reason::ip_allocated, "Assigned IP " + quote(slots_[id].ips.vector()));
  if (slots_[id].ips.size() < w.need.families.size()) additional_failed(w, *p);
}

// MetalLB allocateIPs with requested addresses, then Assign.
std::string engine::assign_requested(const work& w, const std::vector<model::ip_address>& ips, const pool*& p) {
  std::vector<model::ip_family> want = w.need.families;
  std::vector<model::ip_family> got;
  for (const auto& ip : ips) got.push_back(ip.family());
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  if (want != got) {
    return "requested loadBalancer IP(s) " + quote(ips) + " does not match the ipFamily of the service";
  }
  p = pools_.pool_of(ips);
  if (p == nullptr) return quote(ips) + " is not allowed in config";
  if (w.pool_annotation && *w.pool_annotation != p->name) {
    return "requested IP(s) " + quote(ips) + " are not in pool \"" + *w.pool_annotation + "\"";
  }
  for (const auto& ip : ips) {
    if (auto why = usage_.check(w.id, ip); !why.empty()) return why;
  }
  if (!p->compatible(*w.svc)) return "pool " + p->name + " not compatible for ip assignment";
  return "";
}

// MetalLB AllocateFromPool: one pass per family over the ranges in spec order.
std::string engine::from_pool(const work& w, const pool& p, std::vector<model::ip_address>& out) {
  if (!p.compatible(*w.svc)) return "pool " + p.name + " not compatible for ip assignment";
  std::vector<model::ip_family> missing = w.need.families;
  out.clear();
  for (const auto& r : p.ranges) {
    auto it = std::find(missing.begin(), missing.end(), r.family());
    if (it == missing.end()) continue;
    if (auto ip = usage_.first_available(w.id, r, p.avoid_buggy_ips)) {
      out.push_back(*ip);
      missing.erase(it);
    }
  }
  if (missing.empty() || (w.need.prefer_dual && !out.empty())) return "";
  out.clear();
  return "no available IPs in pool \"" + p.name + "\" for " + family_word(w.need) + " IPFamily";
}

// MetalLB Allocate: the service's own held address, pinned pools by priority, then
// auto-assign pools without serviceAllocation (by name, not Go map order).
std::string engine::from_any_pool(const work& w, std::vector<model::ip_address>& out, const pool*& chosen) {
  const std::size_t id = w.id;
  if (auto it = held_for_.find(names_[id]); it != held_for_.end()) {
    std::vector<model::ip_address> mine;
    for (auto f : w.need.families) {
      for (const auto& ip : it->second) {
        if (ip.family() == f) {
          mine.push_back(ip);
          break;
        }
      }
    }
    const pool* p = pools_.pool_of(mine);
    if (p != nullptr && p->auto_assign && p->compatible(*w.svc) && fits(mine, w.need) &&
        std::all_of(mine.begin(), mine.end(), [&](model::ip_address ip) { return usage_.check(id, ip).empty(); })) {
      out = mine;
      chosen = p;
      return "";
    }
  }
  std::vector<const pool*> pinned;
  for (const auto& p : pools_.all()) {
    if (p.pinned_for(*w.svc)) pinned.push_back(&p);
  }
  std::stable_sort(pinned.begin(), pinned.end(), [](const pool* a, const pool* b) {
    if (a->priority == 0) return false;
    if (b->priority == 0) return true;
    return a->priority < b->priority;
  });
  for (const pool* p : pinned) {
    if (from_pool(w, *p, out).empty()) {
      chosen = p;
      return "";
    }
  }
  std::vector<const pool*> considered = pinned;
  for (const auto& p : pools_.all()) {
    if (!p.auto_assign || p.has_allocation) continue;
    considered.push_back(&p);
    if (from_pool(w, p, out).empty()) {
      chosen = &p;
      return "";
    }
  }
  return no_available_ips(w, considered);
}

// MetalLB's "no available IPs", and why when it is not only that the pools are full: no
// pool is open to the service, or none offers its families (a dual-stack service takes
// both addresses from one pool, MetalLB's rule).
std::string engine::no_available_ips(const work& w, const std::vector<const pool*>& considered) const {
  const std::string head = "no available IPs";
  if (pools_.all().empty()) return head + ": there is no IPAddressPool";
  if (considered.empty()) {
    return head + ": no pool is open to this service (autoAssign: false pools serve only services that name "
                  "them, pools with serviceAllocation only the services it selects)";
  }
  auto offers = [&](const pool& p) {
    const auto has = [&](model::ip_family f) { return p.has_family(f); };
    return w.need.prefer_dual ? std::any_of(w.need.families.begin(), w.need.families.end(), has)
                              : std::all_of(w.need.families.begin(), w.need.families.end(), has);
  };
  if (std::any_of(considered.begin(), considered.end(), [&](const pool* p) { return offers(*p); })) return head;
  std::string list;
  for (const pool* p : considered) {
    std::string families;
    for (auto f : {model::ip_family::v4, model::ip_family::v6}) {
      if (p->has_family(f)) families += std::string(families.empty() ? "" : ", ") + family_name(f);
    }
    list += (list.empty() ? "" : ", ") + p->name + " (" + families + ")";
  }
  std::string want = "both IPv4 and IPv6, and a dual-stack service takes both addresses from one pool";
  if (w.need.families.size() == 1) want = family_name(w.need.families[0]);
  else if (w.need.prefer_dual) want = "IPv4 or IPv6";
  return head + ": no pool offers " + want + "; pools considered: " + list;
}

// PreferDualStack with one family: try to add the other from the same pool.
void engine::add_missing_family(work& w, const pool& p) {
  slot& e = slots_[w.id];
  for (auto f : w.need.families) {
    bool have = false;
    for (const auto ip : e.ips) have = have || ip.family() == f;
    if (have) continue;
    for (const auto& r : p.ranges) {
      if (r.family() != f) continue;
      if (auto ip = usage_.first_available(w.id, r, p.avoid_buggy_ips)) {
        e.ips.push_back(*ip);
        use_ip(w.id, *ip);
        event(w.id, "Normal", reason::ip_allocated, "Assigned additional IP \"" + ip->to_string() + "\"");
        break;
      }
    }
  }
  if (e.ips.size() < w.need.families.size()) additional_failed(w, p);
}

void engine::additional_failed(const work& w, const pool& p) {
  const auto have = slots_[w.id].ips[0].family();
  const auto other = have == model::ip_family::v4 ? "ipv6" : "ipv4";
  event(w.id, "Normal", reason::additional_assign_failed,
        "cannot assign additional IP in PreferDualStack: no available IPs in pool \"" + p.name + "\" for " +
            std::string(other) + " IPFamily");
}

}  // namespace detail

result allocate(const model::snapshot& s, const model::ledger& previous, const options& opts) {
  return detail::engine(s, previous, opts).current();
}

}  // namespace controller
