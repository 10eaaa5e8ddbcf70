// The reconciler: desired -> map writes, in an order a packet can never catch half done.
#include "dataplane/reconciler.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <variant>

#include "dataplane/maglev.hpp"
#include "service_plan.hpp"

namespace dataplane {

using detail::planned_backend;
using detail::service_plan;

struct reconciler::plan : service_plan {};

namespace {

constexpr abi::backend_value no_backend{};

error out_of(const char* what, const std::string& service) {
  return error{"no free " + std::string(what) + " id for service " + service, ENOSPC};
}

// Sorted vectors as sets of ABI structs (pod_less): a service's frontends and ranges are
// one or a few, and a vector holds them in one allocation (a std::set, one node each).
template <class T>
bool sorted_has(const std::vector<T>& v, const T& k) {
  auto it = std::lower_bound(v.begin(), v.end(), k, pod_less{});
  return it != v.end() && pod_equal(*it, k);
}

template <class T>
void sorted_insert(std::vector<T>& v, const T& k) {
  auto it = std::lower_bound(v.begin(), v.end(), k, pod_less{});
  if (it == v.end() || !pod_equal(*it, k)) v.insert(it, k);
}

template <class T>
bool sorted_erase(std::vector<T>& v, const T& k) {
  auto it = std::lower_bound(v.begin(), v.end(), k, pod_less{});
  if (it == v.end() || !pod_equal(*it, k)) return false;
  v.erase(it);
  return true;
}

// A backend's endpoint in canonical order: address, then port in network order, which is
// the order of maglev::backend_key's bytes (a plan's eligible backends are in it).
int endpoint_cmp(const abi::backend_value& a, const abi::backend_value& b) {
  if (int c = std::memcmp(&a.addr, &b.addr, sizeof a.addr)) return c;
  return std::memcmp(&a.port, &b.port, sizeof a.port);
}

}  // namespace

// ---- id pools -------------------------------------------------------------------------

reconciler::id_pool::id_pool(std::uint32_t limit) : used_(limit, false) {
  if (limit) used_[0] = true;  // 0 means "none" in every map
}

void reconciler::id_pool::take(std::uint32_t id) {
  if (id < used_.size()) used_[id] = true;
}

std::optional<std::uint32_t> reconciler::id_pool::get() {
  while (next_ < used_.size() && used_[next_]) ++next_;
  if (next_ < used_.size()) {
    used_[next_] = true;
    return next_++;
  }
  while (!free_.empty()) {
    std::uint32_t id = free_.front();
    free_.pop_front();
    if (!used_[id]) {
      used_[id] = true;
      return id;
    }
  }
  return std::nullopt;
}

bool reconciler::id_pool::full() const {
  for (std::uint32_t i = next_; i < used_.size(); ++i)
    if (!used_[i]) return false;
  return std::all_of(free_.begin(), free_.end(), [this](std::uint32_t id) { return used_[id]; });
}

void reconciler::id_pool::put(std::uint32_t id) {
  if (id == 0 || id >= used_.size()) return;
  used_[id] = false;
  free_.push_back(id);
}

// ---- Maglev slot ranges -----------------------------------------------------------------

namespace {
std::uint32_t even(std::uint32_t n) { return n + (n & 1); }
}  // namespace

reconciler::slot_pool::slot_pool(std::uint32_t size) : size_(size & ~1u) {
  if (size_) free_[0] = size_;
}

void reconciler::slot_pool::insert_free(std::uint32_t offset, std::uint32_t n) {
  auto next = free_.lower_bound(offset);
  if (next != free_.end() && offset + n == next->first) {  // merge with the range after
    n += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == offset) {  // ... and the one before
      prev->second += n;
      return;
    }
  }
  free_[offset] = n;
}

std::optional<std::uint32_t> reconciler::slot_pool::get(std::uint32_t n) {
  n = even(n);
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < n) continue;
    std::uint32_t offset = it->first, left = it->second - n;
    free_.erase(it);
    if (left) free_[offset + n] = left;
    in_use_ += n;
    return offset;
  }
  return std::nullopt;
}

bool reconciler::slot_pool::take(std::uint32_t offset, std::uint32_t n) {
  n = even(n);
  auto it = free_.upper_bound(offset);
  if (it == free_.begin()) return false;
  --it;
  const std::uint32_t start = it->first, len = it->second;
  if (offset < start || offset + n > start + len) return false;
  free_.erase(it);
  if (offset > start) free_[start] = offset - start;
  if (offset + n < start + len) free_[offset + n] = start + len - offset - n;
  in_use_ += n;
  return true;
}

