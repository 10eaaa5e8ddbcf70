// List, watch, resume, re-list (see watcher.hpp).
#include "watcher.hpp"

#include <optional>

namespace store::etcd {

namespace {

using clock = std::chrono::steady_clock;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

watcher::watcher(client& c, layout l, model::decode_options decode, std::chrono::milliseconds coalesce)
    : client_(c), layout_(std::move(l)), decode_(std::move(decode)), coalescer_(coalesce, max_coalesce_delay(coalesce)) {}

watcher::~watcher() { stop(); }

void watcher::start(datastore::change_sink on_change, datastore::health_sink on_health) {
  on_change_ = std::move(on_change);
  on_health_ = std::move(on_health);
  thread_ = std::thread([this] { run(); });
}

void watcher::resync() {
  resync_ = true;
  std::lock_guard lock(mutex_);
  if (feed_ != nullptr) feed_->cancel();
  wake_.notify_all();
}

void watcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (feed_ != nullptr) feed_->cancel();
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void watcher::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, d, [&] { return stopping_.load() || resync_.load(); });
}

void watcher::report(bool connected, const std::string& error) {
  health h;
  h.synced = synced_;
  h.connected = connected;
  h.error = connected ? "" : "etcd " + client_.settings().uri + ": " + error;
  if (connected) last_current_ = unix_now();
  h.last_sync_unix = last_current_;
  if (reported_ && h.connected == health_.connected && h.synced == health_.synced && h.error == health_.error) return;
  health_ = h;
  reported_ = true;
  if (on_health_) on_health_(h);
}

bool watcher::list(view& v) {
  std::vector<kv_item> kvs;
  std::int64_t revision = 0;
  if (auto e = client_.list(layout_.data_prefix(), kvs, revision)) {
    report(false, "listing " + layout_.data_prefix() + ": " + e.message);
    return false;
  }
  auto c = v.reset(kvs, revision);
  synced_ = true;
  report(true, "");
  if (on_change_) on_change_(std::move(c));
  return true;
}

void watcher::run() {
  view v(layout_, decode_);
  bool listed = false;
  auto backoff = std::chrono::milliseconds(100);
  std::size_t failures = 0;  // endpoints tried since the last working one
  std::string reasons;
  while (!stopping_) {
    if (!listed || resync_.exchange(false)) {
      listed = list(v);
      if (!listed) {
        pause(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
    }
    etcdserverpb::WatchCreateRequest create;
    const auto prefix = layout_.data_prefix();
    create.set_key(prefix);
    create.set_range_end(range_end(prefix));
    create.set_start_revision(v.revision() + 1);
    create.set_progress_notify(true);
    watch_feed feed(client_, create);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      feed_ = &feed;
    }
    auto first = feed.next(clock::now() + client_.settings().timeout);
    std::string why;
    bool relist = false;
    if (!first) {
      why = client_.current_endpoint() + ": no answer to the watch request within " +
            std::to_string(client_.settings().timeout.count()) + " ms";
    } else if (!first->response) {
      why = first->end.message;
    } else if (first->response->compact_revision() > 0) {
      relist = true;
    } else if (first->response->canceled() || !first->response->created()) {
      why = client_.current_endpoint() + ": watch refused: " + first->response->cancel_reason();
    }
    if (why.empty() && !relist) {
      failures = 0;
      reasons.clear();
      backoff = std::chrono::milliseconds(100);
      report(true, "");
      relist = !follow(v, feed, why);  // else it ended (why): fail over and resume
    }
    {
      std::lock_guard lock(mutex_);
      feed_ = nullptr;
    }
    if (relist) {
      listed = false;
      continue;
    }
    if (stopping_ || resync_) continue;
    client_.fail_over();
    if (!why.empty()) {
      reasons += (reasons.empty() ? "" : "; ") + why;
      if (++failures >= client_.settings().endpoints.size()) {
        report(false, reasons);
        failures = 0;
        reasons.clear();
        pause(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      }
    }
  }
}

bool watcher::follow(view& v, watch_feed& feed, std::string& why) {
  std::vector<kv_event> pending;
  std::optional<clock::time_point> due;  // when to deliver what is pending
  std::int64_t progress = 0;
  auto flush = [&] {
    if (!pending.empty()) {
      auto c = v.apply(pending);
      pending.clear();
      if (c && on_change_) on_change_(std::move(*c));
      if (c) coalescer_.delivered(clock::now());
      else coalescer_.discarded();
    }
    due.reset();
    if (progress > 0) v.advance(progress);
    progress = 0;
  };
  while (!stopping_ && !resync_) {
    auto it = feed.next(due ? *due : clock::now() + std::chrono::seconds(1));
    if (!it) {
      if (due && clock::now() >= *due) flush();
      continue;
    }
    if (!it->response) {
      flush();
      why = it->end.message;
      return true;
    }
    const auto& r = *it->response;
    if (r.compact_revision() > 0) {
      flush();
      return false;
    }
    if (r.canceled()) {
      flush();
      why = client_.current_endpoint() + ": watch cancelled: " + r.cancel_reason();
      return true;
    }
    if (r.events_size() == 0) {  // progress: every event up to the header's revision came
      if (pending.empty()) v.advance(r.header().revision());
      else progress = r.header().revision();
      continue;
    }
    for (const auto& e : r.events()) {
      pending.push_back({e.type() == mvccpb::Event_EventType_DELETE, e.kv().key(), e.kv().value(), e.kv().mod_revision()});
    }
    const auto now = clock::now();
    due = coalescer_.on_change(now);
    if (*due <= now) flush();
  }
  flush();
  return true;
}

}  // namespace store::etcd
