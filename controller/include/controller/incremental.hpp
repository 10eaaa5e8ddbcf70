// controller::incremental_allocator: allocate() kept alive between passes. It holds the
// last result (ledger, address usage, per-service status, pool status) and, given the next
// snapshot and the change set against the previous one, re-runs allocate()'s rules only
// for the services that can come out differently: the changed ones, those sharing an
// address with them, and those still waiting for an address (failed, or allocated in the
// last pass and so reporting IPAllocated once). A change to pools or namespaces re-runs
// everything. The result is always exactly allocate(snapshot, previous ledger, options):
// controller/test/property_test.cpp (incremental_equals_full) checks it on random edits.
//
// Cost: O((d + w) log n) for d changed services and w waiting ones; current() is O(n).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "controller/allocate.hpp"

namespace controller {

namespace detail {
class engine;
}

class incremental_allocator {
 public:
  // A full pass: current() then equals allocate(s, previous, opts).
  incremental_allocator(const model::snapshot& s, const model::ledger& previous, const options& opts);
  ~incremental_allocator();
  incremental_allocator(incremental_allocator&&) noexcept;
  incremental_allocator& operator=(incremental_allocator&&) noexcept;

  struct delta {
    bool full = false;                      // every service was re-run
    std::size_t rerun = 0;                  // services re-run in this pass
    std::vector<model::name_key> services;  // services whose status changed or that left
    bool ledger = false;                    // the ledger changed (its revision moved)
    bool pools = false;                     // some pool status changed
    bool empty() const { return services.empty() && !ledger && !pools; }
  };
  // `changes` must be the change set from the snapshot of the previous pass to `s` (a
  // superset is fine). Afterwards current() equals allocate(s, ledger before, opts with
  // now). `s` need not outlive the call. The delta is the caller's: the allocator keeps
  // no copy (after a cold start's second pass it names every service).
  delta apply(const model::snapshot& s, const model::change_set& changes, std::int64_t now);

  result current() const;

 private:
  std::unique_ptr<detail::engine> engine_;
  options options_;
};

}  // namespace controller