void reconciler::slot_pool::put(std::uint32_t offset, std::uint32_t n) { quarantine_.emplace_back(offset, even(n)); }

void reconciler::slot_pool::put_unused(std::uint32_t offset, std::uint32_t n) {
  in_use_ -= even(n);
  insert_free(offset, even(n));
}

void reconciler::slot_pool::release() {
  for (auto [offset, n] : quarantine_) {
    in_use_ -= n;
    insert_free(offset, n);
  }
  quarantine_.clear();
}

// ---- reading back ---------------------------------------------------------------------

reconciler::reconciler(map_ops& maps)
    : maps_(maps),
      limits_(maps.limits()),
      service_ids_(limits_.services),
      backend_ids_(limits_.backends),
      slots_(limits_.maglev_slots) {}

result<std::unique_ptr<reconciler>> reconciler::open(map_ops& maps) {
  std::unique_ptr<reconciler> r(new reconciler(maps));
  if (auto e = r->read_back()) return *e;
  return r;
}

// Everything the maps hold becomes an orphan keyed by service id; apply() adopts an
// orphan for the desired service that shares a frontend with it, and erases the rest.
status reconciler::read_back() {
  auto services = maps_.services();
  auto backends = maps_.backends();
  auto fronts = maps_.frontends();
  auto ranges = maps_.ranges();
  auto peers = maps_.peers();
  if (!services) return services.err();
  if (!backends) return backends.err();
  if (!fronts) return fronts.err();
  if (!ranges) return ranges.err();
  if (!peers) return peers.err();
  auto orphan = [this](std::uint32_t id) -> entry& {
    entry& e = orphans_[id];
    e.id = id;
    service_ids_.take(id);
    return e;
  };
  for (const auto& [id, v] : *services) {
    entry& e = orphan(id);
    e.has_value = true;
    e.value = v;
  }
  for (const auto& [id, v] : *backends) {
    backend_ids_.take(id);
    orphan(v.svc_id).backends.push_back({id, v});
  }
  for (const auto& [k, v] : *fronts) {
    set_frontend(k, v);
    orphan(v.svc_id);
  }
  for (const auto& k : *ranges) sorted_insert(orphan(ntohl(k.svc_id)).ranges, k);
  for (auto& [id, e] : orphans_)
    std::stable_sort(e.backends.begin(), e.backends.end(),
                     [](const held_backend& a, const held_backend& b) { return endpoint_cmp(a.value, b.value) < 0; });
  for (const auto& [id, e] : orphans_)
    if (e.has_value && e.value.count >= 2 && !slots_.take(e.value.row_offset, e.value.maglev_size))
      return error{"service " + std::to_string(id) + "'s Maglev row overlaps another or lies outside the slots", EINVAL};
  for (const auto& a : *peers) peers_.insert(a);
  return std::nullopt;
}

// ---- writing --------------------------------------------------------------------------

status reconciler::count(status s, apply_report& r) {
  ++r.writes;
  return s;
}

status reconciler::write_settings(const desired& d, apply_report& r) {
  auto current = maps_.config();
  if (!current) return current.err();
  abi::config c = *current;
  c.flags &= abi::CFG_F_XDP | abi::CFG_F_REDIRECT_LOCAL;  // the loader's bits
  c.tunnel_src4 = {};
  c.tunnel_src6 = {};
  if (d.node_v4) {
    c.tunnel_src4 = detail::to_addr16(*d.node_v4);
    c.flags |= abi::CFG_F_HAVE_SRC4;
  }
  if (d.node_v6) {
    c.tunnel_src6 = detail::to_addr16(*d.node_v6);
    c.flags |= abi::CFG_F_HAVE_SRC6;
  }
  c.ct_tcp_timeout = d.tcp_timeout;
  c.ct_udp_timeout = d.udp_timeout;
  c.gue_port = htons(d.tunnel_port);
  if (!pod_equal(c, *current))
    if (auto e = count(maps_.put_config(c), r)) return e;

  std::set<abi::addr16, pod_less> want;
  for (const auto& a : d.tunnel_peers) want.insert(detail::to_addr16(a));
  for (const auto& a : want)
    if (!peers_.count(a)) {
      if (auto e = count(maps_.put_peer(a), r)) return e;
      peers_.insert(a);
    }
  for (auto it = peers_.begin(); it != peers_.end();) {
    if (want.count(*it)) {
      ++it;
      continue;
    }
    if (auto e = count(maps_.delete_peer(*it), r)) return e;
    it = peers_.erase(it);
  }
  return std::nullopt;
}

