// store::read_once: one consistent read of a datastore, for commands that answer and exit
// (`bgplb plan --datastore`, `bgplbctl`): the URI opened read-only (no writer, no
// campaign, whatever the options say), the first full update awaited, the datastore
// stopped. Nothing is ever written.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/datastore.hpp"

namespace store {

struct read_result {
  std::optional<update> objects;                          // the snapshot and the errors in force
  std::shared_ptr<const model::assignments> assignments;  // as published (Service status in Kubernetes)
  // With `with_ledger`: the controller's ledger as it would restore it
  // (datastore::read_published_ledger: in Kubernetes the Services' entries and the holds
  // ConfigMap, in etcd the ledger keys); unset otherwise and for datastores without that
  // read (a manifest directory).
  std::optional<model::ledger> ledger;
  std::string error;                                      // why there is no snapshot ("" with one)
};

// Waits at most `timeout` for the first full update (the datastore retries meanwhile, as
// it always does); without one, the error says so with the last health report's words
// (a 403, a refused connection, bad credentials). Then, `with_ledger`, reads the ledger;
// a datastore that has one but cannot read it (a 403 on the holds ConfigMap, a corrupt
// one) is an error too, in the words the controller would log: no snapshot is returned.
// Throws std::invalid_argument as store::open does for a bad URI.
read_result read_once(std::string_view uri, open_options options, std::chrono::milliseconds timeout,
                      bool with_ledger = false);

}  // namespace store
