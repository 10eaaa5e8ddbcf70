// Everything a process reads from P/v1/, kept at one etcd revision: the admitted objects
// (objects_view) and the published assignments (the ledger's service keys), turned into
// store::change values. Pure: the watcher feeds it a list or a batch of watch events and
// delivers what comes back. Events at or below the revision already applied are skipped,
// so a resumed or repeated watch never applies anything twice.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "layout.hpp"
#include "objects_view.hpp"
#include "store/datastore.hpp"

namespace store::etcd {

struct kv_item {
  std::string key;
  std::string value;
};

struct kv_event {
  bool deleted = false;
  std::string key;
  std::string value;
  std::int64_t revision = 0;  // the revision of the change (mod_revision; a delete's revision)
};

class view {
 public:
  view(layout l, model::decode_options options);

  // The whole of P/v1/ as listed at `revision`; a full change against the previous one.
  change reset(const std::vector<kv_item>& all, std::int64_t revision);
  // Events in revision order; nothing when they change nothing a consumer sees.
  std::optional<change> apply(const std::vector<kv_event>& events);

  std::int64_t revision() const { return revision_; }
  // Known current up to `revision` with nothing to apply (a watch progress notification).
  void advance(std::int64_t revision) { revision_ = std::max(revision_, revision); }

 private:
  struct ledger_key_state {
    std::string text;
    std::optional<model::name_key> service;  // the service its last good value assigns
    std::vector<model::error> errors;         // why `text` is refused
  };
  change finish(update objects, bool full, const std::map<std::string, std::optional<std::string>>& ledger);
  std::vector<model::error> ledger_errors() const;

  layout layout_;
  objects_view objects_;
  std::map<std::string, ledger_key_state> ledger_;  // service keys only
  std::set<std::string> bad_ledger_;                 // those whose value is refused
  model::assignments assignments_;
  std::vector<model::error> last_errors_;
  std::int64_t revision_ = 0;
};

}  // namespace store::etcd
