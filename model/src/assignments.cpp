// model::assignments and the one conversion from a published ledger (or Service status).
#include "model/assignments.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace model {

namespace {

using table_edit = basic_table<name_key, assignments::addresses>::edit;

table_edit to_edit(assignments::entry e) {
  if (e.second.empty()) return {std::move(e.first), nullptr};
  return {std::move(e.first), std::make_shared<const assignments::addresses>(std::move(e.second))};
}

}  // namespace

assignments::assignments(std::initializer_list<entry> entries) { apply({entries.begin(), entries.end()}); }

assignments::assignments(const std::map<name_key, addresses>& m) { apply({m.begin(), m.end()}); }

const assignments::addresses& assignments::at(const name_key& k) const {
  if (const auto* ips = get(k)) return *ips;
  throw std::out_of_range("model::assignments: no addresses for " + k.ns + "/" + k.name);
}

void assignments::set(const name_key& k, addresses ips) { table_ = table_.apply({to_edit({k, std::move(ips)})}); }

bool assignments::erase(const name_key& k) {
  if (!contains(k)) return false;
  table_ = table_.apply({{k, nullptr}});
  return true;
}

void assignments::apply(std::vector<entry> edits) {
  // Sorted by service, the last edit of each kept (basic_table wants unique keys).
  std::stable_sort(edits.begin(), edits.end(), [](const entry& a, const entry& b) { return a.first < b.first; });
  std::vector<table_edit> batch;
  batch.reserve(edits.size());
  for (auto& e : edits) {
    if (!batch.empty() && !(batch.back().first < e.first)) batch.pop_back();
    batch.push_back(to_edit(std::move(e)));
  }
  table_ = table_.apply(batch);
}

bool operator==(const assignments& a, const assignments& b) {
  if (a.table_.same(b.table_)) return true;
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (!(i->first == j->first) || i->second != j->second) return false;
  }
  return true;
}

assignments assignments_from(const ledger& l) {
  std::vector<assignments::entry> entries;
  for (const auto& e : l.entries)
    if (!e.ips.empty()) entries.emplace_back(name_key{e.ns, e.name}, e.ips);
  assignments a;
  a.apply(std::move(entries));
  return a;
}

assignments assignments_from_status(const snapshot& s, const std::optional<std::string>& load_balancer_class) {
  std::vector<assignments::entry> entries;
  for (const auto& [k, svc] : s.all<service>())
    if (svc.type == "LoadBalancer" && svc.extra->load_balancer_class == load_balancer_class && !svc.ingress_ips.empty())
      entries.emplace_back(k.owned(), svc.ingress_ips);
  assignments a;
  a.apply(std::move(entries));
  return a;
}

std::vector<name_key> changed_services(const assignments& before, const assignments& after) {
  std::vector<name_key> out;
  auto b = before.begin(), a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      out.push_back(b->first);
      ++b;
    } else if (b == before.end() || a->first < b->first) {
      out.push_back(a->first);
      ++a;
    } else {
      if (a->second != b->second) out.push_back(a->first);
      ++a;
      ++b;
    }
  }
  return out;
}

}  // namespace model
