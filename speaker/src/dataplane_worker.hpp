// speaker::dataplane_worker: runs dataplane_driver::update on a thread of its own, so that a
// program of every Service (seconds at 100,000, the cold start's largest step with the
// dataplane on: docs/coldstart.md) never holds the core thread, where the BGP sessions
// run. A request made while one runs waits, merged with any other waiting one: the latest
// snapshot and assignments, and the union of the Services touched (or every Service when
// either asks for all). Every other use of the driver goes through locked(), one at a time
// with update().
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "speaker/dataplane_driver.hpp"

namespace speaker {

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
    std::optional<std::set<model::name_key>> touched;  // nullopt: every Service
  };
  void submit(request r);
  // The update under way finishes; what waits is dropped. Later submits are ignored.
  void stop();

  template <class F>
  decltype(auto) locked(F&& f) {
    std::lock_guard g(driver_m_);
    return f(d_);
  }
  template <class F>
  decltype(auto) locked(F&& f) const {
    std::lock_guard g(driver_m_);
    return f(static_cast<const dataplane_driver&>(d_));
  }

 private:
  void loop();

  dataplane_driver& d_;
  mutable std::mutex driver_m_;  // the driver
  std::mutex m_;                 // next_, stop_
  std::condition_variable cv_;
  std::optional<request> next_;
  bool stop_ = false;
  std::thread thread_;  // started on the first submit
};

}  // namespace speaker
