// The dataplane's thread (see dataplane_worker.hpp).
#include "dataplane_worker.hpp"

namespace speaker {

dataplane_worker::dataplane_worker(dataplane_driver& d) : d_(d) {}

dataplane_worker::~dataplane_worker() { stop(); }

void dataplane_worker::submit(request r) {
  {
    std::lock_guard g(m_);
    if (stop_) return;
    if (next_) {
      if (!r.touched || !next_->touched) r.touched.reset();
      else r.touched->insert(next_->touched->begin(), next_->touched->end());
    }
    next_ = std::move(r);
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  }
  cv_.notify_one();
}

void dataplane_worker::stop() {
  {
    std::lock_guard g(m_);
    stop_ = true;
    next_.reset();
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void dataplane_worker::loop() {
  std::unique_lock l(m_);
  while (true) {
    cv_.wait(l, [this] { return stop_ || next_; });
    if (stop_) return;
    auto r = std::move(*next_);
    next_.reset();
    l.unlock();
    locked([&r](dataplane_driver& d) { d.update(*r.snapshot, *r.ips, r.peers, r.touched); });
    r = {};  // the snapshot goes before the lock is taken again
    l.lock();
  }
}

}  // namespace speaker
