// The planner's bookkeeping: what each service gave the plan, so that an event re-plans only
// the services it touched and changes only the (peer, prefix) keys they gave routes to.
// A service's entry holds its addresses and handles to its routes in the route book, not
// copies of its routes, its name or its peers' names.
#include <algorithm>
#include <functional>
#include <set>

#include "context.hpp"
#include "route_book.hpp"

namespace speaker {

namespace {

using detail::node_wide;

// One route of a service: where it is in the route book, and the announced address it was
// made for (none for node_wide's ranges).
struct held_route {
  detail::route_book::handle at;
  std::uint32_t address = 0;
};

// What one service gave the plan, without its name (the map's key) in each part.
struct held_service {
  std::vector<held_route> routes;
  std::vector<model::ip_address> announced;                          // address order
  std::vector<std::pair<model::ip_address, std::string>> withheld;  // address order, why
};

// Calls f(k) for each key of the union of two sorted sequences, in order, each once. The
// cursors move past k before f runs, so f may erase and re-insert k's entry in a map that
// one of the sequences walks.
template <class A, class B, class KeyA, class KeyB, class F>
void for_each_of_union(A a, A a_end, B b, B b_end, KeyA key_a, KeyB key_b, F f) {
  while (a != a_end || b != b_end) {
    const bool take_a = b == b_end || (a != a_end && !(key_b(*b) < key_a(*a)));
    const model::name_key k = model::name_ref(take_a ? key_a(*a) : key_b(*b)).owned();
    if (a != a_end && key_a(*a) == k) ++a;
    if (b != b_end && key_b(*b) == k) ++b;
    f(k);
  }
}

}  // namespace

struct planner::state {
  std::string node;
  std::shared_ptr<const model::snapshot> snapshot;
  std::shared_ptr<const context> ctx;
  std::vector<peer_plan> peers;
  std::vector<model::error> errors;
  std::map<model::name_key, held_service> services;
  detail::route_book book;

