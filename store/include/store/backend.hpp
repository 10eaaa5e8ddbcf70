// The datastore interface the controller and speaker consume, whatever holds the objects
// (a manifest directory today; the Kubernetes API and etcd later): list() for a full view,
// wait() for the next coalesced change, and a state_writer for the controller's results.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "model/error.hpp"
#include "model/ledger.hpp"
#include "model/snapshot.hpp"
#include "model/status.hpp"

namespace store {

struct update {
  std::shared_ptr<const model::snapshot> snapshot;  // never null
  model::change_set changes;                         // against the previous update
  std::vector<model::error> errors;                  // every error currently in force
  // Set when the datastore itself could not be read (a directory listing failed): nothing
  // changed, everything in force stays, and the reader should try again.
  std::string io_error;
};

class backend {
 public:
  virtual ~backend() = default;
  // The current state, read afresh; its change set is against the previous update.
  virtual update list() = 0;
  // Blocks up to `timeout` for changes and returns them coalesced, or nothing when the
  // datastore did not change (or changed back) in that time.
  virtual std::optional<update> wait(std::chrono::milliseconds timeout) = 0;
  // A file descriptor that becomes readable when wait() has something; -1 if none.
  // Lets an Asio loop wait with posix::stream_descriptor instead of a thread.
  virtual int native_handle() const = 0;
};

// The controller's results. The ledger is authoritative and is what a restarted
// controller reads back; service and pool status are derived from it and the snapshot.
struct state {
  model::ledger ledger;
  std::vector<model::service_status> services;
  std::vector<model::pool_status> pools;
  std::vector<model::error> config_errors;  // refused files and broken rules, for bgplbctl
};

struct ledger_read {
  std::optional<model::ledger> ledger;  // set iff errors is empty
  std::vector<model::error> errors;
};

class state_writer {
 public:
  virtual ~state_writer() = default;
  // Persists the state; returns the errors (empty on success). Never leaves a torn file.
  virtual std::vector<model::error> write(const state& s) = 0;
  // The last written ledger; an empty ledger when nothing was ever written. A corrupt
  // ledger is an error naming file, field path and rule: the caller must not guess.
  virtual ledger_read read_ledger() = 0;
};

}  // namespace store
