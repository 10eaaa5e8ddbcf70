// runtime::service: the one small interface the process shell knows. The controller's
// service, the node's service and the datastore feed each implement it; a binary's
// main.cpp adds the ones it runs to a runtime::process. Every call happens on the core
// thread, so a service reads its own state without locks.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/http_server.hpp"
#include "runtime/metrics.hpp"

namespace runtime {

// How long one part of long_metrics() may hold the core thread.
inline constexpr std::chrono::microseconds metrics_slice{500};

class service {
 public:
  virtual ~service() = default;

  // A short name for logs and /readyz ("datastore", "controller", "speaker").
  virtual std::string_view name() const = 0;
  // When the loop starts, in the order the services were added. A reason instead means
  // the process cannot run: it is logged (refused_to_start), the services started before
  // are stopped, and the process exits 1.
  virtual std::optional<std::string> start() { return std::nullopt; }
  // SIGHUP: read everything again.
  virtual void reload() {}
  // SIGTERM/SIGINT, in the reverse order of adding: finish gracefully (drain sessions,
  // stop threads), then call `done` on the core thread. A second signal calls
  // stop_now(), after which `done` must follow without waiting for anything remote.
  virtual void stop(std::function<void()> done) { done(); }
  virtual void stop_now() {}

  // Samples for /metrics.
  virtual void metrics(exposition&) const {}
  // The families too long for one turn of the core (a line per Service: 400,000 lines at
  // 100,000 Services), after metrics(): rendered into `x` in parts, each a turn of the
  // core of about `slice` (runtime::metrics_slice), or on a thread of the service's own;
  // `done` is called on the core thread once all are in. Between parts the core handles
  // BGP, BFD and datastore changes, which a whole scrape rendered at once delayed by
  // 0.2 s. `x` stays alive until `done`; the default has nothing more.
  virtual void long_metrics(std::shared_ptr<exposition> x, std::function<void()> done) const {
    (void)x;
    done();
  }
  // Answers the paths it owns (its JSON views); nullopt lets the next service try.
  virtual std::optional<http_response> http(std::string_view) { return std::nullopt; }
  // Why this service cannot do its job now (joined into /readyz's 503 body), or nothing.
  virtual std::optional<std::string> not_ready() const { return std::nullopt; }
};

}  // namespace runtime
