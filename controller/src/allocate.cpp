// controller::allocate (see allocate.hpp). Two passes over the LoadBalancer services:
// first every service that already has addresses (ledger entries, then status ingress)
// keeps or loses them, so nothing new can take an address that a later service is about
// to restore; then every service still without addresses is allocated, in that same
// order. Within a pass, services go in namespace/name order.
#include "controller/allocate.hpp"

#include <algorithm>
#include <limits>

#include "controller/events.hpp"
#include "pools.hpp"
#include "service_info.hpp"
#include "usage.hpp"

namespace controller {

namespace {

using detail::pool;

std::string family_word(const detail::family_need& n) {
  if (n.families.size() == 2) return "dual";
  return n.families.at(0) == model::ip_family::v4 ? "ipv4" : "ipv6";
}

bool same_set(std::vector<model::ip_address> a, std::vector<model::ip_address> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

bool fits(const std::vector<model::ip_address>& ips, const detail::family_need& n) {
  if (ips.empty() || ips.size() > n.families.size()) return false;
  if (ips.size() == 2 && ips[0].family() == ips[1].family()) return false;
  for (const auto& ip : ips) {
    if (std::find(n.families.begin(), n.families.end(), ip.family()) == n.families.end()) return false;
  }
  return ips.size() == n.families.size() || n.prefer_dual;
}

class allocator {
 public:
  allocator(const model::snapshot& s, const model::ledger& previous, const options& opts)
      : previous_(previous), opts_(opts), pools_(s), usage_(sharers_) {
    for (const auto& [key, svc] : s.all<model::service>()) {
      const bool ours = opts.load_balancer_class ? svc.load_balancer_class == opts.load_balancer_class
                                                 : !svc.load_balancer_class.has_value();
      if (!ours || svc.type != "LoadBalancer") continue;
      entry e;
      e.svc = &svc;
      sharers_.push_back(detail::sharer_of(svc, e.events));
      entries_.push_back(std::move(e));
    }
    std::map<model::name_key, const model::ledger_entry*> by_key;
    for (const auto& le : previous.entries) by_key[{le.ns, le.name}] = &le;
    for (auto& e : entries_) {
      auto it = by_key.find({e.svc->meta.ns, e.svc->meta.name});
      if (it == by_key.end()) continue;
      e.previous = it->second;
      by_key.erase(it);
    }
    // Entries left belong to services that are gone (or no longer ours): their addresses
    // are held from now on, already for this run.
    for (const auto& [key, le] : by_key) {
      if (opts.hold_down.count() <= 0) break;
      for (const auto& ip : le->ips) {
        usage_.hold(ip, key.ns + "/" + key.name);
        held_for_[key.ns + "/" + key.name].push_back(ip);
      }
    }
    for (const auto& h : previous.holds) {
      if (h.released_at + opts.hold_down.count() <= opts.now) continue;
      usage_.hold(h.ip, h.ns + "/" + h.name);
      held_for_[h.ns + "/" + h.name].push_back(h.ip);
      holds_.push_back(h);
    }
  }

  result run() {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].previous != nullptr) order.push_back(i);
    }
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].previous == nullptr && !entries_[i].svc->ingress_ips.empty()) order.push_back(i);
    }
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].previous == nullptr && entries_[i].svc->ingress_ips.empty()) order.push_back(i);
    }
    for (auto id : order) restore(id);
    for (auto id : order) {
      if (entries_[id].pending) allocate_new(id);
    }
    result r;
    r.ledger = next_ledger();
    for (auto& e : entries_) {
      r.services.push_back({e.svc->meta.ns, e.svc->meta.name, e.ips, e.pool, std::move(e.events)});
    }
    r.pools = pool_status();
    return r;
  }

 private:
  struct entry {
    const model::service* svc = nullptr;
    const model::ledger_entry* previous = nullptr;
    std::vector<model::ip_address> ips;
    std::string pool;
    bool pending = false;  // needs allocate_new
    detail::family_need need;
    detail::requested_ips request;
    std::optional<std::string> pool_annotation;
    std::vector<model::event> events;
  };

  std::string name_of(std::size_t id) const { return sharers_[id].name; }

  void event(std::size_t id, std::string_view type, std::string_view why, std::string message) {
    entries_[id].events.push_back({std::string(type), std::string(why), std::move(message)});
  }

  void take(std::size_t id, std::vector<model::ip_address> ips, std::string pool_name) {
    for (const auto& ip : ips) usage_.add(id, ip);
    entries_[id].ips = std::move(ips);
    entries_[id].pool = std::move(pool_name);
  }

  // MetalLB convergeBalancer steps 1-4: keep, or clear for reallocation.
  void restore(std::size_t id) {
    entry& e = entries_[id];
    const model::service& s = *e.svc;
    e.need = detail::needs(s);
    if (e.need.families.empty()) return;  // no cluster IPs yet: nothing to do
    if (s.family_policy == model::ip_family_policy::require_dual_stack && e.need.families.size() < 2) {
      event(id, "Warning", reason::no_cluster_ips_family, "not enough clusterips");
      return;
    }
    e.request = detail::requested(s, e.events);
    e.pool_annotation = detail::annotation(s, "address-pool", e.events);
    if (e.pool_annotation && e.pool_annotation->empty()) e.pool_annotation.reset();

    const std::vector<model::ip_address>& current = e.previous ? e.previous->ips : s.ingress_ips;
    e.pending = true;
    if (current.empty()) return;

    const pool* p = pools_.pool_of(current);
    // Stranded: recorded in the ledger, and every address is either in no pool any more
    // or still in the pool the ledger names (a dual-stack pool that lost one family).
    const bool stranded = p == nullptr && e.previous != nullptr &&
                          std::all_of(current.begin(), current.end(), [&](model::ip_address ip) {
                            const pool* q = pools_.pool_of(ip);
                            return q == nullptr || q->name == e.previous->pool;
                          });
    std::string clear;
    if (p == nullptr && !stranded) {
      clear = detail::quote(current) + " is not allowed in config";
    } else if (p != nullptr && !p->compatible(s)) {
      clear = "pool " + p->name + " not compatible for ip assignment";
    }
    for (const auto& ip : current) {
      if (!clear.empty()) break;
      clear = usage_.check(id, ip);
    }
    const std::string current_pool = p != nullptr ? p->name : e.previous != nullptr ? e.previous->pool : "";
    const bool user_changed = (e.pool_annotation && *e.pool_annotation != current_pool) ||
                              (!e.request.ips.empty() && !same_set(e.request.ips, current)) || !fits(current, e.need);
    if (!clear.empty()) {
      event(id, "Normal", reason::clear_assignment,
            "current IP " + detail::quote(current) + " not allowed by config, clearing: " + clear);
      return;
    }
    if (user_changed) return;

    e.pending = false;
    if (!e.request.error.empty()) {
      event(id, "Warning", reason::load_balancer_failed,
            "Failed to allocate IP for \"" + name_of(id) + "\": " + e.request.error);
    }
    take(id, current, current_pool);
    if (stranded) {
      for (const auto& ip : current) {
        if (pools_.pool_of(ip) != nullptr) continue;
        event(id, "Warning", reason::pool_removed, "address " + ip.to_string() + " no longer in any pool");
      }
      return;
    }
    if (e.ips.size() < e.need.families.size()) add_missing_family(id, *p);
  }

  void allocate_new(std::size_t id) {
    entry& e = entries_[id];
    if (!e.request.error.empty()) {
      event(id, "Warning", reason::load_balancer_failed,
            "Failed to allocate IP for \"" + name_of(id) + "\": " + e.request.error);
      return;
    }
    std::vector<model::ip_address> ips;
    const pool* p = nullptr;
    std::string err;
    if (!e.request.ips.empty()) {
      ips = e.request.ips;
      err = assign_requested(id, ips, p);
    } else if (e.pool_annotation) {
      p = pools_.find(*e.pool_annotation);
      err = p == nullptr ? "unknown pool \"" + *e.pool_annotation + "\"" : from_pool(id, *p, ips);
    } else {
      err = from_any_pool(id, ips, p);
    }
    if (!err.empty()) {
      event(id, "Warning", reason::allocation_failed, "Failed to allocate IP for \"" + name_of(id) + "\": " + err);
      return;
    }
    take(id, ips, p->name);
    event(id, "Normal", reason::ip_allocated, "Assigned IP " + detail::quote(e.ips));
    if (e.ips.size() < e.need.families.size()) additional_failed(id, *p);
  }

  // MetalLB allocateIPs with requested addresses, then Assign.
  std::string assign_requested(std::size_t id, const std::vector<model::ip_address>& ips, const pool*& p) {
    const entry& e = entries_[id];
    std::vector<model::ip_family> want = e.need.families;
    std::vector<model::ip_family> got;
    for (const auto& ip : ips) got.push_back(ip.family());
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    if (want != got) {
      return "requested loadBalancer IP(s) " + detail::quote(ips) + " does not match the ipFamily of the service";
    }
    p = pools_.pool_of(ips);
    if (p == nullptr) return detail::quote(ips) + " is not allowed in config";
    if (e.pool_annotation && *e.pool_annotation != p->name) {
      return "requested IP(s) " + detail::quote(ips) + " are not in pool \"" + *e.pool_annotation + "\"";
    }
    for (const auto& ip : ips) {
      if (auto why = usage_.check(id, ip); !why.empty()) return why;
    }
    if (!p->compatible(*e.svc)) return "pool " + p->name + " not compatible for ip assignment";
    return "";
  }

  // MetalLB AllocateFromPool: one pass per family over the ranges in spec order.
  std::string from_pool(std::size_t id, const pool& p, std::vector<model::ip_address>& out) {
    const entry& e = entries_[id];
    if (!p.compatible(*e.svc)) return "pool " + p.name + " not compatible for ip assignment";
    std::vector<model::ip_family> missing = e.need.families;
    out.clear();
    for (const auto& r : p.ranges) {
      auto it = std::find(missing.begin(), missing.end(), r.family());
      if (it == missing.end()) continue;
      if (auto ip = usage_.first_available(id, r, p.avoid_buggy_ips)) {
        out.push_back(*ip);
        missing.erase(it);
      }
    }
    if (missing.empty() || (e.need.prefer_dual && !out.empty())) return "";
    out.clear();
    return "no available IPs in pool \"" + p.name + "\" for " + family_word(e.need) + " IPFamily";
  }

  // MetalLB Allocate: the service's own held address, pinned pools by priority, then
  // auto-assign pools without serviceAllocation (by name, not Go map order).
  std::string from_any_pool(std::size_t id, std::vector<model::ip_address>& out, const pool*& chosen) {
    const entry& e = entries_[id];
    if (auto it = held_for_.find(name_of(id)); it != held_for_.end()) {
      std::vector<model::ip_address> mine;
      for (auto f : e.need.families) {
        for (const auto& ip : it->second) {
          if (ip.family() == f && std::find(mine.begin(), mine.end(), ip) == mine.end()) {
            mine.push_back(ip);
            break;
          }
        }
      }
      const pool* p = pools_.pool_of(mine);
      if (p != nullptr && p->auto_assign && p->compatible(*e.svc) && fits(mine, e.need) &&
          std::all_of(mine.begin(), mine.end(), [&](model::ip_address ip) { return usage_.check(id, ip).empty(); })) {
        out = mine;
        chosen = p;
        return "";
      }
    }
    std::vector<const pool*> pinned;
    for (const auto& p : pools_.all()) {
      if (p.pinned_for(*e.svc)) pinned.push_back(&p);
    }
    std::stable_sort(pinned.begin(), pinned.end(), [](const pool* a, const pool* b) {
      if (a->priority == 0) return false;
      if (b->priority == 0) return true;
      return a->priority < b->priority;
    });
    for (const pool* p : pinned) {
      if (from_pool(id, *p, out).empty()) {
        chosen = p;
        return "";
      }
    }
    for (const auto& p : pools_.all()) {
      if (!p.auto_assign || p.has_allocation) continue;
      if (from_pool(id, p, out).empty()) {
        chosen = &p;
        return "";
      }
    }
    return "no available IPs";
  }

  // PreferDualStack with one family: try to add the other from the same pool.
  void add_missing_family(std::size_t id, const pool& p) {
    entry& e = entries_[id];
    for (auto f : e.need.families) {
      if (std::any_of(e.ips.begin(), e.ips.end(), [&](model::ip_address ip) { return ip.family() == f; })) continue;
      for (const auto& r : p.ranges) {
        if (r.family() != f) continue;
        if (auto ip = usage_.first_available(id, r, p.avoid_buggy_ips)) {
          usage_.add(id, *ip);
          e.ips.push_back(*ip);
          break;
        }
      }
    }
    if (e.ips.size() < e.need.families.size()) additional_failed(id, p);
  }

  void additional_failed(std::size_t id, const pool& p) {
    const entry& e = entries_[id];
    const auto have = e.ips.at(0).family();
    const auto other = have == model::ip_family::v4 ? "IPv6" : "IPv4";
    event(id, "Normal", reason::additional_assign_failed,
          "Failed to allocate additional " + std::string(other) + " address for \"" + name_of(id) +
              "\": no available IPs in pool \"" + p.name + "\"");
  }

  model::ledger next_ledger() const {
    model::ledger l;
    for (const auto& e : entries_) {
      if (e.ips.empty()) continue;
      model::ledger_entry le{e.svc->meta.ns, e.svc->meta.name, e.ips, e.pool, opts_.now};
      if (e.previous != nullptr && same_set(e.previous->ips, e.ips) && e.previous->pool == e.pool) {
        le.since = e.previous->since;
      }
      l.entries.push_back(std::move(le));
    }
    std::map<model::ip_address, model::ledger_hold> holds;
    for (const auto& h : holds_) {
      if (!usage_.all().contains(h.ip)) holds[h.ip] = h;
    }
    std::map<model::name_key, const entry*> current;
    for (const auto& e : entries_) current[{e.svc->meta.ns, e.svc->meta.name}] = &e;
    for (const auto& pe : previous_.entries) {
      if (opts_.hold_down.count() <= 0) break;
      auto it = current.find({pe.ns, pe.name});
      for (const auto& ip : pe.ips) {
        const bool kept = it != current.end() &&
                          std::find(it->second->ips.begin(), it->second->ips.end(), ip) != it->second->ips.end();
        if (kept || usage_.all().contains(ip)) continue;
        holds[ip] = model::ledger_hold{ip, pe.ns, pe.name, pe.pool, opts_.now};
      }
    }
    for (auto& [ip, h] : holds) l.holds.push_back(std::move(h));
    const bool same = l.entries == previous_.entries && l.holds == previous_.holds;
    l.revision = previous_.revision + (same ? 0 : 1);
    return l;
  }

  std::vector<model::pool_status> pool_status() const {
    std::map<std::string, model::pool_status> out;
    for (const auto& p : pools_.all()) {
      auto& st = out[p.name];
      st.name = p.name;
      st.available_ipv4 = p.size(model::ip_family::v4);
      st.available_ipv6 = p.size(model::ip_family::v6);
    }
    for (const auto& [ip, use] : usage_.all()) {
      if (const pool* p = pools_.pool_of(ip)) {
        auto& st = out[p->name];
        const bool v4 = ip.family() == model::ip_family::v4;
        ++(v4 ? st.assigned_ipv4 : st.assigned_ipv6);
        auto& avail = v4 ? st.available_ipv4 : st.available_ipv6;
        if (avail != std::numeric_limits<std::int64_t>::max()) --avail;
      } else if (!use.services.empty()) {
        const auto& name = entries_[use.services.front()].pool;
        auto& st = out[name];
        st.name = name;
        ++st.stranded;
      }
    }
    std::vector<model::pool_status> v;
    for (auto& [name, st] : out) v.push_back(std::move(st));
    return v;
  }

  const model::ledger& previous_;
  const options& opts_;
  detail::pool_table pools_;
  std::vector<detail::sharer> sharers_;
  std::vector<entry> entries_;
  detail::usage usage_;
  std::map<std::string, std::vector<model::ip_address>> held_for_;
  std::vector<model::ledger_hold> holds_;
};

}  // namespace

result allocate(const model::snapshot& s, const model::ledger& previous, const options& opts) {
  return allocator(s, previous, opts).run();
}

}  // namespace controller
