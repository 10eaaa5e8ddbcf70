// The controller's loop body (see reconciler.hpp).
#include "controller/reconciler.hpp"

namespace controller {

std::vector<model::error> reconciler::load() {
  auto r = state_.read_ledger();
  if (!r.ledger) return std::move(r.errors);
  ledger_ = std::move(*r.ledger);
  loaded_ = true;
  return {};
}

bool reconciler::reread(std::vector<model::error>& errors) {
  auto r = state_.read_ledger();
  if (!r.ledger) {
    errors.insert(errors.end(), r.errors.begin(), r.errors.end());
    return false;
  }
  ledger_ = std::move(*r.ledger);
  reread_ = false;
  return true;
}

reconciler::outcome reconciler::reconcile(const store::update& u, std::int64_t now) {
  outcome out;
  if (!loaded_) return out;
  if (reread_ && !reread(out.errors)) return out;
  bool changed = true;
  if (!allocator_) {
    options o = options_;
    o.now = now;
    allocator_.emplace(*u.snapshot, ledger_, o);
    ledger_ = {};  // the allocator holds it from now on
  } else {
    const bool seen = u.snapshot == last_snapshot_;
    auto d = allocator_->apply(*u.snapshot, seen ? model::change_set{} : u.changes, now);
    changed = !d.empty();
    out.all = !written_;
    out.changed = std::move(d.services);
  }
  last_snapshot_ = u.snapshot;
  if (written_ && !changed && u.errors == last_errors_) return out;
  out.allocation = allocator_->current();
  auto& a = out.allocation;
  // Lent to the writer and taken back, not copied: at 100,000 services the ledger and
  // the statuses are tens of MiB (docs/memory.md).
  store::state lent{std::move(a.ledger), std::move(a.services), std::move(a.pools), u.errors};
  out.errors = state_.write(lent);
  a.ledger = std::move(lent.ledger);
  a.services = std::move(lent.services);
  a.pools = std::move(lent.pools);
  if (!out.errors.empty()) {
    // The old ledger stands: the next pass starts over from it, as after a restart.
    allocator_.reset();
    reread_ = true;
    reread(out.errors);
    return out;
  }
  out.wrote = true;
  written_ = true;
  last_errors_ = u.errors;
  return out;
}

}  // namespace controller
