// Admitting units of objects against the cross-object rules (see admission.hpp).
#include "admission.hpp"

#include <optional>

#include "model/validate.hpp"

namespace store::etcd {

std::set<std::string> error_texts(const std::vector<model::error>& errors) {
  std::set<std::string> out;
  for (const auto& e : errors) out.insert(e.to_string());
  return out;
}

namespace {

void add(object_edits& e, const std::vector<model::object_ptr>& objects) {
  for (const auto& o : objects) e[model::key_of(*o)] = o;
}

}  // namespace

std::vector<model::error> rules_under(const model::snapshot& in_force, const object_edits& edits) {
  std::vector<model::snapshot::edit> list;
  list.reserve(edits.size());
  for (const auto& [k, o] : edits) list.push_back({k, o});
  return model::check_rules(model::snapshot(in_force, list, {}, 0));
}

admission admit(const model::snapshot& in_force, const object_edits& removals,
                std::map<std::string, std::vector<model::object_ptr>> units, std::string_view what) {
  admission out;
  out.edits = removals;
  bool rules_read = false;
  for (const auto& [k, o] : removals) rules_read = rules_read || model::read_by_rules(k.kind);
  for (const auto& [name, objects] : units) {
    for (const auto& o : objects) rules_read = rules_read || model::read_by_rules(model::kind_of(*o));
  }
  if (!rules_read) {  // the rules read none of the touched kinds: nothing can break them
    for (const auto& [name, objects] : units) add(out.edits, objects);
    return out;
  }
  const auto baseline = error_texts(rules_under(in_force, removals));
  std::map<std::string, std::vector<model::object_ptr>> set_aside;
  while (!units.empty()) {
    auto e = removals;
    for (const auto& [name, objects] : units) add(e, objects);
    std::set<std::string> blamed;
    bool added = false;
    for (const auto& err : rules_under(in_force, e)) {
      if (baseline.contains(err.to_string())) continue;
      added = true;
      if (units.contains(err.file)) blamed.insert(err.file);
    }
    if (!added) break;
    if (blamed.empty()) {
      for (const auto& [name, objects] : units) blamed.insert(name);
    }
    for (const auto& name : blamed) set_aside[name] = std::move(units.extract(name).mapped());
  }
  for (const auto& [name, objects] : units) add(out.edits, objects);
  for (auto& [name, objects] : set_aside) {
    const auto before = error_texts(rules_under(in_force, out.edits));
    auto e = out.edits;
    add(e, objects);
    std::vector<model::error> own;
    std::optional<model::error> elsewhere;
    for (auto& err : rules_under(in_force, e)) {
      if (before.contains(err.to_string())) continue;
      if (err.file == name) own.push_back(std::move(err));
      else if (!elsewhere) elsewhere = std::move(err);
    }
    if (own.empty() && !elsewhere) {
      out.edits = std::move(e);
    } else if (!own.empty()) {
      out.refused[name] = std::move(own);
    } else {
      out.refused[name] = {{name, "", "", "refused: admitting this " + std::string(what) +
                                              " breaks a rule elsewhere: " + elsewhere->to_string()}};
    }
  }
  return out;
}

}  // namespace store::etcd
