// store::file::backend: rescans the manifest directory after a coalesced burst of events,
// decodes changed files, and admits a changed file only if it decodes cleanly and adds no
// cross-object error (model::validate) to the state in force. Refused files keep their
// last good objects; their errors are reported with every update until fixed.
#include "store/file_backend.hpp"

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

}  // namespace

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
      current_(std::make_shared<model::snapshot>()) {}

int backend::native_handle() const { return watcher_ ? watcher_->native_handle() : -1; }

update backend::list() { return rescan(); }

std::optional<update> backend::wait(std::chrono::milliseconds timeout) {
  if (!watcher_ || !watcher_->wait(timeout)) return std::nullopt;
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + options_.max_delay;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left <= std::chrono::milliseconds{0} || !watcher_->wait(std::min(left, options_.quiet))) break;
  }
  const auto errors_before = current_errors_;
  auto u = rescan();
  if (u.changes.empty() && u.errors == errors_before) return std::nullopt;
  return u;
}

std::shared_ptr<const model::snapshot> backend::build(
    const std::map<std::string, const std::vector<model::object>*>& in) const {
  std::vector<model::object> all;
  for (const auto& [path, objects] : in) all.insert(all.end(), objects->begin(), objects->end());
  return std::make_shared<const model::snapshot>(std::move(all), generation_ + 1);
}

update backend::rescan() {
  std::map<std::string, file_state> next;
  std::map<std::string, std::vector<model::object>> candidates;
  for (const auto& path : fs_->list(root_)) {
    if (!is_manifest(path)) continue;
    file_state st;
    if (auto it = files_.find(path); it != files_.end()) st = std::move(it->second);
    auto c = fs_->read(root_, path);
    if (!c.text) {
      st.text.reset();
      st.errors = {{path, "", "", "cannot read: " + c.error}};
    } else if (st.text != c.text || !st.errors.empty()) {
      st.text = std::move(c.text);
      auto d = model::decode(path, *st.text, options_.decode);
      st.errors = std::move(d.errors);
      if (st.errors.empty()) candidates[path] = std::move(d.objects);
    }
    next.emplace(path, std::move(st));
  }

  auto in_force = [&] {
    std::map<std::string, const std::vector<model::object>*> in;
    for (const auto& [path, st] : next) in[path] = &st.good;
    return in;
  };
  // Round 1: every changed file together; files blamed for errors the state in force does
  // not have are set aside (all changed files when the blame lands on unchanged ones).
  std::map<std::string, std::vector<model::object>> set_aside;
  const auto baseline = error_texts(model::validate(*build(in_force())));
  while (!candidates.empty()) {
    auto in = in_force();
    for (const auto& [path, objects] : candidates) in[path] = &objects;
    std::set<std::string> blamed;
    bool added = false;
    for (const auto& e : model::validate(*build(in))) {
      if (baseline.contains(e.to_string())) continue;
      added = true;
      if (candidates.contains(e.file)) blamed.insert(e.file);
    }
    if (!added) break;
    if (blamed.empty()) {
      for (const auto& [path, objects] : candidates) blamed.insert(path);
    }
    for (const auto& path : blamed) set_aside[path] = std::move(candidates.extract(path).mapped());
  }
  for (auto& [path, objects] : candidates) next[path].good = std::move(objects);
  // Round 2: each set-aside file alone on top of what is now in force, in path order:
  // admitted if it adds no error, otherwise refused with exactly the errors it causes.
  for (auto& [path, objects] : set_aside) {
    auto in = in_force();
    const auto before = error_texts(model::validate(*build(in)));
    in[path] = &objects;
    std::vector<model::error> own;
    std::optional<model::error> elsewhere;
    for (auto& e : model::validate(*build(in))) {
      if (before.contains(e.to_string())) continue;
      if (e.file == path) own.push_back(std::move(e));
      else if (!elsewhere) elsewhere = std::move(e);
    }
    if (own.empty() && !elsewhere) {
      next[path].good = std::move(objects);
    } else if (!own.empty()) {
      next[path].errors = std::move(own);
    } else {
      next[path].errors = {{path, "", "", "refused: admitting this file breaks a rule elsewhere: " + elsewhere->to_string()}};
    }
  }
  files_ = std::move(next);

  std::map<std::string, const std::vector<model::object>*> admitted;
  for (const auto& [path, st] : files_) admitted[path] = &st.good;
  auto snap = build(admitted);
  ++generation_;
  update u;
  u.changes = model::diff(*current_, *snap);
  for (const auto& [path, st] : files_) u.errors.insert(u.errors.end(), st.errors.begin(), st.errors.end());
  const auto shown = error_texts(u.errors);
  for (auto& e : model::validate(*snap)) {
    if (!shown.contains(e.to_string())) u.errors.push_back(std::move(e));
  }
  current_ = snap;
  current_errors_ = u.errors;
  u.snapshot = std::move(snap);
  return u;
}

}  // namespace store::file