// Backends, row, service entry (the swap), freed row and backends, new ranges. What is
// written is in e at once, so a failure part way leaves e saying what the maps hold.
status reconciler::sync(entry& e, const plan& p, apply_report& r) {
  const std::string& name = p.spec->name;
  const auto before = [](const held_backend& a, const held_backend& b) { return endpoint_cmp(a.value, b.value) < 0; };
  std::vector<held_backend> next;  // the plan's backends, canonical order
  next.reserve(p.eligible.size());
  auto keep_written = [&] {
    for (const auto& h : next) {
      auto [lo, hi] = std::equal_range(e.backends.begin(), e.backends.end(), h, before);
      auto same = std::find_if(lo, hi, [&](const held_backend& x) { return x.id == h.id; });
      if (same != hi) same->value = h.value;
      else e.backends.insert(hi, h);
    }
  };
  auto held = e.backends.begin();
  for (const planned_backend& b : p.eligible) {
    abi::backend_value v = b.value;
    v.svc_id = e.id;
    while (held != e.backends.end() && endpoint_cmp(held->value, v) < 0) ++held;
    const bool have = held != e.backends.end() && endpoint_cmp(held->value, v) == 0;
    std::uint32_t id;
    if (have) {
      id = held->id;
    } else {
      auto fresh = backend_ids_.get();
      if (!fresh) {
        keep_written();
        return out_of("backend", name);
      }
      id = *fresh;
    }
    if (!have || !pod_equal(held->value, v))
      if (auto err = count(maps_.put_backend(id, v), r)) {
        if (!have) backend_ids_.put(id);
        keep_written();
        return err;
      }
    next.push_back({id, v});
  }

  abi::service_value v{};
  v.count = static_cast<std::uint32_t>(next.size());
  v.flags = p.service_flags;
  v.affinity_timeout = p.affinity_timeout;
  if (v.count == 1) v.backend_id = next.front().id;
  if (v.count >= 2) {
    std::vector<std::uint32_t> order;
    order.reserve(next.size());
    for (const auto& h : next) order.push_back(h.id);
    v.maglev_size = maglev_size_;
    v.row_hash = detail::row_hash(maglev_size_, p.eligible, order);
    if (e.has_value && e.value.count >= 2 && e.value.row_hash == v.row_hash && e.value.maglev_size == maglev_size_) {
      v.row_offset = e.value.row_offset;
    } else {
      auto at = slots_.get(maglev_size_);
      if (!at) {
        keep_written();
        return error{"no room for a Maglev row of " + std::to_string(maglev_size_) + " for service " + name + " (" +
                         std::to_string(slots_.in_use()) + " of " + std::to_string(slots_.size()) + " slots in use)",
                     ENOSPC};
      }
      std::vector<std::string> keys;
      keys.reserve(p.eligible.size());
      for (const auto& b : p.eligible) keys.push_back(b.key);
      std::vector<std::uint32_t> row = maglev::populate(keys, maglev_size_);
      for (auto& slot : row) slot = order[slot];
      if (auto err = count(maps_.put_row(*at, row), r)) {
        slots_.put_unused(*at, maglev_size_);
        keep_written();
        return err;
      }
      v.row_offset = *at;
      ++r.rows_built;
    }
  }
  const bool new_row = v.count >= 2 && !(e.has_value && e.value.count >= 2 && e.value.row_offset == v.row_offset);
  if (!e.has_value || !pod_equal(e.value, v)) {
    if (auto err = count(maps_.put_service(e.id, v), r)) {
      if (new_row) slots_.put_unused(v.row_offset, v.maglev_size);
      keep_written();
      return err;
    }
    if (e.has_value && e.value.count >= 2 && !(v.count >= 2 && v.row_offset == e.value.row_offset)) free_row(e.value);
    e.value = v;
    e.has_value = true;
  }
  // The backends the plan no longer lists (by id: a backend read back twice for one
  // endpoint goes too) are freed now that no row or service entry refers to them.
  std::vector<held_backend> gone;
  for (const auto& h : e.backends) {
    auto [lo, hi] = std::equal_range(next.begin(), next.end(), h, before);
    if (std::none_of(lo, hi, [&](const held_backend& x) { return x.id == h.id; })) gone.push_back(h);
  }
  e.backends = std::move(next);
  for (std::size_t i = 0; i < gone.size(); ++i) {
    if (auto err = count(maps_.put_backend(gone[i].id, no_backend), r)) {
      for (std::size_t j = i; j < gone.size(); ++j)
        e.backends.insert(std::upper_bound(e.backends.begin(), e.backends.end(), gone[j], before), gone[j]);
      return err;
    }
    backend_ids_.put(gone[i].id);
  }
  for (const prefix& pr : p.ranges) {
    abi::range_key k = detail::range_key(e.id, pr);
    if (sorted_has(e.ranges, k)) continue;
    if (auto err = count(maps_.put_range(k), r)) return err;
    sorted_insert(e.ranges, k);
  }
  return std::nullopt;
}

