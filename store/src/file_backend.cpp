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

  auto inputs = [&](bool with_candidates) {
    std::map<std::string, const std::vector<model::object>*> in;
    for (const auto& [path, st] : next) in[path] = &st.good;
    if (with_candidates) {
      for (const auto& [path, objects] : candidates) in[path] = &objects;
    }
    return in;
  };
  const auto baseline = error_texts(model::validate(*build(inputs(false))));
  while (!candidates.empty()) {
    std::vector<model::error> added;
    for (auto& e : model::validate(*build(inputs(true)))) {
      if (!baseline.contains(e.to_string())) added.push_back(std::move(e));
    }
    if (added.empty()) break;
    std::set<std::string> blamed;
    for (const auto& e : added) {
      if (candidates.contains(e.file)) blamed.insert(e.file);
    }
    if (blamed.empty()) {
      // The errors land on files already in force: every changed file is suspect.
      for (const auto& [path, objects] : candidates) {
        blamed.insert(path);
        next[path].errors.push_back({path, "", "", "refused: admitting this file breaks a rule elsewhere: " +
                                                        added.front().to_string()});
      }
    }
    for (const auto& path : blamed) {
      for (const auto& e : added) {
        if (e.file == path) next[path].errors.push_back(e);
      }
      candidates.erase(path);
    }
  }
  for (auto& [path, objects] : candidates) next[path].good = std::move(objects);
  files_ = std::move(next);

  std::map<std::string, const std::vector<model::object>*> in_force;
  for (const auto& [path, st] : files_) in_force[path] = &st.good;
  auto snap = build(in_force);
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
