// The reflectors' object cache as a manifest directory (see cache.hpp).
#include "cache.hpp"

namespace store::kubernetes {

class cache_filesystem final : public file::filesystem {
 public:
  explicit cache_filesystem(object_cache& c) : cache_(c) {}
  listing list(const std::string&) override {
    listing out;
    out.files.reserve(cache_.objects_.size());
    for (const auto& [file, e] : cache_.objects_) out.files.push_back(file);
    return out;
  }
  contents read(const std::string&, const std::string& relative) override {
    const auto it = cache_.objects_.find(relative);
    if (it == cache_.objects_.end()) return {std::nullopt, "deleted", true};
    auto& unread = it->second.unread;
    if (!unread) return {std::nullopt, "read twice (a datastore bug)", false};
    contents c{std::move(*unread), ""};
    unread.reset();
    return c;
  }

 private:
  object_cache& cache_;
};

// Never blocks: the datastore calls the backend only once it has coalesced a burst.
class cache_watcher final : public file::watcher {
 public:
  explicit cache_watcher(object_cache& c) : cache_(c) {}
  bool wait(std::chrono::milliseconds) override { return !cache_.changed_.empty(); }
  int native_handle() const override { return -1; }
  std::optional<std::vector<std::string>> take_changed() override {
    std::vector<std::string> out(cache_.changed_.begin(), cache_.changed_.end());
    cache_.changed_.clear();
    return out;
  }

 private:
  object_cache& cache_;
};

void object_cache::replace(const resource& r, std::vector<object_text> objects) {
  const auto prefix = file_prefix(r);
  std::set<std::string> listed;
  for (auto& o : objects) {
    listed.insert(o.file);
    upsert(r, std::move(o));
  }
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix);) {
    if (listed.contains(it->first)) {
      ++it;
      continue;
    }
    changed_.insert(it->first);
    it = objects_.erase(it);
  }
}

void object_cache::upsert(const resource&, object_text o) {
  auto [it, fresh] = objects_.try_emplace(o.file);
  entry& e = it->second;
  e.resource_version = std::move(o.resource_version);
  const auto hash = std::hash<std::string_view>{}(o.text);
  if (!fresh && e.size == o.text.size() && e.hash == hash) return;
  e.size = o.text.size();
  e.hash = hash;
  e.unread = std::move(o.text);
  e.ns = std::move(o.ns);
  e.name = std::move(o.name);
  e.uid = std::move(o.uid);
  changed_.insert(std::move(o.file));
}

void object_cache::remove(const resource&, const object_text& o) {
  if (objects_.erase(o.file) > 0) changed_.insert(o.file);
}

const object_cache::entry* object_cache::find(const std::string& file) const {
  const auto it = objects_.find(file);
  return it == objects_.end() ? nullptr : &it->second;
}

std::unique_ptr<file::filesystem> object_cache::make_filesystem() { return std::make_unique<cache_filesystem>(*this); }
std::unique_ptr<file::watcher> object_cache::make_watcher() { return std::make_unique<cache_watcher>(*this); }

}  // namespace store::kubernetes