void reconciler::free_row(const abi::service_value& v) {
  if (v.count >= 2) slots_.put(v.row_offset, v.maglev_size);
}

// Makes the frontends of the services in `scope` (ids) exactly `want`.
status reconciler::sync_frontends(const frontend_map& want,
                                  const std::set<std::uint32_t>& scope, apply_report& r) {
  for (const auto& [k, v] : want) {
    auto it = frontends_.find(k);
    if (it != frontends_.end() && pod_equal(it->second, v)) continue;
    if (auto e = count(maps_.put_frontend(k, v), r)) return e;
    set_frontend(k, v);
  }
  for (auto id : scope) {
    std::vector<abi::frontend_key> gone;
    for (const auto& k : frontends_of(id))
      if (!want.count(k)) gone.push_back(k);
    for (const auto& k : gone) {
      if (auto e = count(maps_.delete_frontend(k), r)) return e;
      drop_frontend(k);
    }
  }
  return std::nullopt;
}

void reconciler::set_frontend(const abi::frontend_key& k, const abi::frontend_value& v) {
  auto [it, fresh] = frontends_.try_emplace(k, v);
  if (!fresh) {
    if (it->second.svc_id != v.svc_id) {
      auto old = frontends_of_.find(it->second.svc_id);
      if (old != frontends_of_.end() && sorted_erase(old->second, k) && old->second.empty()) frontends_of_.erase(old);
    }
    it->second = v;
  }
  sorted_insert(frontends_of_[v.svc_id], k);
}

void reconciler::drop_frontend(const abi::frontend_key& k) {
  auto it = frontends_.find(k);
  if (it == frontends_.end()) return;
  auto of = frontends_of_.find(it->second.svc_id);
  if (of != frontends_of_.end() && sorted_erase(of->second, k) && of->second.empty()) frontends_of_.erase(of);
  frontends_.erase(it);
}

const std::vector<abi::frontend_key>& reconciler::frontends_of(std::uint32_t id) const {
  static const std::vector<abi::frontend_key> none;
  auto it = frontends_of_.find(id);
  return it == frontends_of_.end() ? none : it->second;
}

status reconciler::prune_ranges(entry& e, const plan& p, apply_report& r) {
  std::vector<abi::range_key> want;
  for (const prefix& pr : p.ranges) sorted_insert(want, detail::range_key(e.id, pr));
  for (auto it = e.ranges.begin(); it != e.ranges.end();) {
    if (sorted_has(want, *it)) {
      ++it;
      continue;
    }
    if (auto err = count(maps_.delete_range(*it), r)) return err;
    it = e.ranges.erase(it);
  }
  return std::nullopt;
}

// Removes a service whose frontends are already gone.
status reconciler::erase(entry& e, apply_report& r) {
  const std::vector<abi::frontend_key> mine(frontends_of(e.id).begin(), frontends_of(e.id).end());
  for (const auto& k : mine) {
    if (auto err = count(maps_.delete_frontend(k), r)) return err;
    drop_frontend(k);
  }
  if (e.has_value) {
    if (auto err = count(maps_.delete_service(e.id), r)) return err;
    e.has_value = false;
    free_row(e.value);
  }
  while (!e.backends.empty()) {
    if (auto err = count(maps_.put_backend(e.backends.back().id, no_backend), r)) return err;
    backend_ids_.put(e.backends.back().id);
    e.backends.pop_back();
  }
  while (!e.ranges.empty()) {
    if (auto err = count(maps_.delete_range(e.ranges.back()), r)) return err;
    e.ranges.pop_back();
  }
  service_ids_.put(e.id);
  return std::nullopt;
}

