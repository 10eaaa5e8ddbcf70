// The objects the reflectors hold, shown to the file backend's machinery
// (store::file::backend) as a directory of manifests: one "file" per object
// (resources.hpp object_file), a filesystem that reads from this map and a watcher that
// names the objects changed since the last update. The backend keeps each object's text
// (it compares texts to skip unchanged files); the cache keeps only a fingerprint (length
// and hash) to tell a real change from a new resourceVersion, and a changed text until
// the backend has read it, so no object's text is held twice. The Kubernetes
// datastore thereby decodes, validates, keeps last good versions, refuses objects that
// break a cross-object rule and builds snapshots and change sets exactly as the file
// datastore does: a Kubernetes object is admitted or refused as a manifest file is.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "reflector.hpp"
#include "store/file_backend.hpp"

namespace store::kubernetes {

class object_cache final : public object_sink {
 public:
  struct entry {
    std::string resource_version;
    std::string ns;
    std::string name;
    std::string uid;
    std::size_t size = 0;       // of the text
    std::size_t hash = 0;       // of the text
    std::optional<std::string> unread;  // the text, until the backend reads it
  };

  void replace(const resource& r, std::vector<object_text> objects) override;
  void upsert(const resource& r, object_text object) override;
  void remove(const resource& r, const object_text& object) override;

  const entry* find(const std::string& file) const;
  std::size_t size() const { return objects_.size(); }
  // Objects whose text changed since the last take_changed() (also removed ones).
  bool dirty() const { return !changed_.empty(); }

  // The file backend's kernel boundary over this cache; both hold a reference to it. The
  // backend must read only the files the watcher names (file::backend::wait), each once:
  // a text is handed over, not kept.
  std::unique_ptr<file::filesystem> make_filesystem();
  std::unique_ptr<file::watcher> make_watcher();

 private:
  friend class cache_filesystem;
  friend class cache_watcher;
  std::map<std::string, entry> objects_;  // by object_file
  std::set<std::string> changed_;
};

}  // namespace store::kubernetes
