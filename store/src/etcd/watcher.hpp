// The datastore's reading thread: lists P/v1/ at one revision, watches from the next one,
// feeds the view and delivers its changes to the sinks, coalesced only under load
// (store::coalescer: the first after a quiet period at once, a burst together).
//
// - A lost stream (member killed, partitioned, or without a leader: the stream is marked
//   "hasleader", so etcd cancels it) is reopened on the next endpoint from the last
//   revision applied: nothing is missed, and the view skips anything already applied.
// - A compacted revision (the watch is cancelled with compact_revision) means events are
//   gone: the whole prefix is listed again and delivered as a full change.
// - While no endpoint serves, nothing is delivered: the consumers keep the last good state,
//   and health says connected=false with every endpoint's reason; it reconnects with
//   backoff (100 ms doubling to 2 s) and resumes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client.hpp"
#include "store/coalesce.hpp"
#include "store/datastore.hpp"

namespace store::etcd {

class watcher {
 public:
  watcher(client& c, layout l, model::decode_options decode, std::chrono::milliseconds coalesce);
  ~watcher();

  void start(datastore::change_sink on_change, datastore::health_sink on_health);
  void resync();
  void stop();

 private:
  void run();
  bool list(view& v);
  // Reads one stream until it ends (why), is stopped, or must be listed again (false).
  bool follow(view& v, watch_feed& feed, std::string& why);
  void report(bool connected, const std::string& error);
  void pause(std::chrono::milliseconds d);

  client& client_;
  layout layout_;
  model::decode_options decode_;
  coalescer coalescer_;
  datastore::change_sink on_change_;
  datastore::health_sink on_health_;

  std::mutex mutex_;  // guards feed_ and wakes pause()
  std::condition_variable wake_;
  watch_feed* feed_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> resync_{false};
  std::thread thread_;

  health health_;  // as last reported
  bool reported_ = false;
  bool synced_ = false;
  std::int64_t last_current_ = 0;  // unix seconds when the view was last known current
};

}  // namespace store::etcd
