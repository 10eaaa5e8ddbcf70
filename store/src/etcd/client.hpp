// The etcd v3 client: one gRPC channel per endpoint (TLS with client certificates when the
// URI asks), every request under the URI's deadline and marked "hasleader" so a member
// cut off from its cluster refuses at once rather than serving stale data. A request that
// fails for want of a working member (unavailable, deadline, no leader) is tried on the
// next endpoint, once round the list; the member that answered is tried first next time.
// Streams (watch) are opened on the current endpoint; the caller fails over.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "etcdserverpb_rpc.grpc.pb.h"
#include "uri.hpp"
#include "view.hpp"

namespace store::etcd {

struct call_error {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;  // "127.0.0.1:2379: etcdserver: no leader"
  explicit operator bool() const { return code != grpc::StatusCode::OK; }
  bool compacted() const;  // the revision asked for is gone: list again
};

class client {
 public:
  // Reads the TLS files; throws std::invalid_argument naming an unreadable one.
  // keep_connected: a thread keeps every member's channel connecting and polled (see
  // client.cpp), for processes that live on; a one-shot command (bgplbctl) passes false
  // and does not wait up to 250 ms for that thread when it exits.
  explicit client(config c, bool keep_connected = true);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  const config& settings() const { return config_; }

  // A moment a call must not outlast, whatever the URI's timeout and the members left to
  // try (the election's lease: a leader learns in time that it cannot renew).
  using by_time = std::optional<std::chrono::steady_clock::time_point>;

  call_error range(const etcdserverpb::RangeRequest& req, etcdserverpb::RangeResponse& resp, by_time by = {});
  call_error txn(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse& resp);
  call_error lease_grant(std::chrono::milliseconds ttl, std::int64_t& id);
  call_error lease_revoke(std::int64_t id);
  // One keep-alive round trip; ttl is the lease's remaining seconds (0: it has expired).
  call_error lease_keepalive(std::int64_t id, std::int64_t& ttl, by_time by = {});

  // Every key under `prefix`, read in pages at one revision (returned).
  call_error list(const std::string& prefix, std::vector<kv_item>& out, std::int64_t& revision, int page = 1000);

  // For streams: a context with the metadata, and the stub of the current endpoint.
  std::unique_ptr<grpc::ClientContext> stream_context() const;
  etcdserverpb::Watch::Stub& watch_stub();
  std::string current_endpoint() const;
  void fail_over();  // the next endpoint becomes current

 private:
  struct member {
    endpoint where;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  };
  std::unique_ptr<grpc::ClientContext> context(by_time by = {}) const;
  template <class F>
  call_error with_failover(F&& f, by_time by = {});

  // Keeps every channel connecting and its sockets polled (see client.cpp).
  void monitor();

  config config_;
  std::vector<member> members_;
  std::atomic<std::size_t> current_{0};
  grpc::CompletionQueue monitor_queue_;
  std::atomic<bool> stopping_{false};
  std::thread monitor_;
};

// A watch stream with a thread reading it: responses (and then the end) queue up for
// whoever waits on next(). Destroying it cancels the stream and joins the thread.
class watch_feed {
 public:
  struct item {
    std::optional<etcdserverpb::WatchResponse> response;  // nullopt: the stream ended
    call_error end;                                        // why it ended
  };
  // Opens the stream on the client's current endpoint and sends `create`.
  watch_feed(client& c, const etcdserverpb::WatchCreateRequest& create);
  ~watch_feed();
  watch_feed(const watch_feed&) = delete;
  watch_feed& operator=(const watch_feed&) = delete;

  // The next item, waiting until `deadline`; nothing when none came in time.
  std::optional<item> next(std::chrono::steady_clock::time_point deadline);
  void cancel();

 private:
  void read_loop();

  std::string endpoint_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>> stream_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<item> items_;
  std::thread reader_;
};

}  // namespace store::etcd
