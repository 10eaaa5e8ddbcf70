// The controller's leadership, held through etcd: a lease of the URI's lease-ttl kept
// alive every third of it, and one key P/controller/election/<lease id> created with that
// lease. The campaigner whose key has the lowest create revision leads (etcd's own
// election recipe, clientv3/concurrency); the others watch the deletions under the prefix
// and check again when a key goes (the recipe watches only the key just before; watching
// them all keeps "who leads" current for every campaigner, at a handful of reads per
// deletion). A killed leader's lease expires within the TTL and its key with it, so the
// next one takes over.
//
// Every write of the leader is a Txn guarded by Compare(create_revision(key) == the
// revision it was created at) (leadership::guard): a deposed controller's writes are
// refused by etcd itself, whatever its clock says. Leadership ends (sink(false)) when the
// key goes, the lease expires, no keep-alive is answered for nine tenths of the TTL
// (counted from when the last answered one was sent, so before etcd can expire it; no
// call outlasts that moment), or a guarded write is refused; the campaigner then starts over with a new lease. A campaigner that does not
// lead tells the sink (false) whenever the reason changes: who leads, or why it cannot
// campaign (no quorum, no member answers), as leadership() then reports.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "client.hpp"
#include "store/datastore.hpp"

namespace store::etcd {

// Shared between the campaigner and the writer.
class leadership {
 public:
  struct guard {
    std::string key;
    std::int64_t create_revision = 0;
  };
  std::optional<guard> current() const;
  void set(guard g);
  void clear();
  // A guarded write found the key gone: the campaigner learns it at once.
  void refused();
  bool take_refused() { return refused_.exchange(false); }
  void on_refused(std::function<void()> f);
  // Why this process does not lead, in words (who does, or what failed); the campaigner
  // sets it before it tells the sink. True when it changed.
  bool set_why_not(std::string why);
  std::string why_not() const;

 private:
  mutable std::mutex mutex_;
  std::optional<guard> guard_;
  std::string why_not_;
  std::atomic<bool> refused_{false};
  std::function<void()> wake_;  // called outside the lock
};

class election {
 public:
  election(client& c, layout l, std::string identity, leadership& lead);
  ~election();

  void start(datastore::leader_sink sink);
  // Resigns (revokes the lease, so another takes over at once) and joins; no sink call
  // runs after it returns.
  void stop();

 private:
  void run();
  // One campaign on a fresh lease, until leadership is lost or stop().
  void campaign();
  // Not leading: records why and tells the sink when the reason is new.
  void standing_by(std::string why);
  // Who leads now ("node1 pid 42 leads (election key K)"), "" when unknown.
  std::string current_leader();
  // When this process gives its lease up: last_ok + TTL less a tenth of it (500 ms at most).
  std::chrono::steady_clock::time_point lease_end(std::chrono::steady_clock::time_point last_ok) const;
  // One keep-alive, over by lease_end(last_ok); false when the lease is gone or that
  // moment came without an answer.
  bool keep_alive(std::int64_t lease, std::chrono::steady_clock::time_point& last_ok);
  void pause(std::chrono::milliseconds d);

  client& client_;
  layout layout_;
  std::string identity_;
  leadership& lead_;
  datastore::leader_sink sink_;

  std::mutex mutex_;
  std::condition_variable wake_;
  watch_feed* feed_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace store::etcd
