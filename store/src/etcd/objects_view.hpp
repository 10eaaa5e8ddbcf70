// The objects under P/v1/ as the consumers see them: each key's value decoded with
// model::decode (the key is the "file" errors name) and admitted as the file datastore
// admits a file: a value that does not decode, holds anything but the one object its key
// names, or adds a cross-object error (model::check_rules) is refused, and the key's last
// good object stays in force with the errors on display until a good value arrives. A
// value refused for a cross-object rule is retried with every later change. Deletions are
// always admitted. Pure: the watcher feeds it keys, it returns updates.
//
// Cost: O(changed keys · log n) per change; the rules re-run only when a touched kind is
// one they read (model::read_by_rules), as in the file backend.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "admission.hpp"
#include "layout.hpp"
#include "model/decode.hpp"
#include "store/backend.hpp"

namespace store::etcd {

struct key_change {
  std::string key;
  std::optional<std::string> value;  // nullopt: deleted
};

// One value as a key holds it: exactly the object the key names, or the errors (naming
// the key as the file) that refuse it. bgplbctl checks values with this before a put.
struct key_decode {
  model::object_ptr object;
  std::vector<model::error> errors;
};
key_decode decode_value(const std::string& key, const model::object_key& id, std::string_view text,
                        const model::decode_options& options);

class objects_view {
 public:
  objects_view(layout l, model::decode_options options);

  // Applies the changes (a key at most once) and returns the update against the previous
  // one. With `everything`, the changes are the whole contents (a list): other keys go.
  update apply(const std::vector<key_change>& changes, bool everything);

  const std::shared_ptr<const model::snapshot>& current() const { return current_; }

 private:
  struct key_state {
    std::optional<model::object_key> id;  // nullopt: not an object key
    std::string text;
    model::object_ptr good;               // in force, or null
    std::vector<model::error> errors;     // why `text` is refused
    model::object_ptr refused;            // decoded, refused for a cross-object rule
  };
  update commit(const object_edits& e, bool rules_read);

  layout layout_;
  model::decode_options options_;
  std::map<std::string, key_state> keys_;
  std::set<std::string> shown_;  // keys with errors (a superset between changes)
  std::shared_ptr<const model::snapshot> current_;
  std::vector<model::error> rule_errors_;
  std::uint64_t generation_ = 0;
};

}  // namespace store::etcd
