// controller::reconciler: the controller's level-triggered loop body. It restores the
// ledger from the state writer once (refusing a corrupt one), then for every snapshot
// runs allocate() and persists ledger and status when they changed. No I/O of its own
// beyond the injected state_writer, so it is tested with an in-memory one.
#pragma once

#include <vector>

#include "controller/allocate.hpp"
#include "store/backend.hpp"

namespace controller {

class reconciler {
 public:
  reconciler(store::state_writer& state, options opts) : state_(state), options_(std::move(opts)) {}

  // Reads the ledger back. On errors the reconciler stays unloaded and reconcile() does
  // nothing: a controller that guessed would renumber services.
  std::vector<model::error> load();
  bool loaded() const { return loaded_; }

  struct outcome {
    result allocation;
    bool wrote = false;
    std::vector<model::error> errors;  // from writing the state
  };
  outcome reconcile(const store::update& u, std::int64_t now);

  const model::ledger& ledger() const { return ledger_; }

 private:
  store::state_writer& state_;
  options options_;
  bool loaded_ = false;
  model::ledger ledger_;
  std::vector<model::service_status> last_services_;
  std::vector<model::pool_status> last_pools_;
  std::vector<model::error> last_errors_;
  bool written_ = false;
};

}  // namespace controller
