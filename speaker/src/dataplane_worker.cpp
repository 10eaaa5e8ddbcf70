// The dataplane's thread (see dataplane_worker.hpp).
#include "dataplane_worker.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace speaker {

dataplane_worker::dataplane_worker(dataplane_driver& d) : d_(d) { not_ready_ = d_.not_ready(); }

dataplane_worker::~dataplane_worker() { stop(); }

void dataplane_worker::submit(request r) {
  {
    std::lock_guard g(m_);
    if (stop_) return;
    if (next_) {
      if (!r.touched || !next_->touched) r.touched.reset();
      else merge_names(*r.touched, std::move(*next_->touched));
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
    renders_.clear();
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void run_as_dataplane_background(const char* name) {
  ::pthread_setname_np(::pthread_self(), name);
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 5);
}

void dataplane_worker::loop() {
  run_as_dataplane_background("bgplb-dataplane");
  std::unique_lock l(m_);
  while (true) {
    cv_.wait(l, [this] { return stop_ || next_ || !renders_.empty(); });
    if (stop_) return;
    if (!renders_.empty()) {
      auto renders = std::exchange(renders_, {});
      l.unlock();
      for (const auto& then : renders) render(then);
      renders = {};  // what the scrapes hold goes before the lock is taken again
      l.lock();
      continue;
    }
    auto r = std::move(*next_);
    next_.reset();
    updating_ = true;
    l.unlock();
    locked([&r](dataplane_driver& d) { d.update(*r.snapshot, *r.ips, r.peers, r.touched); });
    r = {};  // the snapshot goes before the lock is taken again
    l.lock();
    updating_ = false;
  }
}

void dataplane_worker::render_metrics(std::function<void(runtime::exposition)> then) {
  {
    std::lock_guard g(m_);
    if (!stop_ && !updating_ && thread_.joinable()) {
      renders_.push_back(std::move(then));
      cv_.notify_one();
      return;
    }
  }
  render(then);
}

void dataplane_worker::render(const std::function<void(runtime::exposition)>& then) const {
  runtime::exposition x;
  metrics(x);
  then(std::move(x));
}

void dataplane_worker::keep_status() {
  auto nr = d_.not_ready();
  std::lock_guard g(kept_m_);
  not_ready_ = std::move(nr);
}

std::optional<std::string> dataplane_worker::not_ready() const {
  std::lock_guard g(kept_m_);
  return not_ready_;
}

// The summary is kept for the scrapes during an update; the counters per Service are not
// (at 100,000 Services they would hold 400,000 lines between scrapes): such a scrape
// leaves them out, and Prometheus sees a gap in counters, which rate() bridges.
void dataplane_worker::metrics(runtime::exposition& x) const {
  runtime::exposition summary, services;
  const bool fresh = try_locked([&](const dataplane_driver& d) {
                       d.summary_metrics(summary);
                       d.service_metrics(services);
                       return true;
                     }).has_value();
  x.family("bgplb_dataplane_updating", "gauge",
           "1 while the dataplane's maps are being programmed; its other figures are then those of the last scrape before, "
           "without the counters per service.");
  x.sample("bgplb_dataplane_updating", {}, fresh ? 0 : 1);
  {
    std::lock_guard g(kept_m_);
    if (fresh) metrics_ = std::move(summary);
    x.merge(metrics_);
  }
  x.merge(std::move(services));
}

}  // namespace speaker
