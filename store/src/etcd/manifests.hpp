// What bgplbctl does to an etcd datastore's objects (layout.hpp), with the file
// datastore's validation and error messages:
//
// - apply: each manifest file is decoded (model::decode: errors name the file, object,
//   field and rule) and admitted or refused whole against the objects in etcd by the
//   cross-object rules (admission.hpp), before anything is stored; each admitted object
//   is stored as its own document under its key. The Txns are guarded by the data
//   prefix's revision, so objects written meanwhile by someone else make it check again.
// - get: the stored documents of a kind (and namespace, name).
// - remove: deletes one object's key.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client.hpp"
#include "layout.hpp"
#include "model/decode.hpp"

namespace store::etcd {

// A manifest file split into one document per object bgplb reads (a multi-document file
// and `List` items give several; other kinds are skipped as the file datastore skips
// them). Each document decodes to exactly the object the whole file gives, or the file
// is refused.
struct manifest_object {
  model::object_ptr object;  // meta.file is the manifest's path
  std::string document;      // its own YAML document, as stored
};
struct manifest_read {
  std::vector<manifest_object> objects;
  std::vector<model::error> errors;
};
manifest_read read_manifest(const std::string& path, std::string_view text, const model::decode_options& options = {});

struct manifest_file {
  std::string path;
  std::string text;
};
struct apply_report {
  std::vector<std::string> stored;     // "IPAddressPool metallb-system/prod", changed or new
  std::vector<std::string> unchanged;  // already stored as they are
  std::vector<model::error> errors;    // of the refused files; nothing of them is stored
  std::string failure;                 // etcd could not be read or written (then nothing else holds)
};
apply_report apply_manifests(client& c, const layout& l, const std::vector<manifest_file>& files);

struct stored_object {
  std::string key;
  std::string document;
};
// Every object of the kind, in a namespace when given, or the one named; etcd's error.
std::vector<stored_object> get_objects(client& c, const layout& l, model::kind k, const std::optional<std::string>& ns,
                                       const std::optional<std::string>& name, std::string& failure);
// Deletes an object's key: true when it was there.
bool remove_object(client& c, const layout& l, const model::object_key& id, std::string& failure);

}  // namespace store::etcd
