// The process shell (see runtime/process.hpp): one io_context thread, signals, HTTP, logs.
#include "runtime/process.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime/log.hpp"

namespace runtime {

namespace asio = boost::asio;

void add_shell_options(CLI::App& app, shell_options& o) {
  app.add_option("--metrics-address", o.metrics_address, "HOST:PORT for /metrics, /healthz, /readyz; '' disables")
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

struct process::impl {
  explicit impl(shell_options opts) : o(std::move(opts)), signals(io, SIGTERM, SIGINT, SIGHUP) {}

  shell_options o;
  asio::io_context io;
  asio::signal_set signals;
  std::vector<service*> services;
  std::unique_ptr<http_server> http;
  bool stopping = false;
  bool stopping_now = false;
  bool stopped = false;
  std::size_t next_to_stop = 0;  // services stop one after another, last added first

  void wait_signal() {
    signals.async_wait([this](boost::system::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        log::info(log::ev::reload, "reason", "SIGHUP");
        if (!stopping)
          for (auto* s : services) s->reload();
      } else {
        begin_stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
      }
      wait_signal();
    });
  }

  void begin_stop(std::string_view why) {
    if (stopped) return;
    if (stopping) {
      if (stopping_now) return;
      stopping_now = true;
      log::info(log::ev::stopping_now, "signal", why);
      for (auto* s : services) s->stop_now();
      return;
    }
    stopping = true;
    log::info(log::ev::stopping, "signal", why);
    next_to_stop = services.size();
    stop_next();
  }

  // One service at a time, so a service never sees the ones added before it stop first
  // (the node's service drains its sessions while the datastore feed still runs).
  void stop_next() {
    if (next_to_stop == 0) {
      stopped = true;
      if (http) http->close();
      signals.cancel();
      io.stop();
      return;
    }
    auto* s = services[--next_to_stop];
    s->stop([this] { asio::post(io, [this] { stop_next(); }); });
  }

  // /metrics: every service's metrics() at once, then each one's long families in turn
  // (parts of the core's time, or the service's own threads); answered when all are in.
  void route_async(const std::string& path, const http_server::respond& respond) {
    if (path != "/metrics") {
      respond(route(path));
      return;
    }
    auto x = std::make_shared<exposition>();
    for (auto* s : services) s->metrics(*x);
    if (http) {
      const auto& c = http->stats();
      x->family("bgplb_http_accept_errors_total", "counter",
                "Connections the metrics endpoint failed to accept (out of file descriptors, ...).");
      x->sample("bgplb_http_accept_errors_total", {}, static_cast<double>(c.accept_errors));
      x->family("bgplb_http_connections_evicted_total", "counter",
                "Connections accepted while the connection limit was reached.");
      x->sample("bgplb_http_connections_evicted_total", {}, static_cast<double>(c.refused_busy));
    }
    long_metrics_from(0, std::move(x), respond);
  }

  void long_metrics_from(std::size_t i, std::shared_ptr<exposition> x, http_server::respond respond) {
    if (i == services.size()) {
      respond({200, "text/plain; version=0.0.4; charset=utf-8", "", x->take_text()});
      return;
    }
    auto* s = services[i];
    s->long_metrics(x, [this, i, x, respond = std::move(respond)]() mutable {
      long_metrics_from(i + 1, std::move(x), std::move(respond));
    });
  }

  http_response route(const std::string& path) {
    if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
    if (path == "/readyz") {
      if (stopping) return {503, "text/plain; charset=utf-8", "shutting down\n"};
      std::string why;
      for (auto* s : services)
        if (auto r = s->not_ready()) why += std::string(s->name()) + ": " + *r + "\n";
      if (!why.empty()) return {503, "text/plain; charset=utf-8", why};
      return {200, "text/plain; charset=utf-8", "ok\n"};
    }
    for (auto* s : services)
      if (auto r = s->http(path)) return std::move(*r);
    return {404, "text/plain; charset=utf-8", "not found; try /metrics, /healthz, /readyz\n"};
  }
};

namespace {

// glibc gives each thread that allocates an arena of its own (up to eight per core), and
// what a thread frees stays in its arena: the datastore's thread decodes every object
// and frees its parse trees and candidate states there, and the core's controller and
// planner cannot reuse that memory for theirs. One arena for the process unless the
// environment chooses (MALLOC_ARENA_MAX, or arena_max in GLIBC_TUNABLES). At 100,000
// services that is 50-75 MiB less peak RSS (docs/memory.md); the threads that allocate
// at the same time are few, and none allocates much at once (the dataplane's update,
// which did, made the core wait for the arena: docs/memory.md).
void share_one_arena() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  if (const char* t = std::getenv("GLIBC_TUNABLES"); t != nullptr && std::strstr(t, "arena_max") != nullptr) return;
#ifdef M_ARENA_MAX
  mallopt(M_ARENA_MAX, 1);
#endif
}

}  // namespace

process::process(shell_options o) {
  // Before any thread of ours allocates.
  share_one_arena();
  // Before anything can write to a closed pipe or socket.
  std::signal(SIGPIPE, SIG_IGN);
  log::setup(o.log_level);
  impl_ = std::make_unique<impl>(std::move(o));
  impl_->wait_signal();
}

process::~process() = default;

asio::io_context& process::io() { return impl_->io; }

process& process::add(service& s) {
  impl_->services.push_back(&s);
  return *this;
}

void process::stop() {
  asio::post(impl_->io, [this] { impl_->begin_stop("requested"); });
}

std::optional<asio::ip::tcp::endpoint> process::http_endpoint() const {
  if (!impl_->http) return std::nullopt;
  return impl_->http->local_endpoint();
}

int process::run() {
  auto& m = *impl_;
  if (!m.o.metrics_address.empty()) {
    const auto at = parse_endpoint(m.o.metrics_address);
    if (!at) {
      log::error(log::ev::refused_to_start, "error", "--metrics-address " + m.o.metrics_address + ": want HOST:PORT");
      return 2;
    }
    try {
      m.http = std::make_unique<http_server>(
          m.io, *at,
          http_server::async_handler(
              [&m](const std::string& p, http_server::respond r) { m.route_async(p, std::move(r)); }),
          m.o.http);
    } catch (const boost::system::system_error& e) {
      log::error(log::ev::refused_to_start, "error", "--metrics-address " + m.o.metrics_address + ": " + e.what());
      return 2;
    }
  }
  for (std::size_t i = 0; i < m.services.size(); ++i) {
    if (auto err = m.services[i]->start()) {
      log::error(log::ev::refused_to_start, "service", std::string(m.services[i]->name()), "error", *err);
      m.stopping = true;
      m.next_to_stop = i;  // the ones started before it
      m.stop_next();
      m.io.run();
      return 1;
    }
  }
  std::string names;
  for (auto* s : m.services) names += (names.empty() ? "" : ",") + std::string(s->name());
  log::info(log::ev::started, "program", m.o.program, "services", names, "metrics", m.o.metrics_address);
  m.io.run();
  log::info(log::ev::stopped, "program", m.o.program);
  return 0;
}

int exit_without_teardown(int code) {
#if defined(__SANITIZE_ADDRESS__)
  return code;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer) || __has_feature(memory_sanitizer)
  return code;
#endif
#endif
  spdlog::shutdown();
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace runtime
