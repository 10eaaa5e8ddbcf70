// The embedded default datastore: a directory of manifests (recursively, .yaml/.yml/.json,
// dot-entries skipped as Kubernetes ConfigMap mounts and editors require), watched for
// changes. A file is accepted or refused as a whole; a refused file keeps its last good
// objects in force and its errors on display until a good edit arrives. The kernel
// boundary (directory reads, inotify) is injected so the logic is testable without it.
// A change costs O(objects in the changed files · log n): the watcher names the changed
// files, and the next snapshot is the previous one plus their objects.
#pragma once

#include <absl/container/btree_map.h>
#include <absl/container/inlined_vector.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/decode.hpp"
#include "store/backend.hpp"
#include "store/coalesce.hpp"

namespace store::file {

class filesystem {
 public:
  virtual ~filesystem() = default;
  // Regular files under root, as paths relative to it with '/' separators, sorted; or,
  // when any part of the tree could not be read, the reason. A listing that failed is
  // never taken for an empty or a partial tree.
  struct listing {
    std::vector<std::string> files;
    std::string error;  // empty: complete
  };
  virtual listing list(const std::string& root) = 0;
  // Whole contents, or the reason it could not be read.
  struct contents {
    std::optional<std::string> text;
    std::string error;
    bool missing = false;  // no such file (any more): not an error when a watcher named it
  };
  virtual contents read(const std::string& root, const std::string& relative) = 0;
};

// What the real filesystem reads: regular files only (a FIFO, a device or a socket named
// like a manifest is refused, never opened for blocking reads), at most this many bytes.
inline constexpr std::size_t max_manifest_bytes = 64u << 20;

class watcher {
 public:
  virtual ~watcher() = default;
  // Blocks up to `timeout`; true when something under the root changed meanwhile.
  virtual bool wait(std::chrono::milliseconds timeout) = 0;
  virtual int native_handle() const = 0;
  // The files (relative to the root, '/' separators) that changed since the last call, or
  // nothing when the watcher cannot tell (event queue overflow; a directory or a symlink
  // created, moved or removed): the caller then reads the whole tree. Names that are not
  // manifests may be included; the caller filters. The default can never tell.
  virtual std::optional<std::vector<std::string>> take_changed() { return std::nullopt; }
  // True when what changed since the last take_changed() can be read whole now: every
  // file named was closed after its last write, or moved into place, or removed (one
  // still open for writing, truncated in place or linked in is not; nor is anything when
  // the watcher cannot name the files). The backend reads a complete change at once when
  // nothing is coalescing; any other after the quiet time. The default can never tell.
  virtual bool complete() const { return false; }
};

std::unique_ptr<filesystem> make_posix_filesystem();
// Watches root and every directory below it (new ones included) with inotify.
std::unique_ptr<watcher> make_inotify_watcher(const std::string& root);

struct options {
  // Coalescing (store::coalescer): the first complete change after `quiet` without one is
  // read at once; changes within `quiet` of the last read (or not yet complete) are read
  // together once `quiet` passes without events, at most `max_delay` after the first.
  std::chrono::milliseconds quiet{100};
  std::chrono::milliseconds max_delay{1000};
  model::decode_options decode;
};

bool is_manifest(const std::string& relative_path);

// Contents are compared by a 128-bit digest (XXH3), not kept: a file's text would double
// what its objects cost in memory.
struct digest {
  std::uint64_t low = 0, high = 0;
  friend bool operator==(const digest&, const digest&) = default;
};
digest digest_of(std::string_view text);

class backend final : public store::backend {
 public:
  backend(std::string root, std::unique_ptr<filesystem> fs, std::unique_ptr<watcher> w, options opts = {});

  update list() override;
  std::optional<update> wait(std::chrono::milliseconds timeout) override;
  int native_handle() const override;

 private:
  struct file_state {
    std::optional<digest> text;           // digest of the last contents read
    std::vector<model::object_ptr> good;  // last good objects, in force
    std::vector<model::error> errors;     // why the current contents are refused
    // The current contents' objects when they decode cleanly but were refused for a
    // cross-object rule: retried as they are when other files change.
    std::optional<std::vector<model::object_ptr>> refused_objects;
  };
  // One definition of a key in force: the object and its position in its file. The one in
  // force stays first while its file defines it unchanged; otherwise the first in (path,
  // position) order wins. Later ones are conflicts.
  struct definition {
    std::size_t index;
    model::object_ptr object;
    // The file: an object decoded here names the path it was decoded from.
    std::string_view path() const { return model::meta_of(*object).file.view(); }
  };
  // The same, for a candidate state (pointing into files_, definitions_ or an overlay).
  struct candidate_definition {
    std::string_view path;
    std::size_t index;
    const model::object_ptr* object;
  };
  // Most keys have one definition: it is held inline, and the B-tree holds its entries in
  // nodes of many (not a node and a vector of one per key: docs/memory.md). Entries move
  // when the tree changes: pointers into definitions_ live only until it does (commit()).
  using definition_list = absl::InlinedVector<definition, 1>;
  using candidate_list = absl::InlinedVector<candidate_definition, 1>;
  // Keyed by views into an object of the key (model::ref_of): in a candidate state, one
  // the overlay or files_ holds; in force, the first definition's, which the entry holds.
  using definitions = absl::btree_map<model::object_ref, candidate_list>;
  // Files whose objects differ from those in force (removed files map to no objects).
  using overlay = std::map<std::string, const std::vector<model::object_ptr>*, std::less<>>;

  // A candidate state worked out: the state in force with `ov` applied. errors_under()
  // works it out to check it and commit() to put it in force; scan() hands the last one
  // checked to commit(), which takes it as it is when its overlay is the one admitted, so
  // a state is indexed once (at a cold start: every key, and a snapshot of every object).
  // It owns its overlay: `defs` point into it, into definitions_ and into the objects the
  // overlay points to, all of which must stay as they are until commit().
  struct prepared {
    overlay ov;
    definitions defs;
    bool rules_read = false;  // a key of a kind model::check_rules reads is touched
    std::vector<model::error> conflicts;
    model::change_set changes;                  // against current_
    std::vector<model::snapshot::edit> edits;   // the same, as edits of current_
    std::shared_ptr<const model::snapshot> next;  // current_ with the edits (built on demand)
  };

  update scan(const std::vector<std::string>* changed);
  definitions definitions_under(const overlay& ov, bool& rules_read) const;
  std::vector<model::error> conflicts_of(const definitions& defs) const;
  prepared prepare(const overlay& ov) const;
  const model::snapshot& next_snapshot(prepared& p) const;
  // Errors of the state with `ov` applied; what was worked out for them is left in `keep`.
  std::vector<model::error> errors_under(const overlay& ov, std::optional<prepared>& keep) const;
  // Puts the overlay in force, taking `checked` when it was worked out for the same overlay.
  update commit(const overlay& ov, std::optional<prepared> checked);

  std::string root_;
  std::unique_ptr<filesystem> fs_;
  std::unique_ptr<watcher> watcher_;
  options options_;
  coalescer coalescer_;
  std::map<std::string, file_state> files_;
  std::set<std::string> refused_;  // files with errors
  absl::btree_map<model::object_ref, definition_list> definitions_;  // key: views into front().object
  std::set<model::object_key, std::less<>> conflicted_;  // keys defined more than once
  std::shared_ptr<const model::snapshot> current_;
  std::vector<model::error> rule_errors_;  // model::check_rules(*current_)
  std::vector<model::error> current_errors_;
  std::uint64_t generation_ = 0;
};

}  // namespace store::file
