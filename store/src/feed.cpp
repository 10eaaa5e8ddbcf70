// The datastore feed (see store/feed.hpp). Threads: the datastore's own (reads, decodes,
// calls our sinks, which only post), the reaper (frees replaced snapshots), and a
// short-lived stopper that waits for the datastore's thread at shutdown.
#include "store/feed.hpp"

#include <boost/asio/post.hpp>

#include <condition_variable>
#include <ctime>
#include <mutex>

#include "log_events.hpp"
#include "model/validate.hpp"

namespace store {

namespace asio = boost::asio;

struct feed::reaper {
  reaper() : thread([this] { loop(); }) {}
  ~reaper() {
    {
      std::lock_guard l(m);
      done = true;
    }
    cv.notify_one();
    thread.join();
  }
  void drop(std::shared_ptr<const model::snapshot> s) {
    {
      std::lock_guard l(m);
      queue.push_back(std::move(s));
    }
    cv.notify_one();
  }
  void loop() {
    std::unique_lock l(m);
    while (true) {
      cv.wait(l, [this] { return done || !queue.empty(); });
      auto batch = std::move(queue);
      queue.clear();
      l.unlock();
      batch.clear();
      l.lock();
      if (done && queue.empty()) return;
    }
  }
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::shared_ptr<const model::snapshot>> queue;
  bool done = false;
  std::thread thread;
};

feed::feed(asio::io_context& io, std::unique_ptr<datastore> ds, std::vector<consumer*> consumers)
    : io_(io), ds_(std::move(ds)), consumers_(std::move(consumers)), reaper_(std::make_unique<reaper>()) {}

feed::~feed() {
  if (stopper_.joinable()) {
    // A datastore that did not stop in time (stop_now): the process is exiting anyway.
    stopper_.detach();
    (void)ds_.release();
  }
}

std::optional<std::string> feed::start() {
  ds_->start(
      [this](change c) { asio::post(io_, [this, c = std::move(c)]() mutable { deliver(std::move(c)); }); },
      [this](const health& h) {
        asio::post(io_, [this, h] {
          if (stopping_) return;
          if (h.connected != health_.connected || (!h.connected && h.error != health_.error)) {
            if (h.connected) log::info(log::ev::datastore_connected, "datastore", ds_->describe());
            else log::warn(log::ev::datastore_stale, "datastore", ds_->describe(), "error", h.error);
          }
          health_ = h;
          for (auto* c : consumers_) c->on_health(h);
        });
      });
  return std::nullopt;
}

void feed::reload() { ds_->resync(); }

void feed::deliver(change c) {
  if (stopping_) return;
  ++updates_;
  const auto& errors = c.objects.errors;
  if (errors != errors_) {
    for (const auto& e : errors)
      if (std::find(errors_.begin(), errors_.end(), e) == errors_.end()) log::warn(log::ev::config_error, "error", e.to_string());
    if (errors.empty() && !errors_.empty()) log::info(log::ev::config_recovered, "resolved", std::to_string(errors_.size()));
    errors_ = errors;
  }
  // What MetalLB accepts but is most likely a mistake (an advertisement naming a pool or
  // peer that does not exist): logged when it changes, never refused.
  if (c.full || !c.objects.changes.empty()) {
    if (auto w = model::warnings(*c.objects.snapshot); w != warnings_) {
      for (const auto& e : w) log::warn(log::ev::config_warning, "warning", e.to_string());
      warnings_ = std::move(w);
    }
  }
  log::debug(log::ev::datastore_update, "full", c.full ? "yes" : "no", "changes",
             std::to_string(c.objects.changes.added.size() + c.objects.changes.modified.size() +
                            c.objects.changes.removed.size()),
             "moved", std::to_string(c.moved.size()), "objects", std::to_string(c.objects.snapshot->size()));
  auto replaced = std::exchange(snapshot_, c.objects.snapshot);
  for (auto* k : consumers_) k->on_change(c);
  // The consumers hold the new snapshot now; ours was the last reference to the old one.
  // Handed to the reaper by a later handler: waking its thread costs a system call, which
  // the UPDATEs the consumers just queued should not wait for.
  if (replaced && replaced != snapshot_)
    asio::post(io_, [this, r = std::move(replaced)]() mutable { reaper_->drop(std::move(r)); });
}

void feed::stop(std::function<void()> done) {
  stopping_ = true;
  stop_done_ = std::move(done);
  // The datastore's thread may be in the middle of a read: wait for it elsewhere.
  stopper_ = std::thread([this] {
    ds_->stop();
    asio::post(io_, [this] {
      if (stopper_.joinable()) stopper_.join();
      if (stop_done_) std::exchange(stop_done_, nullptr)();
    });
  });
}

void feed::stop_now() {
  if (stop_done_) std::exchange(stop_done_, nullptr)();
}

void feed::metrics(runtime::exposition& x) const {
  x.family("metallb_k8s_client_updates_total", "counter", "Datastore updates processed.");
  x.sample("metallb_k8s_client_updates_total", {}, static_cast<double>(updates_));
  x.family("metallb_k8s_client_config_loaded_bool", "gauge", "1 when the configuration has been loaded.");
  x.sample("metallb_k8s_client_config_loaded_bool", {}, health_.synced ? 1 : 0);
  x.family("metallb_k8s_client_config_stale_bool", "gauge",
           "1 when some manifests are refused and their last good version is in force.");
  x.sample("metallb_k8s_client_config_stale_bool", {}, errors_.empty() ? 0 : 1);
  x.family("bgplb_datastore_connected", "gauge",
           "1 when the last read of the datastore succeeded; 0: the last good state is in force.");
  x.sample("bgplb_datastore_connected", {}, health_.connected ? 1 : 0);
  x.family("bgplb_datastore_last_sync_timestamp_seconds", "gauge", "When the datastore's view was last known current.");
  x.sample("bgplb_datastore_last_sync_timestamp_seconds", {}, static_cast<double>(health_.last_sync_unix));
}

std::optional<std::string> feed::not_ready() const {
  if (!health_.synced) return health_.error.empty() ? "datastore not loaded yet" : "datastore not loaded yet: " + health_.error;
  if (!health_.connected) return "datastore stale (last good state in force): " + health_.error;
  return std::nullopt;
}

}  // namespace store