// A service that could not be brought up to date keeps the frontends it has, if its
// entry exists at all.
void reconciler::keep_frontends(const entry& e, frontend_map& want) const {
  if (!e.has_value) return;
  for (const auto& k : frontends_of(e.id)) want[k] = frontends_.at(k);
}

// The orphan that owns one of the plan's frontends, renamed into a live entry.
reconciler::entry* reconciler::adopt(const plan& p) {
  for (const auto& k : p.frontends) {
    auto fe = frontends_.find(k);
    if (fe == frontends_.end()) continue;
    auto o = orphans_.find(fe->second.svc_id);
    if (o == orphans_.end()) continue;
    entry& e = live_[p.spec->name];
    e = std::move(o->second);
    orphans_.erase(o);
    return &e;
  }
  return nullptr;
}

// ---- the public operations ------------------------------------------------------------

// Every service is planned and compared with what the maps hold (sync writes only the
// difference): a full apply of N unchanged services costs N plans and no write.
result<apply_report> reconciler::apply(const desired& d) {
  apply_report r;
  slots_.release();
  if (!maglev::is_prime(d.maglev_size) || d.maglev_size < 3)
    return error{"Maglev row size " + std::to_string(d.maglev_size) + " is not a prime >= 3", EINVAL};
  maglev_size_ = d.maglev_size;
  if (auto e = write_settings(d, r)) return *e;

  // Plans in name order; the first service to list a frontend owns it.
  std::vector<const service*> order;
  order.reserve(d.services.size());
  for (const auto& s : d.services) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](const service* a, const service* b) { return a->name < b->name; });
  std::vector<plan> plans;
  std::unordered_map<abi::frontend_key, const std::string*, pod_hash, pod_eq> claimed;
  const std::string* last = nullptr;  // names are sorted: a repeated name follows its first
  for (const service* s : order) {
    if (last && *last == s->name) {
      r.skipped.push_back({s->name, "another service has the same name"});
      continue;
    }
    last = &s->name;
    auto planned = detail::plan_service(*s, maglev_size_);
    if (auto* why = std::get_if<std::string>(&planned)) {
      r.skipped.push_back({s->name, *why});
      continue;
    }
    plan p{std::move(std::get<service_plan>(planned))};
    std::string clash;
    for (const auto& k : p.frontends)
      if (auto c = claimed.find(k); c != claimed.end()) clash = "frontend " + detail::describe(k) + " belongs to " + *c->second;
    if (!clash.empty()) {
      r.skipped.push_back({s->name, clash});
      continue;
    }
    for (const auto& k : p.frontends) claimed[k] = &s->name;
    plans.push_back(std::move(p));
  }
  claimed = {};

  // Services no longer wanted become orphans: one sharing a frontend with a new name is
  // renamed (its flows and row stay), the rest are erased at the end. plans are in name
  // order, as live_ is.
  {
    auto want = plans.begin();
    for (auto it = live_.begin(); it != live_.end();) {
      while (want != plans.end() && want->spec->name < it->first) ++want;
      if (want != plans.end() && want->spec->name == it->first) {
        ++it;
        continue;
      }
      std::uint32_t id = it->second.id;
      orphans_[id] = std::move(it->second);
      it = live_.erase(it);
    }
  }

  frontend_map want;
  std::set<std::uint32_t> scope;
  std::vector<std::pair<entry*, const plan*>> synced;  // ranges pruned once the frontends are written
  for (auto& p : plans) {
    const std::string& name = p.spec->name;
    entry* e = nullptr;
    if (auto it = live_.find(name); it != live_.end()) e = &it->second;
    if (!e) e = adopt(p);
    if (!e) {
      auto id = service_ids_.get();
      if (!id) {
        r.skipped.push_back({name, out_of("service", name).message, true});
        continue;
      }
      e = &live_[name];
      e->id = *id;
      if (auto err = count(maps_.reset_service_stats(*id), r)) return *err;
    }
    scope.insert(e->id);
    std::size_t before = r.writes;
    if (auto err = sync(*e, p, r)) {
      if (err->code != ENOSPC) return *err;
      // no room for its row: skipped; it keeps what it had (or is not there at all)
      r.skipped.push_back({name, err->message, true});
      keep_frontends(*e, want);
      continue;
    }
    for (const auto& k : p.frontends) want[k] = abi::frontend_value{e->id, p.frontend_flags};
    synced.emplace_back(e, &p);
    if (r.writes != before) ++r.services_changed;
  }
  for (const auto& [id, o] : orphans_) scope.insert(id);
  if (auto err = sync_frontends(want, scope, r)) return *err;
  for (auto [e, p] : synced)
    if (auto err = prune_ranges(*e, *p, r)) return *err;
  for (auto it = orphans_.begin(); it != orphans_.end(); it = orphans_.erase(it)) {
    if (auto err = erase(it->second, r)) return *err;
    ++r.services_changed;
  }
  return r;
}

