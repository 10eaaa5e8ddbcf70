// store::coalescer: when a datastore hands its changes on. Coalesce only under load: the
// first change after a quiet period goes at once, so a single edit reaches the consumers
// without waiting; changes that arrive within `quiet` of the last delivery are held until
// `quiet` passes without one (at most `max_delay` after the first of them) and go
// together, so a burst still leaves in a few packed UPDATEs. A change its source cannot
// yet call complete (a file still open for writing) never goes at once: it waits for
// `quiet` as under load, or until the source says it is complete. Pure: the caller gives
// the time and owns the timer. The file backend, the etcd watcher and the Kubernetes
// datastore each keep one.
#pragma once

#include <chrono>
#include <optional>

namespace store {

class coalescer {
 public:
  using clock = std::chrono::steady_clock;

  coalescer(std::chrono::milliseconds quiet, std::chrono::milliseconds max_delay)
      : quiet_(quiet), max_delay_(max_delay) {}

  // A change arrived at `now`; `complete`: its source can tell it is whole. Returns when
  // to deliver everything pending (`now`: at once). Every later change moves it.
  clock::time_point on_change(clock::time_point now, bool complete = true);
  // Everything pending was delivered at `now`.
  void delivered(clock::time_point now);
  // What was pending turned out to be no change (a temporary file written before the
  // rename that brings the manifest): nothing is pending, and it counts as no delivery.
  void discarded();
  bool pending() const { return first_.has_value(); }

 private:
  std::chrono::milliseconds quiet_;
  std::chrono::milliseconds max_delay_;
  std::optional<clock::time_point> first_;  // the first change pending
  clock::time_point last_{};                // the latest change pending
  bool under_load_ = false;                 // the first pending one came within quiet_ of a delivery
  std::optional<clock::time_point> delivered_;
};

// The longest a burst is held, for a quiet time: 20× it, at least 100 ms.
std::chrono::milliseconds max_coalesce_delay(std::chrono::milliseconds quiet);

}  // namespace store