  void replan(const model::name_key& k, const context& c, const model::assignments& ips, delta& d);
};

// The service's old routes go back, its new ones are added; what it newly withholds and
// whether it starts announcing go to the delta.
void planner::state::replan(const model::name_key& k, const context& c, const model::assignments& ips, delta& d) {
  bool announced_before = false;
  std::vector<std::pair<model::ip_address, std::string>> withheld_before;
  auto at = services.lower_bound(k);  // where k is, or goes: one search for both
  if (at != services.end() && at->first == k) {
    auto old = at;
    announced_before = !old->second.announced.empty();
    withheld_before = std::move(old->second.withheld);
    // Two addresses in one aggregate share a handle: each goes back once.
    std::vector<detail::route_book::handle> handles;
    handles.reserve(old->second.routes.size());
    for (const auto& r : old->second.routes) handles.push_back(r.at);
    const auto by_address = [](auto x, auto y) { return std::less<const void*>()(&*x, &*y); };
    std::sort(handles.begin(), handles.end(), by_address);
    handles.erase(std::unique(handles.begin(), handles.end()), handles.end());
    for (const auto& h : handles) book.remove(h);
    at = services.erase(old);
  }
  auto c_new = detail::plan_one(c, *snapshot, ips, k);
  for (const auto& w : c_new.withheld)
    if (std::find(withheld_before.begin(), withheld_before.end(), std::pair{w.ip, w.reason}) == withheld_before.end())
      d.newly_withheld.push_back(w);
  if (!c_new.announced.empty() && !announced_before) d.started_announcing.push_back(k);
  if (c_new.routes.empty() && c_new.announced.empty() && c_new.withheld.empty()) return;
  auto& held = services.emplace_hint(at, k, held_service{})->second;
  held.routes.reserve(c_new.routes.size());
  for (const auto& r : c_new.routes) held.routes.push_back({book.add(r.peer, r.prefix, r.attrs, &held), r.address});
  held.announced.reserve(c_new.announced.size());
  for (const auto& a : c_new.announced) held.announced.push_back(a.ip);
  held.withheld.reserve(c_new.withheld.size());
  for (auto& w : c_new.withheld) held.withheld.emplace_back(w.ip, std::move(w.reason));
}

planner::planner(std::string node) : state_(std::make_unique<state>()) { state_->node = std::move(node); }
planner::~planner() = default;

planner::delta planner::update_all(std::shared_ptr<const model::snapshot> s, const model::assignments& ips) {
  auto& st = *state_;
  st.snapshot = std::move(s);
  auto ctx = make_context(*st.snapshot, st.node);
  delta d;
  d.full = true;
  d.peers_changed = ctx->peers != st.peers;
  st.peers = ctx->peers;
  st.errors = ctx->errors;
  // Every service held or in the snapshot, in name order; node_wide ("", "") sorts first.
  st.replan(node_wide, *ctx, ips, d);
  const auto& services = st.snapshot->all<model::service>();
  auto held = st.services.begin();
  if (held != st.services.end() && held->first == node_wide) ++held;
  for_each_of_union(
      held, st.services.end(), services.begin(), services.end(), [](const auto& e) -> model::name_ref { return e.first; },
      [](const auto& e) -> model::name_ref { return e.first; },
      [&](const model::name_key& k) { st.replan(k, *ctx, ips, d); });
  st.ctx = std::move(ctx);
  d.routes = st.book.flush();
  return d;
}

planner::delta planner::update(std::shared_ptr<const model::snapshot> s, const model::change_set& changes,
                               const model::assignments& ips, const std::vector<model::name_key>& moved) {
  auto& st = *state_;
  if (!st.ctx) return update_all(std::move(s), ips);
  // The services the objects name; `moved` (at start: every service) is walked, not copied.
  std::set<model::name_key> named;
  bool full = false;
  auto note = [&](const model::object_key& k, const model::snapshot& in) {
    switch (k.kind) {
      case model::kind::service: named.insert({k.ns, k.name}); break;
      case model::kind::endpoint_slice:
        if (const auto* sl = in.find<model::endpoint_slice>(k.ns, k.name)) named.insert({k.ns, sl->service_name});
        break;
      case model::kind::namespace_: break;  // nothing the speaker reads
      case model::kind::node:
      case model::kind::calico_node:
        if (k.name == st.node) full = true;
        break;
      default: full = true;
    }
  };
  for (const auto* list : {&changes.added, &changes.modified})
    for (const auto& k : *list) note(k, *s);
  for (const auto* list : {&changes.modified, &changes.removed})
    for (const auto& k : *list) note(k, *st.snapshot);
  if (full) return update_all(std::move(s), ips);

  st.snapshot = std::move(s);
  delta d;
  const auto same = [](const model::name_key& k) -> const model::name_key& { return k; };
  for_each_of_union(moved.begin(), moved.end(), named.begin(), named.end(), same, same,
                    [&](const model::name_key& k) { st.replan(k, *st.ctx, ips, d); });
  d.routes = st.book.flush();
  return d;
}

node_plan planner::current() const {
  const auto& st = *state_;
  node_plan p;
  p.peers = st.peers;
  p.routes = st.book.routes();
  p.errors = st.errors;
  for (const auto& [k, held] : st.services) {
    for (std::uint32_t i = 0; i < held.announced.size(); ++i) {
      std::vector<std::string> peers;
      for (const auto& r : held.routes)
        if (r.address == i) peers.push_back(st.book.peer_name(r.at));
      std::sort(peers.begin(), peers.end());
      peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
      p.announced.push_back({k.ns, k.name, held.announced[i], std::move(peers)});
    }
    for (const auto& [ip, why] : held.withheld) p.withheld.push_back({k.ns, k.name, ip, why});
  }
  return p;
}

std::vector<model::name_key> planner::announcing() const {
  std::vector<model::name_key> out;
  for (const auto& [k, held] : state_->services)
    if (!held.announced.empty()) out.push_back(k);
  return out;
}

void planner::visit_announced(const announced_visitor& f) const {
  visit_announced(std::nullopt, f, [] { return true; });
}

void planner::visit_withheld(const withheld_visitor& f) const {
  visit_withheld(std::nullopt, f, [] { return true; });
}

namespace {

template <class Services, class Each>
std::optional<model::name_key> visit_from(const Services& services, const std::optional<model::name_key>& after,
                                          const std::function<bool()>& go_on, Each each) {
  auto it = after ? services.upper_bound(*after) : services.begin();
  for (bool first = true; it != services.end(); ++it, first = false) {
    if (!first && !go_on()) return std::prev(it)->first;
    each(it->first, it->second);
  }
  return std::nullopt;
}

}  // namespace

std::optional<model::name_key> planner::visit_announced(const std::optional<model::name_key>& after,
                                                        const announced_visitor& f,
                                                        const std::function<bool()>& go_on) const {
  return visit_from(state_->services, after, go_on, [&](const model::name_key& k, const held_service& held) {
    for (const auto& ip : held.announced) f(k, ip);
  });
}

std::optional<model::name_key> planner::visit_withheld(const std::optional<model::name_key>& after,
                                                       const withheld_visitor& f,
                                                       const std::function<bool()>& go_on) const {
  return visit_from(state_->services, after, go_on, [&](const model::name_key& k, const held_service& held) {
    for (const auto& [ip, why] : held.withheld) f(k, ip, why);
  });
}

const std::vector<peer_plan>& planner::peers() const { return state_->peers; }
const std::vector<model::error>& planner::errors() const { return state_->errors; }
const route_table& planner::routes() const { return state_->book.routes(); }

}  // namespace speaker
