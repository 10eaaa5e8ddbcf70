// Decoding manifests (YAML or JSON, several documents per file, `List` kinds) into typed
// objects, checking each object's own rules as MetalLB's webhook and Calico's validator
// do. Rules that span objects (overlapping pools, undefined community aliases, ...) are in
// validate.hpp. Unknown kinds (Deployments, ...) are skipped: a manifest directory may hold
// a whole application.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.hpp"
#include "model/objects.hpp"

namespace model {

struct decode_options {
  // MetalLB objects without metadata.namespace land here; others are refused.
  std::string metallb_namespace = "metallb-system";
};

struct decode_result {
  std::vector<object> objects;  // only objects without errors
  std::vector<error> errors;
};

decode_result decode(std::string_view file, std::string_view text,
                     const decode_options& options = {});

// The same, each object allocated once as it is decoded (a datastore keeps them shared):
// no vector of every object of a large file in between.
struct shared_decode_result {
  std::vector<object_ptr> objects;
  std::vector<error> errors;
};
shared_decode_result decode_shared(std::string_view file, std::string_view text, const decode_options& options = {});

}  // namespace model
