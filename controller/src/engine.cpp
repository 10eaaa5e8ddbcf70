// The allocator's state between passes (see engine.hpp, incremental.hpp): which slots
// serve which services, address usage, the ledger's holds and the pool counters, and
// which services a change obliges a pass to re-run.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <queue>
#include <utility>

#include "engine.hpp"

#include "controller/events.hpp"

namespace controller {

namespace detail {

namespace {

std::string owner_of(const model::name_ref& k) { return service_key(k.ns, k.name); }

}  // namespace

void ip_pair::push_back(model::ip_address ip) {
  if (size_ == 2) {
    std::cerr << "controller: a service with a third address\n";
    std::abort();
  }
  for (int w = 0; w < 4; ++w) words_[size_][w] = static_cast<std::uint32_t>(ip.value() >> (32 * (3 - w)));
  if (ip.family() == model::ip_family::v6) v6_ = static_cast<std::uint8_t>(v6_ | 1u << size_);
  ++size_;
}

model::ip_address ip_pair::operator[](std::size_t i) const {
  if ((v6_ >> i & 1) == 0) return model::ip_address::v4(words_[i][3]);
  model::uint128 v = 0;
  for (int w = 0; w < 4; ++w) v = v << 32 | words_[i][w];
  return model::ip_address::v6(v);
}

bool ip_pair::contains(model::ip_address ip) const {
  for (std::size_t i = 0; i < size_; ++i) {
    if ((*this)[i] == ip) return true;
  }
  return false;
}

std::vector<model::ip_address> ip_pair::vector() const {
  std::vector<model::ip_address> out;
  for (std::size_t i = 0; i < size_; ++i) out.push_back((*this)[i]);
  return out;
}

engine::engine(const model::snapshot& s, const model::ledger& previous, const options& opts)
    : opts_(opts), pools_(s), revision_(previous.revision) {
  for (const auto& p : pools_.all()) {
    auto& st = pool_status_[p.name];
    st.name = p.name;
    st.available_ipv4 = p.size(model::ip_family::v4);
    st.available_ipv6 = p.size(model::ip_family::v6);
  }
  std::map<model::name_ref, const model::ledger_entry*> by_key;  // views into `previous`
  for (const auto& le : previous.entries) by_key[{le.ns, le.name}] = &le;
  std::vector<work> items;
  items.reserve(s.all<model::service>().size());  // grown by doubling, the old and the new buffer were the peak
  for (const auto& [key, svc] : s.all<model::service>()) {
    if (!ours(svc)) continue;
    work w;
    w.id = new_slot(key);
    w.svc = &svc;
    if (auto it = by_key.find(key); it != by_key.end()) {
      w.previous = held_entry{it->second->ips, it->second->pool, it->second->since};
      by_key.erase(it);
    }
    items.push_back(std::move(w));
  }
  // Entries left belong to services that are gone (or no longer ours): their addresses
  // are held from now on, already for this pass.
  std::vector<std::pair<model::name_key, held_entry>> gone;
  for (const auto& [key, le] : by_key) {
    gone.push_back({key.owned(), held_entry{le->ips, le->pool, le->since}});
    if (opts_.hold_down.count() <= 0) continue;
    for (const auto& ip : le->ips) {
      usage_.hold(ip, owner_of(key));
      held_for_[owner_of(key)].insert(ip);
    }
  }
  for (const auto& h : previous.holds) {
    if (h.released_at + opts_.hold_down.count() <= opts_.now) continue;
    usage_.hold(h.ip, service_key(h.ns, h.name));
    held_for_[service_key(h.ns, h.name)].insert(h.ip);
    holds_[h.ip] = h;
    expiry_.insert({h.released_at, h.ip});
  }
  run(std::move(items), gone);
  revision_ = previous.revision + (same_ledger(previous) ? 0 : 1);
}

// Whether current().ledger would equal `l` (its revision aside), compared in place:
// building the whole result here doubled the first pass's peak (docs/memory.md).
bool engine::same_ledger(const model::ledger& l) const {
  auto entry = l.entries.begin();
  for (const auto id : ids_) {
    const slot& e = slots_[id];
    if (e.ips.empty()) continue;
    if (entry == l.entries.end() || entry->since != e.since || entry->pool != pool_name(e) ||
        entry->ips.size() != e.ips.size())
      return false;
    if (!std::equal(entry->ips.begin(), entry->ips.end(), e.ips.begin())) return false;
    const std::string_view key = names_[id];
    const auto nul = key.find('\0');
    if (entry->ns != key.substr(0, nul) || entry->name != key.substr(nul + 1)) return false;
    ++entry;
  }
  if (entry != l.entries.end() || l.holds.size() != holds_.size()) return false;
  return std::equal(holds_.begin(), holds_.end(), l.holds.begin(),
                    [](const auto& held, const model::ledger_hold& h) { return held.second == h; });
}

bool engine::ours(const model::service& s) const {
  const bool cls = opts_.load_balancer_class ? s.extra->load_balancer_class == opts_.load_balancer_class
                                             : !s.extra->load_balancer_class.has_value();
  return cls && s.type == "LoadBalancer";
}

bool engine::needs_full_pass(const model::change_set& changes) const {
  // Namespaces matter only through serviceAllocation.namespaceSelectors.
  const bool selectors = std::any_of(pools_.all().begin(), pools_.all().end(),
                                     [](const pool& p) { return p.namespace_constrained; });
  for (const auto* list : {&changes.added, &changes.modified, &changes.removed}) {
    for (const auto& k : *list) {
      if (k.kind == model::kind::ip_address_pool) return true;
      if (k.kind == model::kind::namespace_ && selectors) return true;
    }
  }
  return false;
}

std::size_t engine::new_slot(const model::name_ref& key) {
  std::size_t id = slots_.size();
  if (!free_slots_.empty()) {
    id = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (id > UINT32_MAX) {
      std::cerr << "controller: more than 2^32 services\n";
      std::abort();
    }
    slots_.emplace_back();
    names_.emplace_back();
  }
  slots_[id] = slot{};
  names_[id] = service_key(key.ns, key.name);
  // A full pass adds services in name order: then the hint makes this O(1).
  ids_.insert(ids_.end(), static_cast<std::uint32_t>(id));
  return id;
}

void engine::release(std::size_t id) {
  ids_.erase(static_cast<std::uint32_t>(id));  // by name: before the name goes
  unsettled_.erase(id);
  events_.erase(static_cast<std::uint32_t>(id));
  usage_.set_sharing(id, {});
  slots_[id] = slot{};
  std::string().swap(names_[id]);
  free_slots_.push_back(id);
}

void engine::add_events(std::size_t id, std::vector<model::event> events) {
  if (events.empty()) return;
  auto& mine = events_of(id);
  mine.insert(mine.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
}

model::name_key engine::key_of(std::size_t id) const {
  const std::string& k = names_[id];
  const auto nul = k.find('\0');
  return {k.substr(0, nul), k.substr(nul + 1)};
}

std::uint32_t engine::pool_id(const std::string& name) {
  if (auto it = pool_ids_.find(name); it != pool_ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(pool_names_.size());
  pool_names_.push_back(name);
  pool_ids_.emplace(name, id);
  return id;
}

model::service_status engine::status_of(std::size_t id) const {
  const slot& e = slots_[id];
  auto k = key_of(id);
  auto ev = events_.find(static_cast<std::uint32_t>(id));
  return {std::move(k.ns), std::move(k.name), e.ips.vector(), pool_name(e),
          ev == events_.end() ? std::vector<model::event>{} : ev->second};
}

void engine::touch_pool(const std::string& name) {
  if (pools_before_.contains(name)) return;
  auto it = pool_status_.find(name);
  pools_before_[name] = it == pool_status_.end() ? std::nullopt : std::optional(it->second);
}

// Pool counters follow usage: an address counts once, whoever and however many use it.
void engine::count(model::ip_address ip, const std::string& pool_name, int delta) {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  if (const pool* p = pools_.pool_of(ip)) {
    touch_pool(p->name);
    auto& st = pool_status_[p->name];
    const bool v4 = ip.family() == model::ip_family::v4;
    (v4 ? st.assigned_ipv4 : st.assigned_ipv6) += delta;
    auto& avail = v4 ? st.available_ipv4 : st.available_ipv6;
    if (avail != max) avail -= delta;
    return;
  }
  std::string name = pool_name;
  if (delta > 0) {
    stranded_[ip] = name;
  } else {
    auto it = stranded_.find(ip);
    name = it->second;
    stranded_.erase(it);
  }
  if (name.empty()) return;  // stranded with no pool on record: counted against none
  touch_pool(name);
  auto& st = pool_status_[name];
  st.name = name;
  st.stranded += delta;
  if (st.stranded == 0 && pools_.find(name) == nullptr) pool_status_.erase(name);
}

void engine::use_ip(std::size_t id, model::ip_address ip) {
  const bool fresh = !usage_.used(ip);
  usage_.add(id, ip);
  if (fresh) count(ip, pool_name(slots_[id]), +1);
}

void engine::drop_ip(std::size_t id, model::ip_address ip) {
  usage_.remove(id, ip);
  if (!usage_.used(ip)) count(ip, "", -1);
}

void engine::add_hold(const model::ledger_hold& h) {
  drop_hold(h.ip);
  holds_[h.ip] = h;
  expiry_.insert({h.released_at, h.ip});
  held_for_[service_key(h.ns, h.name)].insert(h.ip);
  usage_.hold(h.ip, service_key(h.ns, h.name));
  ledger_changed_ = true;
}

// Forgets a hold of the ledger; usage_ is the caller's business.
void engine::drop_hold(model::ip_address ip) {
  auto it = holds_.find(ip);
  if (it == holds_.end()) return;
  const std::string owner = service_key(it->second.ns, it->second.name);
  if (auto o = held_for_.find(owner); o != held_for_.end()) {
    o->second.erase(ip);
    if (o->second.empty()) held_for_.erase(o);
  }
  expiry_.erase({it->second.released_at, ip});
  holds_.erase(it);
  ledger_changed_ = true;
}

void engine::expire_holds() {
  while (!expiry_.empty() && expiry_.begin()->first + opts_.hold_down.count() <= opts_.now) {
    const auto ip = expiry_.begin()->second;
    drop_hold(ip);
    usage_.unhold(ip);
  }
}

// One pass over `items` (services to re-run, in namespace/name order; every other service
// keeps its result) and `gone` (ledger entries of services that left, their addresses
// already held).
void engine::run(std::vector<work> items, const std::vector<std::pair<model::name_key, held_entry>>& gone) {
  for (auto& w : items) {
    slot& e = slots_[w.id];
    events_.erase(static_cast<std::uint32_t>(w.id));
    e.ips.clear();
    e.pool = 0;
    std::vector<model::event> warnings;
    usage_.set_sharing(w.id, sharing_keys(*w.svc, warnings));
    add_events(w.id, std::move(warnings));
    w.group = w.previous ? 0 : !w.svc->ingress_ips.empty() ? 1 : 2;
  }
  // Order: group, then namespace/name. Callers pass items in namespace/name order (a
  // snapshot table, a std::set of keys), so checking costs n comparisons and grouping
  // keeps that order within a group.
  const by_name order{&names_};
  const auto by_key = [&](const work& a, const work& b) {
    return order(static_cast<std::uint32_t>(a.id), static_cast<std::uint32_t>(b.id));
  };
  if (!std::is_sorted(items.begin(), items.end(), by_key)) std::sort(items.begin(), items.end(), by_key);
  const auto by_group = [](const work& a, const work& b) { return a.group < b.group; };
  if (!std::is_sorted(items.begin(), items.end(), by_group)) {
    std::vector<work> grouped;
    grouped.reserve(items.size());
    for (int g = 0; g <= 2; ++g) {
      for (auto& w : items) {
        if (w.group == g) grouped.push_back(std::move(w));
      }
    }
    items = std::move(grouped);
  }
  for (auto& w : items) restore(w);
  for (auto& w : items) {
    if (w.pending || w.add_family) allocate_new(w);
  }
  for (const auto& w : items) {
    slot& e = slots_[w.id];
    const auto ips = e.ips.vector();
    e.since = opts_.now;
    if (w.previous && same_addresses(w.previous->ips, ips) && w.previous->pool == pool_name(e)) {
      e.since = w.previous->since;
    }
    const bool had = w.previous.has_value();
    if (had != !e.ips.empty() ||
        (had && (w.previous->ips != ips || w.previous->pool != pool_name(e) || w.previous->since != e.since))) {
      ledger_changed_ = true;
    }
    // Settled: kept what the ledger recorded, with nothing left to try, or has nothing to
    // ask for. Everything else runs again next pass, as a full pass would run it.
    const bool settled = e.ips.empty() ? !w.pending : (had && !w.pending && !w.add_family);
    if (settled) unsettled_.erase(w.id);
    else unsettled_.insert(w.id);
  }
  settle_holds(items, gone);
}

// The ledger's holds after a pass: earlier holds whose address someone took are gone;
// addresses a service had and no longer has, and nobody took, are held for it from now.
void engine::settle_holds(const std::vector<work>& items,
                          const std::vector<std::pair<model::name_key, held_entry>>& gone) {
  for (const auto& w : items) {
    for (const auto& ip : slots_[w.id].ips) drop_hold(ip);
  }
  auto release = [&](const model::name_key& key, const held_entry& prev, const ip_pair& kept) {
    for (const auto& ip : prev.ips) {
      if (kept.contains(ip) || usage_.used(ip)) continue;
      if (opts_.hold_down.count() > 0) add_hold({ip, key.ns, key.name, prev.pool, opts_.now});
    }
  };
  for (const auto& w : items) {
    if (w.previous) release(key_of(w.id), *w.previous, slots_[w.id].ips);
  }
  for (const auto& [key, prev] : gone) {
    ledger_changed_ = true;
    release(key, prev, ip_pair{});
    // Held at the start of the pass but taken since: no longer held for the owner.
    const std::string owner = owner_of(key);
    auto o = held_for_.find(owner);
    if (o == held_for_.end()) continue;
    for (const auto& ip : prev.ips) {
      if (!holds_.contains(ip)) o->second.erase(ip);
    }
    if (o->second.empty()) held_for_.erase(o);
  }
}

// What a re-run of a service that no change names gives is known when the last pass gave
// it every address it needs and it reported only IPAllocated: no deprecated spelling, no
// malformed request, no other family to add (restore() and sharing_keys() would find the
// same again in the same object), and no other service uses its addresses (so none of
// them is re-run for it). Pools and namespaces are unchanged since that pass (a change
// to either is a full pass), so restore() keeps its addresses and reports nothing: its
// status is the same less the event, its ledger entry the same. The property test
// (incremental_equals_full) holds it to the full pass.
bool engine::settles_unchanged(const model::snapshot& s, std::size_t id, const model::name_key& key) const {
  const slot& e = slots_[id];
  if (e.ips.empty()) return false;
  const auto ev = events_.find(static_cast<std::uint32_t>(id));
  if (ev == events_.end() || ev->second.size() != 1 || ev->second.front().reason != reason::ip_allocated) return false;
  for (const auto& ip : e.ips) {
    if (usage_.shared(ip)) return false;
  }
  const model::service* svc = s.find<model::service>(key.ns, key.name);
  return svc != nullptr && ours(*svc) && needs(*svc).families.size() == e.ips.size();
}

incremental_allocator::delta engine::apply(const model::snapshot& s, const model::change_set& changes,
                                           std::int64_t now) {
  delta_ = {};
  pools_before_.clear();
  ledger_changed_ = false;
  opts_.now = now;
  expire_holds();

  std::set<model::name_key> keys;
  for (const auto* list : {&changes.added, &changes.modified, &changes.removed}) {
    for (const auto& k : *list) {
      if (k.kind == model::kind::service) keys.insert({k.ns, k.name});
    }
  }
  // A service given its addresses in the last pass, with nothing else to report, is
  // unsettled only until a pass drops that pass's IPAllocated event. Unless the change set
  // names it, its re-run is known: it keeps what it has and reports nothing
  // (settles_unchanged), so it is settled here without one. At a cold start that is every
  // service, in the pass that follows the first.
  std::vector<std::pair<std::size_t, model::name_key>> settling;
  for (auto id : unsettled_) {
    auto key = key_of(id);
    if (settles_unchanged(s, id, key)) settling.emplace_back(id, std::move(key));
    else keys.insert(std::move(key));
  }
  // Services sharing an address with one that is re-run are re-run too: a full pass
  // restores them in name order, and the later of two that no longer fit is the one cleared.
  std::queue<model::name_key> todo;
  for (const auto& k : keys) todo.push(k);
  while (!todo.empty()) {
    auto it = ids_.find(owner_of(todo.front()));
    todo.pop();
    if (it == ids_.end()) continue;
    for (const auto& ip : slots_[*it].ips) {
      for (auto other : usage_.users(ip)) {
        auto k = key_of(other);
        if (keys.insert(k).second) todo.push(std::move(k));
      }
    }
  }

  for (auto& [id, key] : settling) {
    if (keys.contains(key)) continue;  // changed: re-run with the rest
    events_.erase(static_cast<std::uint32_t>(id));
    unsettled_.erase(id);
    delta_.services.push_back(std::move(key));  // its status lost the event
  }

  std::vector<work> items;
  std::vector<std::pair<model::name_key, held_entry>> gone;
  std::map<model::name_key, model::service_status> before;
  for (const auto& key : keys) {
    const model::service* svc = s.find<model::service>(key.ns, key.name);
    if (svc != nullptr && !ours(*svc)) svc = nullptr;
    std::optional<held_entry> prev;
    auto it = ids_.find(owner_of(key));
    if (it != ids_.end()) {
      const std::size_t id = *it;
      before[key] = status_of(id);
      slot& e = slots_[id];
      if (!e.ips.empty()) prev = held_entry{e.ips.vector(), pool_name(e), e.since};
      for (const auto& ip : e.ips) drop_ip(id, ip);
      e.ips.clear();
      if (svc == nullptr) {
        if (prev) {
          gone.push_back({key, *prev});
          for (const auto& ip : prev->ips) {
            if (opts_.hold_down.count() <= 0) break;
            usage_.hold(ip, owner_of(key));
            held_for_[owner_of(key)].insert(ip);
          }
        }
        release(id);
        delta_.services.push_back(key);
        continue;
      }
    }
    if (svc == nullptr) continue;
    work w;
    w.id = it != ids_.end() ? *it : new_slot(key);
    w.svc = svc;
    w.previous = std::move(prev);
    items.push_back(std::move(w));
  }
  delta_.rerun = items.size();
  std::vector<std::size_t> ran;
  for (const auto& w : items) ran.push_back(w.id);
  run(std::move(items), gone);

  for (auto id : ran) {
    auto st = status_of(id);
    auto key = key_of(id);
    auto b = before.find(key);
    if (b == before.end() || !(b->second == st)) delta_.services.push_back(std::move(key));
  }
  std::sort(delta_.services.begin(), delta_.services.end());
  for (const auto& [name, old] : pools_before_) {
    auto it = pool_status_.find(name);
    const auto now_st = it == pool_status_.end() ? std::nullopt : std::optional(it->second);
    if (now_st != old) delta_.pools = true;
  }
  if (ledger_changed_) ++revision_;
  delta_.ledger = ledger_changed_;
  return std::exchange(delta_, {});
}

result engine::current() const {
  result r;
  r.ledger.revision = revision_;
  r.services.reserve(ids_.size());
  r.ledger.entries.reserve(ids_.size());
  for (const auto id : ids_) {
    const slot& e = slots_[id];
    r.services.push_back(status_of(id));
    const auto& st = r.services.back();
    if (!e.ips.empty()) r.ledger.entries.push_back({st.ns, st.name, st.ingress, pool_name(e), e.since});
  }
  for (const auto& [ip, h] : holds_) r.ledger.holds.push_back(h);
  for (const auto& [name, st] : pool_status_) r.pools.push_back(st);
  return r;
}

}  // namespace detail

incremental_allocator::incremental_allocator(const model::snapshot& s, const model::ledger& previous,
                                             const options& opts)
    : engine_(std::make_unique<detail::engine>(s, previous, opts)), options_(opts) {}

incremental_allocator::~incremental_allocator() = default;
incremental_allocator::incremental_allocator(incremental_allocator&&) noexcept = default;
incremental_allocator& incremental_allocator::operator=(incremental_allocator&&) noexcept = default;

incremental_allocator::delta incremental_allocator::apply(const model::snapshot& s, const model::change_set& changes,
                                                         std::int64_t now) {
  if (!engine_->needs_full_pass(changes)) return engine_->apply(s, changes, now);
  auto before = engine_->current();
  options_.now = now;
  engine_ = std::make_unique<detail::engine>(s, before.ledger, options_);
  auto after = engine_->current();
  delta full;
  full.full = true;
  full.rerun = after.services.size();
  full.ledger = after.ledger != before.ledger;
  full.pools = after.pools != before.pools;
  std::map<model::name_key, const model::service_status*> old;
  for (const auto& st : before.services) old[{st.ns, st.name}] = &st;
  for (const auto& st : after.services) {
    auto it = old.find({st.ns, st.name});
    if (it == old.end() || !(*it->second == st)) full.services.push_back({st.ns, st.name});
    if (it != old.end()) old.erase(it);
  }
  for (const auto& [key, st] : old) full.services.push_back(key);
  std::sort(full.services.begin(), full.services.end());
  return full;
}

result incremental_allocator::current() const { return engine_->current(); }

}  // namespace controller
