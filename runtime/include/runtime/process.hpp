// runtime::process: the shell every bgplb binary shares, and nothing else: the core's
// io_context (one thread), signals, the HTTP endpoint (/metrics, /healthz, /readyz and the
// services' routes) and logging. It knows no BGP, no allocation and no datastore: a
// binary's main.cpp composes the services it runs and hands them to run().
//
// Signals are caught from construction on, so a signal during start-up is handled like
// any other: SIGHUP is a reload (delivered once the loop runs), SIGTERM/SIGINT a graceful
// stop, a second SIGTERM/SIGINT a stop without drain. SIGPIPE is ignored: a closed log
// pipe or socket is an I/O error, not a reason to die.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <vector>

#include "runtime/service.hpp"

namespace CLI {
class App;
}

namespace runtime {

struct shell_options {
  std::string program = "bgplb";                   // for logs
  std::string metrics_address = "127.0.0.1:7472";  // "" disables the HTTP endpoint
  std::string log_level = "info";
  http_server::limits http;
};

// --metrics-address and --log-level, with the defaults already in `o`.
void add_shell_options(CLI::App& app, shell_options& o);

class process {
 public:
  explicit process(shell_options o);
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  boost::asio::io_context& io();

  // Services run in the order added and stop in reverse. They must outlive run().
  process& add(service& s);

  // Binds the HTTP endpoint, starts the services, runs the loop until every service has
  // stopped after a signal (or stop() was called). Returns the exit code: 0 after a stop,
  // 1 when a service refused to start, 2 when the HTTP endpoint could not be bound (the
  // reason logged as refused_to_start either way).
  int run();

  // Stops as SIGTERM would (for tests and for services that cannot go on).
  void stop();

  // The bound HTTP endpoint (port 0 in tests), once run() has bound it.
  std::optional<boost::asio::ip::tcp::endpoint> http_endpoint() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// Ends the process with `code` once run() has returned, without freeing what the services
// hold: with 100,000 services, tearing down the snapshot, the allocator and the plan took
// over a second after `stopped` was logged, for nothing. Logs are flushed first. Builds
// with a sanitizer return `code` instead, so the normal teardown runs and leaks are found.
int exit_without_teardown(int code);

}  // namespace runtime
