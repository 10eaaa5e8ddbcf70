// The `file:` datastore: a manifest directory (file_backend.hpp) and, when given, a state
// directory whose ledger.json is the published assignments (state_dir.hpp). A controller
// opens it for writing: it takes the state directory's lock (one controller per state
// directory, refused with a clear message otherwise) and writes through writer(). A
// controller that may stand by (`bgplb run` with several nodes) is elected instead: it
// leads while its node is the designated one and it holds the lock, and runs as a speaker
// only otherwise. The kernel boundary (directory reads, inotify) is injected.
#pragma once

#include <memory>
#include <string>

#include "store/datastore.hpp"
#include "store/file_backend.hpp"

namespace store::file {

class datastore final : public store::datastore {
 public:
  // Throws std::invalid_argument when the state directory is locked by another process or
  // cannot be created.
  datastore(std::string root, std::unique_ptr<filesystem> fs, std::unique_ptr<watcher> w,
            const store::open_options& o);
  ~datastore() override;

  void start(change_sink on_change, health_sink on_health) override;
  void resync() override;
  void stop() override;
  state_writer* writer() override;
  void campaign(leader_sink on_leader) override;
  std::string leadership() const override;
  std::string describe() const override;

  struct impl;
  class ledger_writer;

 private:
  std::unique_ptr<impl> impl_;
  std::unique_ptr<state_writer> writer_;
  std::string root_;
};

// Which node's controller allocates when several nodes share a state directory and none is
// told (open_options::standby): the Node labelled bgplb.io/controller=true (the first by
// name if several are), else the first Node by name; nothing when the manifests hold no
// Node (a single machine: whoever takes the state directory's lock). Every node reads the
// same manifests, so all agree.
inline constexpr std::string_view controller_label = "bgplb.io/controller";
std::optional<std::string> designated_controller(const model::snapshot& s);

}  // namespace store::file
