// controller::reconciler: the controller's level-triggered loop body. It restores the
// ledger from the state writer once (refusing a corrupt one), runs one full pass, then
// for every update re-runs only what the update's change set touches
// (incremental_allocator) and persists ledger and status when they changed. No I/O of
// its own beyond the injected state_writer, so it is tested with an in-memory one.
// Between passes it keeps the allocator and nothing else of size: the allocator holds the
// ledger as last written, and after a failed write the next pass reads it back.
#pragma once

#include <vector>

#include <memory>
#include <optional>

#include "controller/allocate.hpp"
#include "controller/incremental.hpp"
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
    result allocation;  // the whole result when the state changed (a write was due), else empty
    bool wrote = false;
    // With `wrote`: the services whose status differs from the previous write (sorted),
    // or, when `all`, possibly any (the first write, or the first after a failed one).
    bool all = true;
    std::vector<model::name_key> changed;
    std::vector<model::error> errors;  // from writing the state
  };
  // Updates must come in the order the backend gave them: each one's change set is
  // against the one before. The same update again is fine (a timer pass).
  outcome reconcile(const store::update& u, std::int64_t now);

  // The ledger as last written (O(n): built from the allocator).
  model::ledger ledger() const { return allocator_ ? allocator_->current().ledger : ledger_; }

 private:
  bool reread(std::vector<model::error>& errors);  // false: errors appended

  store::state_writer& state_;
  options options_;
  bool loaded_ = false;
  model::ledger ledger_;  // as last written, until the allocator holds it
  bool reread_ = false;   // a write failed: read ledger_ back before the next pass
  std::optional<incremental_allocator> allocator_;
  std::shared_ptr<const model::snapshot> last_snapshot_;
  std::vector<model::error> last_errors_;
  bool written_ = false;
};

}  // namespace controller
