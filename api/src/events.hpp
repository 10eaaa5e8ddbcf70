// WatchEvent plumbing. A speaker_watch lives on one speaker's thread: it turns the
// speaker's peer-state events into PeerEvents and, while someone watches the table,
// diffs the originated routes every poll interval into TableEvents (the speaker has
// no route-change event). The event_hub hands both to the gRPC threads that stream
// them; its lock is the API's own and never held by the speaker's thread for long.
#pragma once

#include <api/server.hpp>
#include <bgp/speaker.hpp>

#include "gobgp.pb.h"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace api {

using wall_time = std::chrono::system_clock::time_point;

// When each originated route was first seen with its current attributes (Path.age).
class age_book {
 public:
  // The ages of `routes` (all of one speaker's); forgets routes no longer there.
  std::vector<wall_time> sync(std::size_t speaker, const std::vector<bgp::route>& routes);
  wall_time age(std::size_t speaker, const bgp::route& r);

 private:
  std::mutex m_;
  // Per speaker and prefix: each route (several with per-peer routes) and its time.
  using entries = std::vector<std::pair<bgp::route, wall_time>>;
  std::map<std::pair<std::size_t, bgp::prefix>, entries> book_;
};

struct watcher {
  bool peers = false, table = false;
  std::mutex m;
  std::condition_variable cv;
  std::deque<apipb::WatchEventResponse> queue;
};

class event_hub {
 public:
  std::shared_ptr<watcher> attach(bool peers, bool table);
  void detach(const std::shared_ptr<watcher>& w);
  void publish(const apipb::WatchEventResponse& e, bool table);
  bool wants_table() const { return table_watchers_.load() > 0; }
  void close();
  bool closed() const { return closed_.load(); }

 private:
  std::mutex m_;
  std::vector<std::shared_ptr<watcher>> watchers_;
  std::atomic<int> table_watchers_{0};
  std::atomic<bool> closed_{false};
};

class speaker_watch : public std::enable_shared_from_this<speaker_watch> {
 public:
  static constexpr std::chrono::milliseconds poll_interval{250};
  speaker_watch(speaker_ref s, std::size_t index, std::shared_ptr<event_hub> hub, std::shared_ptr<age_book> ages)
      : s_(s), index_(index), hub_(std::move(hub)), ages_(std::move(ages)), timer_(s.io) {}
  void start();  // from any thread
  void stop();   // from any thread; the last poll may still run
  // On the speaker's thread: publish route changes since the last poll (the first
  // poll after a table watcher attached only takes the baseline).
  void poll();

 private:
  void on_event(const bgp::speaker_event& e);
  void tick();

  speaker_ref s_;
  std::size_t index_;
  std::shared_ptr<event_hub> hub_;
  std::shared_ptr<age_book> ages_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopped_{false};
  bool baseline_ = false;
  std::map<bgp::prefix, std::vector<bgp::route>> last_;
};

}  // namespace api
