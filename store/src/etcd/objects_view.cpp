// Admission of etcd values (see objects_view.hpp): the file datastore's rules, per key.
#include "objects_view.hpp"

#include <algorithm>
#include <utility>

#include "model/validate.hpp"

namespace store::etcd {

key_decode decode_value(const std::string& key, const model::object_key& id, std::string_view text,
                        const model::decode_options& options) {
  key_decode out;
  auto d = model::decode(key, text, options);
  if (!d.errors.empty()) {
    out.errors = std::move(d.errors);
  } else if (d.objects.size() != 1) {
    out.errors.push_back({key, "", "", d.objects.empty() ? "holds no object of a kind bgplb reads"
                                                          : "holds " + std::to_string(d.objects.size()) +
                                                                " objects; a key holds one, " + id.to_string()});
  } else if (const auto k = model::key_of(d.objects.front()); k != id) {
    out.errors.push_back({key, k.to_string(), "", "the key names " + id.to_string()});
  } else {
    out.object = std::make_shared<const model::object>(std::move(d.objects.front()));
  }
  return out;
}

objects_view::objects_view(layout l, model::decode_options options)
    : layout_(std::move(l)), options_(std::move(options)), current_(std::make_shared<model::snapshot>()) {}

update objects_view::apply(const std::vector<key_change>& changes, bool everything) {
  std::map<std::string, const std::optional<std::string>*> touched;
  for (const auto& c : changes) touched[c.key] = &c.value;
  static const std::optional<std::string> gone;
  if (everything) {
    for (const auto& [key, st] : keys_) touched.try_emplace(key, &gone);
  }

  object_edits base;  // removals: always admitted
  std::map<std::string, model::object_ptr> candidates;
  bool rules_read = false;
  for (const auto& [key, value] : touched) {
    auto it = keys_.find(key);
    if (!value->has_value()) {
      if (it == keys_.end()) continue;
      if (it->second.good) {
        base[*it->second.id] = nullptr;
        rules_read = rules_read || model::read_by_rules(it->second.id->kind);
      }
      keys_.erase(it);
      shown_.erase(key);
      continue;
    }
    if (it != keys_.end() && it->second.text == **value) continue;  // as before (a re-list)
    if (it == keys_.end()) {
      it = keys_.emplace(key, key_state{}).first;
      const auto p = layout_.parse(key);
      if (p.kind == layout::parsed::what::object) it->second.id = p.object;
    }
    key_state& st = it->second;
    st.text = **value;
    st.refused = nullptr;
    st.errors.clear();
    if (!st.id) {
      st.errors.push_back({key, "", "", layout_.unknown_reason()});
      continue;
    }
    auto d = decode_value(key, *st.id, st.text, options_);
    if (!d.object) st.errors = std::move(d.errors);
    else candidates[key] = std::move(d.object);
  }
  std::map<std::string, std::vector<model::object_ptr>> units;
  for (const auto& [key, o] : candidates) units[key] = {o};
  for (const auto& key : shown_) {
    const auto& st = keys_.at(key);
    if (st.refused && !touched.contains(key)) units[key] = {st.refused};  // retried as it is
  }
  for (const auto& [key, objects] : units) rules_read = rules_read || model::read_by_rules(keys_.at(key).id->kind);
  auto a = admit(*current_, base, std::move(units), "object");
  for (auto& [key, errors] : a.refused) {
    key_state& st = keys_.at(key);
    st.refused = candidates.contains(key) ? candidates.at(key) : st.refused;
    st.errors = std::move(errors);
  }
  for (const auto& [id, o] : a.edits) {
    if (!o) continue;
    auto& st = keys_.at(layout_.key(id));
    st.errors.clear();
    st.refused = nullptr;
  }
  for (const auto& [key, value] : touched) {
    const auto it = keys_.find(key);
    if (it != keys_.end() && !it->second.errors.empty()) shown_.insert(key);
  }
  return commit(a.edits, rules_read);
}

update objects_view::commit(const object_edits& e, bool rules_read) {
  update u;
  std::vector<model::snapshot::edit> list;
  for (const auto& [id, o] : e) {  // object_key order is model::diff's order
    if (!o) {  // only keys that had an object in force are removed
      u.changes.removed.push_back(id);
      list.push_back({id, nullptr});
      continue;
    }
    auto& good = keys_.at(layout_.key(id)).good;
    const auto before = std::exchange(good, o);
    if (before && (before == o || *before == *o)) {
      good = before;  // the snapshot keeps sharing it
      continue;
    }
    (before ? u.changes.modified : u.changes.added).push_back(id);
    list.push_back({id, o});
  }
  auto snap = std::make_shared<const model::snapshot>(*current_, list, std::vector<model::error>{}, ++generation_);
  current_ = snap;
  if (rules_read) rule_errors_ = model::check_rules(*snap);
  for (auto it = shown_.begin(); it != shown_.end();) {  // retried ones admitted since
    const auto& errors = keys_.at(*it).errors;
    if (errors.empty()) {
      it = shown_.erase(it);
      continue;
    }
    u.errors.insert(u.errors.end(), errors.begin(), errors.end());
    ++it;
  }
  const auto shown = error_texts(u.errors);
  for (const auto& err : rule_errors_) {
    if (!shown.contains(err.to_string())) u.errors.push_back(err);
  }
  u.snapshot = std::move(snap);
  return u;
}

}  // namespace store::etcd
