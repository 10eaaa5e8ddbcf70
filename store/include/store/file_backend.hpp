// The embedded default datastore: a directory of manifests (recursively, .yaml/.yml/.json,
// dot-entries skipped as Kubernetes ConfigMap mounts and editors require), watched for
// changes. A file is accepted or refused as a whole; a refused file keeps its last good
// objects in force and its errors on display until a good edit arrives. The kernel
// boundary (directory reads, inotify) is injected so the logic is testable without it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/decode.hpp"
#include "store/backend.hpp"

namespace store::file {

class filesystem {
 public:
  virtual ~filesystem() = default;
  // Regular files under root, as paths relative to it with '/' separators, sorted.
  virtual std::vector<std::string> list(const std::string& root) = 0;
  // Whole contents, or the reason it could not be read.
  struct contents {
    std::optional<std::string> text;
    std::string error;
  };
  virtual contents read(const std::string& root, const std::string& relative) = 0;
};

class watcher {
 public:
  virtual ~watcher() = default;
  // Blocks up to `timeout`; true when something under the root changed meanwhile.
  virtual bool wait(std::chrono::milliseconds timeout) = 0;
  virtual int native_handle() const = 0;
};

std::unique_ptr<filesystem> make_posix_filesystem();
// Watches root and every directory below it (new ones included) with inotify.
std::unique_ptr<watcher> make_inotify_watcher(const std::string& root);

struct options {
  // A burst of events ends after `quiet` without events, or after `max_delay` in any case.
  std::chrono::milliseconds quiet{100};
  std::chrono::milliseconds max_delay{1000};
  model::decode_options decode;
};

bool is_manifest(const std::string& relative_path);

class backend final : public store::backend {
 public:
  backend(std::string root, std::unique_ptr<filesystem> fs, std::unique_ptr<watcher> w, options opts = {});

  update list() override;
  std::optional<update> wait(std::chrono::milliseconds timeout) override;
  int native_handle() const override;

 private:
  struct file_state {
    std::optional<std::string> text;   // last contents read
    std::vector<model::object> good;   // last good objects, in force
    std::vector<model::error> errors;  // why the current contents are refused
  };

  update rescan();
  std::shared_ptr<const model::snapshot> build(const std::map<std::string, const std::vector<model::object>*>& in) const;

  std::string root_;
  std::unique_ptr<filesystem> fs_;
  std::unique_ptr<watcher> watcher_;
  options options_;
  std::map<std::string, file_state> files_;
  std::shared_ptr<const model::snapshot> current_;
  std::vector<model::error> current_errors_;
  std::uint64_t generation_ = 0;
};

}  // namespace store::file
