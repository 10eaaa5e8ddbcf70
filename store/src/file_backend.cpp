// store::file::backend: after a change (the first complete one after a quiet period at
// once, others coalesced: store::coalescer), reads the files the watcher names (every
// file when it cannot tell, and on list()) plus the refused ones, decodes the changed
// ones, and admits a changed file only if it decodes cleanly and adds no
// cross-object error (model::validate) to the state in force. Refused files keep their
// last good objects; their errors are reported with every update until fixed. Of two
// objects in conflict, the one in force stays and the newcomer is blamed (a duplicate key
// keeps its definition in force; model::newcomer for the rules), so the error names the
// object that introduced the conflict and is the refused file's own.
//
// Cost: every candidate state is the state in force plus an overlay of changed files.
// Only the keys those files define (before or after) can change winner, conflict or
// object, so conflicts and the change set are worked out for those keys alone, and the
// next snapshot is the previous one with those keys edited (model::snapshot shares the
// rest). The cross-object rules are re-run only when a touched key is of a kind they read
// (model::read_by_rules); otherwise the last result stands.
#include "store/file_backend.hpp"

#include <xxhash.h>

#include <algorithm>
#include <set>

#include "model/validate.hpp"

namespace store::file {

namespace {

std::set<std::string> error_texts(const std::vector<model::error>& errors) {
  std::set<std::string> out;
  for (const auto& e : errors) out.insert(e.to_string());
  return out;
}

const std::vector<model::object_ptr> no_objects;

}  // namespace

digest digest_of(std::string_view text) {
  const auto h = XXH3_128bits(text.data(), text.size());
  return {h.low64, h.high64};
}

bool is_manifest(const std::string& p) {
  for (std::size_t start = 0; start < p.size();) {
    if (p[start] == '.') return false;  // dot-file or dot-directory
    const auto slash = p.find('/', start);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return p.ends_with(".yaml") || p.ends_with(".yml") || p.ends_with(".json");
}

backend::backend(std::string root, std::unique_ptr<filesystem> fs, std::unique_ptr<watcher> w, options opts)
    : root_(std::move(root)), fs_(std::move(fs)), watcher_(std::move(w)), options_(std::move(opts)),
      coalescer_(options_.quiet, options_.max_delay), current_(std::make_shared<model::snapshot>()) {}

int backend::native_handle() const { return watcher_ ? watcher_->native_handle() : -1; }

update backend::list() { return scan(nullptr); }

std::optional<update> backend::wait(std::chrono::milliseconds timeout) {
  if (!watcher_ || !watcher_->wait(timeout)) return std::nullopt;
  using clock = coalescer::clock;
  auto due = coalescer_.on_change(clock::now(), watcher_->complete());
  while (true) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(due - clock::now());
    if (left <= std::chrono::milliseconds{0} || !watcher_->wait(left)) break;
    due = coalescer_.on_change(clock::now(), watcher_->complete());
  }
  const auto errors_before = current_errors_;
  const auto changed = watcher_->take_changed();
  auto u = scan(changed ? &*changed : nullptr);
  if (u.changes.empty() && u.errors == errors_before && u.io_error.empty()) {
    coalescer_.discarded();
    return std::nullopt;
  }
  coalescer_.delivered(clock::now());
  return u;
}

// Every definition of every key the overlay's files define now or in force, as it would be
// with the overlay applied: the definition in force first while its file still defines it
// unchanged (a new duplicate never displaces it), then (path, position) order.
backend::definitions backend::definitions_under(const overlay& ov, bool& rules_read) const {
  definitions out;
  for (const auto& [path, objects] : ov) {
    if (auto f = files_.find(path); f != files_.end()) {
      for (const auto& o : f->second.good) {
        const auto k = model::ref_of(*o);
        rules_read = rules_read || model::read_by_rules(k.kind);
        out.try_emplace(k);
      }
    }
    for (std::size_t i = 0; i < objects->size(); ++i) {
      const auto k = model::ref_of(*(*objects)[i]);
      rules_read = rules_read || model::read_by_rules(k.kind);
      out[k].push_back({path, i, &(*objects)[i]});
    }
  }
  for (auto& [key, list] : out) {
    const definition* in_force = nullptr;
    if (auto d = definitions_.find(key); d != definitions_.end()) {
      in_force = &d->second.front();
      for (const auto& def : d->second) {
        if (!ov.contains(def.path())) list.push_back({def.path(), def.index, &def.object});
      }
    }
    if (list.size() < 2) continue;
    auto order = [&](const candidate_definition& c) {
      const bool incumbent = in_force != nullptr && c.path == in_force->path() &&
                             (*c.object == in_force->object || **c.object == *in_force->object);
      return std::tuple(!incumbent, c.path, c.index);
    };
    std::sort(list.begin(), list.end(), [&](const auto& a, const auto& b) { return order(a) < order(b); });
  }
  return out;
}

// The snapshot's conflicts with the overlay applied: later definitions of one key, in
// (path, position) order, as model::snapshot reports them for its objects in that order.
std::vector<model::error> backend::conflicts_of(const definitions& defs) const {
  struct later {
    std::string_view path;
    std::size_t index;
    model::error error;
  };
  std::vector<later> out;
  auto add = [&](const model::object_ref& key, const candidate_list& list) {
    for (std::size_t i = 1; i < list.size(); ++i) {
      const auto& in_force = model::meta_of(**list.front().object).file;
      out.push_back({list[i].path, list[i].index,
                     {model::meta_of(**list[i].object).file.str(), key.to_string(), "metadata.name",
                      "defined twice; the definition in " + in_force.str() + " is in force"}});
    }
  };
  for (const auto& [key, list] : defs) add(key, list);
  for (const auto& key : conflicted_) {
    if (defs.contains(key)) continue;
    candidate_list list;
    for (const auto& def : definitions_.at(key)) list.push_back({def.path(), def.index, &def.object});
    add(key, list);
  }
  std::sort(out.begin(), out.end(),
            [](const later& a, const later& b) { return std::tie(a.path, a.index) < std::tie(b.path, b.index); });
  std::vector<model::error> errors;
  errors.reserve(out.size());
  for (auto& l : out) errors.push_back(std::move(l.error));
  return errors;
}

// The state in force with the overlay applied: its definitions, conflicts and change set.
backend::prepared backend::prepare(const overlay& ov) const {
  prepared p;
  p.ov = ov;  // defs point into p.ov's keys: a moved map keeps its nodes
  p.defs = definitions_under(p.ov, p.rules_read);
  p.conflicts = conflicts_of(p.defs);
  for (const auto& [key, list] : p.defs) {  // object_key order is model::diff's order
    const model::object_ptr* now = list.empty() ? nullptr : list.front().object;
    const auto d = definitions_.find(key);
    const model::object_ptr* before = d == definitions_.end() ? nullptr : &d->second.front().object;
    if (before == nullptr && now == nullptr) continue;
    if (before != nullptr && now != nullptr && (*before == *now || **before == **now))
      continue;  // same object in force: nothing to edit
    auto owned = key.owned();
    auto& changed = before == nullptr ? p.changes.added : now == nullptr ? p.changes.removed : p.changes.modified;
    changed.push_back(owned);
    p.edits.push_back({std::move(owned), now == nullptr ? nullptr : *now});
  }
  return p;
}

const model::snapshot& backend::next_snapshot(prepared& p) const {
  if (!p.next) {
    p.next = std::make_shared<const model::snapshot>(*current_, p.edits, p.conflicts, generation_ + 1);
    std::vector<model::snapshot::edit>().swap(p.edits);
  }
  return *p.next;
}

// model::validate of the state in force with the overlay applied; the objects it adds or
// changes are the newcomers, blamed for what they break together with objects in force.
std::vector<model::error> backend::errors_under(const overlay& ov, std::optional<prepared>& keep) const {
  keep.reset();  // its definitions point into what the caller may change next
  auto& p = keep.emplace(prepare(ov));
  auto out = p.conflicts;
  if (!p.rules_read) {
    out.insert(out.end(), rule_errors_.begin(), rule_errors_.end());
    return out;
  }
  // A newcomer: defined under the overlay by another object than the one in force.
  auto fresh = [&](const model::object_key& k) {
    const auto it = p.defs.find(k);
    if (it == p.defs.end() || it->second.empty()) return false;
    const model::object_ptr& now = *it->second.front().object;
    const auto d = definitions_.find(k);
    return d == definitions_.end() || !(now == d->second.front().object || *now == *d->second.front().object);
  };
  auto rules = model::check_rules(next_snapshot(p), fresh);
  out.insert(out.end(), std::make_move_iterator(rules.begin()), std::make_move_iterator(rules.end()));
  return out;
}

update backend::scan(const std::vector<std::string>* changed) {
  std::set<std::string> removed;
  std::set<std::string> named;  // by the watcher
  std::set<std::string> examine;
  if (changed == nullptr) {
    auto listing = fs_->list(root_);
    // A tree that could not be read is not an empty tree: everything stays in force.
    if (!listing.error.empty()) return {current_, {}, current_errors_, "cannot list " + root_ + ": " + listing.error};
    for (auto& path : listing.files) {
      if (is_manifest(path)) examine.insert(std::move(path));
    }
    for (const auto& [path, st] : files_) {
      if (!examine.contains(path)) removed.insert(path);
    }
  } else {
    for (const auto& path : *changed) {
      if (is_manifest(path)) named.insert(path);
    }
    examine = named;
    // A refused file may be admissible now that others changed.
    examine.insert(refused_.begin(), refused_.end());
  }

  std::map<std::string, std::vector<model::object_ptr>> candidates;
  for (const auto& path : examine) {
    auto it = files_.find(path);
    if (changed != nullptr && !named.contains(path)) {
      // Refused and untouched: decoding it again would give the same result, so only a
      // file refused for a cross-object rule is retried, with the objects it had.
      if (it != files_.end() && it->second.refused_objects) candidates[path] = *it->second.refused_objects;
      continue;
    }
    auto c = fs_->read(root_, path);
    if (changed != nullptr && c.missing) {
      if (it != files_.end()) removed.insert(path);
      continue;
    }
    if (it == files_.end()) it = files_.emplace(path, file_state{}).first;
    file_state& st = it->second;
    const auto seen = c.text ? std::optional<digest>(digest_of(*c.text)) : std::nullopt;
    if (!c.text) {
      st.text.reset();
      st.errors = {{path, "", "", "cannot read: " + c.error}};
      st.refused_objects.reset();
    } else if (st.text != seen || !st.errors.empty()) {
      st.text = seen;
      auto d = model::decode_shared(path, *c.text, options_.decode);
      c.text.reset();  // the digest is kept, not the text
      st.errors = std::move(d.errors);
      st.refused_objects.reset();
      if (st.errors.empty()) candidates[path] = std::move(d.objects);
    }
  }

  overlay in_force;  // the state in force less the removed files
  for (const auto& path : removed) in_force[path] = &no_objects;
  // Round 1: every changed file together; files blamed for errors the state in force does
  // not have are set aside (all changed files when the blame lands on unchanged ones).
  std::map<std::string, std::vector<model::object_ptr>> set_aside;
  std::optional<prepared> checked;  // the last state checked, for commit()
  const auto baseline = error_texts(errors_under(in_force, checked));
  while (!candidates.empty()) {
    auto ov = in_force;
    for (const auto& [path, objects] : candidates) ov[path] = &objects;
    std::set<std::string> blamed;
    bool added = false;
    for (const auto& e : errors_under(ov, checked)) {
      if (baseline.contains(e.to_string())) continue;
      added = true;
      if (candidates.contains(e.file)) blamed.insert(e.file);
    }
    if (!added) break;
    if (blamed.empty()) {
      for (const auto& [path, objects] : candidates) blamed.insert(path);
    }
    checked.reset();  // it points into the candidates set aside now
    for (const auto& path : blamed) set_aside[path] = std::move(candidates.extract(path).mapped());
  }
  auto admitted = in_force;
  for (const auto& [path, objects] : candidates) admitted[path] = &objects;
  // Round 2: each set-aside file alone on top of what is now in force, in path order:
  // admitted if it adds no error, otherwise refused with exactly the errors it causes.
  for (const auto& [path, objects] : set_aside) {
    const auto before = error_texts(errors_under(admitted, checked));
    auto ov = admitted;
    ov[path] = &objects;
    std::vector<model::error> own;
    std::optional<model::error> elsewhere;
    for (auto& e : errors_under(ov, checked)) {
      if (before.contains(e.to_string())) continue;
      if (e.file == path) own.push_back(std::move(e));
      else if (!elsewhere) elsewhere = std::move(e);
    }
    if (own.empty() && !elsewhere) {
      admitted[path] = &objects;
      continue;
    }
    file_state& st = files_[path];
    if (!own.empty()) st.errors = std::move(own);
    else st.errors = {{path, "", "", "refused: admitting this file breaks a rule elsewhere: " + elsewhere->to_string()}};
    st.refused_objects = objects;
  }
  for (const auto& path : examine) {
    if (auto f = files_.find(path); f != files_.end() && !f->second.errors.empty()) refused_.insert(path);
    else refused_.erase(path);
  }
  return commit(admitted, std::move(checked));
}

// Puts the overlay in force: the next snapshot, its change set against the previous one
// (equal to model::diff of the two) and the errors in force.
update backend::commit(const overlay& ov, std::optional<prepared> checked) {
  if (!checked || checked->ov != ov) checked.emplace(prepare(ov));
  prepared& p = *checked;
  const auto& defs = p.defs;
  const bool rules_read = p.rules_read;
  next_snapshot(p);
  std::shared_ptr<const model::snapshot> snap = std::move(p.next);
  update u;
  u.changes = std::move(p.changes);
  ++generation_;

  // The definitions in force: read from the overlay and the old ones before either goes.
  // Keys: views into defs' (objects the overlay or files_ hold: both stay as they are here).
  std::vector<std::pair<model::object_ref, definition_list>> next;
  next.reserve(defs.size());
  for (const auto& [key, list] : defs) {
    definition_list owned;
    owned.reserve(list.size());
    for (const auto& def : list) owned.push_back({def.index, *def.object});
    next.emplace_back(key, std::move(owned));
  }
  for (auto& [key, list] : next) {
    if (list.size() > 1) {
      conflicted_.insert(key.owned());
    } else if (auto c = conflicted_.find(key); c != conflicted_.end()) {
      conflicted_.erase(c);
    }
    // Out, then in keyed by the new first definition: the old key views the old one.
    definitions_.erase(key);
    if (!list.empty()) {
      const auto ref = model::ref_of(*list.front().object);
      definitions_.emplace(ref, std::move(list));
    }
  }
  for (const auto& [path, objects] : ov) {
    if (objects == &no_objects) {
      files_.erase(path);
      refused_.erase(path);
    } else {
      file_state& st = files_[path];
      st.good = *objects;
      st.errors.clear();
      st.refused_objects.reset();
      refused_.erase(path);
    }
  }

  current_ = snap;
  if (rules_read) rule_errors_ = model::check_rules(*snap);
  for (const auto& path : refused_) {
    const auto& errors = files_.at(path).errors;
    u.errors.insert(u.errors.end(), errors.begin(), errors.end());
  }
  const auto shown = error_texts(u.errors);
  for (const std::vector<model::error>* list : {&snap->conflicts(), static_cast<const std::vector<model::error>*>(&rule_errors_)}) {
    for (const auto& e : *list) {
      if (!shown.contains(e.to_string())) u.errors.push_back(e);
    }
  }
  current_errors_ = u.errors;
  u.snapshot = std::move(snap);
  return u;
}

}  // namespace store::file
