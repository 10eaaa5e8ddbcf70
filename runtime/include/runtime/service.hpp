// runtime::service: the one small interface the process shell knows. The controller's
// service, the node's service and the datastore feed each implement it; a binary's
// main.cpp adds the ones it runs to a runtime::process. Every call happens on the core
// thread, so a service reads its own state without locks.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/http_server.hpp"
#include "runtime/metrics.hpp"

namespace runtime {

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
  // Answers the paths it owns (its JSON views); nullopt lets the next service try.
  virtual std::optional<http_response> http(std::string_view) { return std::nullopt; }
  // Why this service cannot do its job now (joined into /readyz's 503 body), or nothing.
  virtual std::optional<std::string> not_ready() const { return std::nullopt; }
};

}  // namespace runtime