result<apply_report> reconciler::apply_service(const service& s) {
  apply_report r;
  slots_.release();
  // No id for a new service and no orphan to adopt: skipped before its Maglev row is
  // computed (with the maps full, every Service waiting for room is tried when one leaves).
  if (!live_.count(s.name) && orphans_.empty() && service_ids_.full()) {
    r.skipped.push_back({s.name, out_of("service", s.name).message, true});
    return r;
  }
  auto planned = detail::plan_service(s, maglev_size_);
  if (auto* why = std::get_if<std::string>(&planned)) {
    r.skipped.push_back({s.name, *why});
    if (live_.count(s.name)) {
      auto removed = remove_service(s.name);
      if (!removed) return removed.err();
      r.writes += removed->writes;
    }
    return r;
  }
  plan p{std::move(std::get<service_plan>(planned))};
  auto it = live_.find(s.name);
  for (const auto& k : p.frontends) {
    auto fe = frontends_.find(k);
    if (fe == frontends_.end() || (it != live_.end() && fe->second.svc_id == it->second.id)) continue;
    if (orphans_.count(fe->second.svc_id)) continue;
    for (const auto& [name, other] : live_)
      if (other.id == fe->second.svc_id) {
        r.skipped.push_back({s.name, "frontend " + detail::describe(k) + " belongs to " + name});
        return r;
      }
  }
  entry* e = it != live_.end() ? &it->second : adopt(p);
  if (!e) {
    auto id = service_ids_.get();
    if (!id) {  // full: skipped, as apply() skips it
      r.skipped.push_back({s.name, out_of("service", s.name).message, true});
      return r;
    }
    e = &live_[s.name];
    e->id = *id;
    if (auto err = count(maps_.reset_service_stats(*id), r)) return *err;
  }
  frontend_map want;
  if (auto err = sync(*e, p, r)) {
    if (err->code != ENOSPC) return *err;
    r.skipped.push_back({s.name, err->message, true});
    keep_frontends(*e, want);
    if (auto ferr = sync_frontends(want, {e->id}, r)) return *ferr;
    return r;
  }
  for (const auto& k : p.frontends) want[k] = abi::frontend_value{e->id, p.frontend_flags};
  if (auto err = sync_frontends(want, {e->id}, r)) return *err;
  if (auto err = prune_ranges(*e, p, r)) return *err;
  if (r.writes) ++r.services_changed;
  return r;
}

result<apply_report> reconciler::remove_service(const std::string& name) {
  apply_report r;
  slots_.release();
  auto it = live_.find(name);
  if (it == live_.end()) return r;
  if (auto err = erase(it->second, r)) return *err;
  live_.erase(it);
  ++r.services_changed;
  return r;
}

std::vector<programmed_service> reconciler::programmed() const {
  std::vector<programmed_service> out;
  for (const auto& [name, e] : live_) {
    programmed_service ps;
    ps.name = name;
    ps.id = e.id;
    ps.value = e.value;
    for (const auto& h : e.backends) ps.backends.emplace_back(h.id, h.value);
    ps.frontends = frontends_of(e.id);
    out.push_back(std::move(ps));
  }
  return out;
}

std::optional<std::uint32_t> reconciler::service_id(const std::string& name) const {
  auto it = live_.find(name);
  if (it == live_.end()) return std::nullopt;
  return it->second.id;
}

std::vector<std::string> reconciler::programmed_names(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = live_.lower_bound(prefix); it != live_.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->first);
  return out;
}

}  // namespace dataplane
