// What a datastore delivered, recorded for the integration tests and the benchmark, with
// waits on a condition over it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "store/datastore.hpp"

namespace store::etcd::testing {

class recorder {
 public:
  struct timed_change {
    store::change change;
    std::chrono::steady_clock::time_point at;
  };
  datastore::change_sink changes() {
    return [this](store::change c) {
      std::lock_guard lock(mutex_);
      if (c.assignments) assignments_ = c.assignments;
      snapshot_ = c.objects.snapshot;
      changes_.push_back({std::move(c), std::chrono::steady_clock::now()});
      cv_.notify_all();
    };
  }
  datastore::health_sink health() {
    return [this](const store::health& h) {
      std::lock_guard lock(mutex_);
      healths_.push_back(h);
      cv_.notify_all();
    };
  }
  datastore::leader_sink leader() {
    return [this](bool leading) {
      std::lock_guard lock(mutex_);
      leads_.push_back(leading);
      cv_.notify_all();
    };
  }

  // Waits until pred(*this) holds (called under the lock); false on timeout.
  template <class P>
  bool wait(P pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return pred(*this); });
  }

  // Under wait()'s lock, or when the datastore is stopped:
  const std::vector<timed_change>& all_changes() const { return changes_; }
  const std::vector<store::health>& healths() const { return healths_; }
  const std::vector<bool>& leads() const { return leads_; }
  const model::snapshot* snapshot() const { return snapshot_.get(); }
  const model::assignments* assignments() const { return assignments_.get(); }
  bool leading() const { return !leads_.empty() && leads_.back(); }
  bool connected() const { return !healths_.empty() && healths_.back().connected; }

  std::size_t count() {
    std::lock_guard lock(mutex_);
    return changes_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<timed_change> changes_;
  std::vector<store::health> healths_;
  std::vector<bool> leads_;
  std::shared_ptr<const model::snapshot> snapshot_;
  std::shared_ptr<const model::assignments> assignments_;
};

}  // namespace store::etcd::testing
