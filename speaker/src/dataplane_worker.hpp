// speaker::dataplane_worker: runs dataplane_driver::update on a thread of its own, so that a
// program of every Service (seconds at 100,000, the cold start's largest step with the
// dataplane on: docs/coldstart.md) never holds the core thread, where the BGP sessions
// and BFD run. A request made while one runs waits, merged with any other waiting one: the
// latest snapshot and assignments, and the union of the Services touched (or every Service
// when either asks for all).
//
// The core thread never waits for an update either: its readers use not_ready() and
// metrics(), which answer from what the last update left when one is running, and
// try_locked() (the HTTP views), which says "busy" instead of waiting. locked() waits, for
// the tests and for the load's hand-over, which happens before any update can. A scrape
// renders the metrics (400,000 lines at 100,000 Services) on this thread between updates
// (render_metrics), not on the core.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/metrics.hpp"
#include "speaker/dataplane_driver.hpp"

namespace speaker {

// Names the calling thread (for top and perf) and runs it at nice 5, so that on a busy
// node the core thread (BGP, BFD) and the datastore's first load win the CPU over the
// dataplane's work: its loader (the verifier) and its worker (a program of the maps).
void run_as_dataplane_background(const char* name);

class dataplane_worker {
 public:
  explicit dataplane_worker(dataplane_driver& d);
  ~dataplane_worker();  // stop()
  dataplane_worker(const dataplane_worker&) = delete;
  dataplane_worker& operator=(const dataplane_worker&) = delete;

  struct request {
    std::shared_ptr<const model::snapshot> snapshot;
    std::shared_ptr<const model::assignments> ips;
    std::vector<model::ip_address> peers;
    std::optional<service_names> touched;  // nullopt: every Service
  };
  void submit(request r);
  // The update under way finishes; what waits is dropped. Later submits are ignored.
  void stop();

  // Runs f on the driver, waiting for an update under way. After it, the readiness kept
  // for not_ready() is the driver's.
  template <class F>
  decltype(auto) locked(F&& f) {
    std::lock_guard g(driver_m_);
    struct refresh {
      dataplane_worker& w;
      ~refresh() { w.keep_status(); }
    } r{*this};
    return f(d_);
  }
  // f's result, or nullopt at once when an update holds the driver.
  template <class F>
  auto try_locked(F&& f) const -> std::optional<decltype(f(std::declval<const dataplane_driver&>()))> {
    std::unique_lock g(driver_m_, std::try_to_lock);
    if (!g.owns_lock()) return std::nullopt;
    return f(static_cast<const dataplane_driver&>(d_));
  }
  // The driver's readiness after the last update or locked() call; never waits.
  std::optional<std::string> not_ready() const;
  // The driver's metrics, or while an update runs the last summary rendered (with
  // bgplb_dataplane_updating 1, without the counters per Service); never waits.
  void metrics(runtime::exposition& x) const;
  // metrics(), rendered on the worker's thread between updates and handed to `then` there;
  // while an update runs (or before the thread exists, or once stopped) at once on the
  // caller's thread, as metrics() answers then. Dropped uncalled when the worker stops first.
  void render_metrics(std::function<void(runtime::exposition)> then);

 private:
  void loop();
  void render(const std::function<void(runtime::exposition)>& then) const;  // metrics() handed to then
  void keep_status();  // driver_m_ held

  dataplane_driver& d_;
  mutable std::mutex driver_m_;  // the driver
  std::mutex m_;                 // next_, renders_, updating_, stop_
  std::condition_variable cv_;
  std::optional<request> next_;
  std::vector<std::function<void(runtime::exposition)>> renders_;  // scrapes waiting for the thread
  bool updating_ = false;
  bool stop_ = false;
  std::thread thread_;  // started on the first submit
  mutable std::mutex kept_m_;  // what the core thread reads while an update runs:
  std::optional<std::string> not_ready_;
  mutable runtime::exposition metrics_;
};

}  // namespace speaker
