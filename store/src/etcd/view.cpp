// Lists and watch events to store::change values (see view.hpp).
#include "view.hpp"

#include "codec.hpp"

namespace store::etcd {

view::view(layout l, model::decode_options options) : layout_(l), objects_(std::move(l), std::move(options)) {}

change view::reset(const std::vector<kv_item>& all, std::int64_t revision) {
  std::vector<key_change> objects;
  std::map<std::string, std::optional<std::string>> ledger;
  for (const auto& [key, st] : ledger_) ledger[key] = std::nullopt;
  for (const auto& kv : all) {
    const auto p = layout_.parse(kv.key);
    if (p.kind == layout::parsed::what::ledger_entry) ledger[kv.key] = kv.value;
    else if (p.kind == layout::parsed::what::object || p.kind == layout::parsed::what::unknown) objects.push_back({kv.key, kv.value});
  }
  revision_ = revision;
  return finish(objects_.apply(objects, true), true, ledger);
}

std::optional<change> view::apply(const std::vector<kv_event>& events) {
  std::map<std::string, std::optional<std::string>> latest;  // the last event of each key wins
  for (const auto& e : events) {
    if (e.revision <= revision_) continue;
    latest[e.key] = e.deleted ? std::nullopt : std::optional<std::string>(e.value);
  }
  for (const auto& e : events) revision_ = std::max(revision_, e.revision);
  std::vector<key_change> objects;
  std::map<std::string, std::optional<std::string>> ledger;
  for (auto& [key, value] : latest) {
    const auto p = layout_.parse(key);
    if (p.kind == layout::parsed::what::ledger_entry) ledger[key] = std::move(value);
    else if (p.kind == layout::parsed::what::object || p.kind == layout::parsed::what::unknown) objects.push_back({key, std::move(value)});
  }
  if (objects.empty() && ledger.empty()) return std::nullopt;
  auto c = finish(objects_.apply(objects, false), false, ledger);
  if (c.objects.changes.empty() && !c.assignments && c.objects.errors == last_errors_) return std::nullopt;
  last_errors_ = c.objects.errors;
  return c;
}

change view::finish(update objects, bool full, const std::map<std::string, std::optional<std::string>>& ledger) {
  change c;
  c.full = full;
  const auto before = full ? assignments_ : model::assignments{};
  bool moved = false;
  for (const auto& [key, value] : ledger) {
    auto it = ledger_.find(key);
    if (!value) {
      if (it == ledger_.end()) continue;
      if (it->second.service && assignments_.erase(*it->second.service) > 0) {
        c.moved.push_back(*it->second.service);
        moved = true;
      }
      ledger_.erase(it);
      bad_ledger_.erase(key);
      continue;
    }
    if (it != ledger_.end() && it->second.text == *value) continue;
    auto& st = ledger_[key];
    st.text = *value;
    auto r = decode_entry(key, layout_.parse(key), *value);
    st.errors = std::move(r.errors);
    if (!r.value) {
      bad_ledger_.insert(key);
      continue;  // the last good value stands
    }
    bad_ledger_.erase(key);
    const model::name_key service{r.value->ns, r.value->name};
    st.service = service;
    const auto* ips = assignments_.get(service);
    if (ips == nullptr ? !r.value->ips.empty() : *ips != r.value->ips) {
      assignments_.set(service, std::move(r.value->ips));
      c.moved.push_back(service);
      moved = true;
    }
  }
  if (full) {
    c.moved = model::changed_services(before, assignments_);
    c.assignments = std::make_shared<const model::assignments>(assignments_);
  } else if (moved) {
    std::sort(c.moved.begin(), c.moved.end());
    c.assignments = std::make_shared<const model::assignments>(assignments_);
  }
  auto errors = ledger_errors();
  objects.errors.insert(objects.errors.end(), std::make_move_iterator(errors.begin()), std::make_move_iterator(errors.end()));
  c.objects = std::move(objects);
  if (full) last_errors_ = c.objects.errors;
  return c;
}

std::vector<model::error> view::ledger_errors() const {
  std::vector<model::error> out;
  for (const auto& key : bad_ledger_) {
    const auto& errors = ledger_.at(key).errors;
    out.insert(out.end(), errors.begin(), errors.end());
  }
  return out;
}

}  // namespace store::etcd
