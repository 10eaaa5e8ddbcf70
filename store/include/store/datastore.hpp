// store::datastore: the one interface every process reads its world through, whatever
// holds it: a manifest directory (`file:DIR`), the Kubernetes API (`kubernetes:`) or etcd
// (`etcd:`), chosen by store::open(uri). The shell and the services never name a backend.
//
// A datastore lists, watches, decodes and validates on a thread of its own (the core's
// thread never parses) and pushes every coalesced change to a sink, in order. Besides the
// objects it reads the controller's published assignments (the ledger in the file
// backend's state directory, Service status in Kubernetes, the ledger keys in etcd): a
// speaker learns addresses from that read, whether the controller runs in its process,
// on another node, or is MetalLB. Only the controller writes, through writer(), and only
// while it holds the datastore's leadership.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/assignments.hpp"
#include "store/backend.hpp"

namespace store {

// One coalesced change as the consumers see it. Each update's change set is against the
// previous update; `full` marks the first one and every re-list (resync, lost watch).
struct change {
  update objects;  // snapshot (never null), change set, errors in force
  bool full = false;
  // The published assignments, set when they differ from the previous update's (always
  // set on a full update); null when unchanged. `moved` names the services whose
  // addresses differ (name order); on a full update it may name any.
  std::shared_ptr<const model::assignments> assignments;
  std::vector<model::name_key> moved;
  // When the datastore saw the first event of this change (for change-to-wire latency).
  std::chrono::steady_clock::time_point seen{};
};

// Whether the datastore is serving what it holds. A datastore that cannot read keeps the
// last good state in force and says so here (readyz, metrics, log, bgplbctl).
struct health {
  bool synced = false;     // a full list has been delivered
  bool connected = false;  // the last read or watch succeeded; false: stale
  std::string error;       // why not, in words (empty when connected)
  std::int64_t last_sync_unix = 0;  // the last moment the view was known current
  friend bool operator==(const health&, const health&) = default;
};

class datastore {
 public:
  using change_sink = std::function<void(change)>;
  using health_sink = std::function<void(const health&)>;
  // Leadership for the controller: true when this process may write, false when it lost
  // the right (it must stop writing at once).
  using leader_sink = std::function<void(bool leading)>;

  virtual ~datastore() = default;

  // Starts listing and watching. The sinks are called on the datastore's thread, one
  // call at a time, in order: the caller posts them to its core.
  virtual void start(change_sink on_change, health_sink on_health) = 0;
  // Reads everything again (SIGHUP); thread-safe, returns at once.
  virtual void resync() = 0;
  // Returns when no sink call is running and none will run again. Idempotent.
  virtual void stop() = 0;

  // Where the controller persists its results; nullptr when this process opened the
  // datastore read-only. Called on the core thread.
  virtual state_writer* writer() = 0;
  // Campaigns for the controller's leadership (a lock, a Lease, an election key) and
  // reports gains and losses through the sink, on the datastore's thread. The writer
  // refuses to write while not leading.
  virtual void campaign(leader_sink on_leader) = 0;
  // Why this process leads or not, in words, for logs and bgplbctl ("" when nothing to say).
  virtual std::string leadership() const { return {}; }

  // "file:/etc/bgplb/manifests (state /var/lib/bgplb)", for logs.
  virtual std::string describe() const = 0;

  // An Event of this process's own about a Service (the speaker's "nodeAssigned"), for
  // datastores that keep Events (Kubernetes); the others ignore it. Best effort: never
  // blocks, never fails the caller; thread-safe. Not for the controller's results, which
  // go through writer().
  virtual void post_event(const model::name_key& /*service*/, const model::event& /*e*/) {}
  // Whether post_event() keeps anything: a process wires its Events only then (working
  // them out costs the speaker a pass over its services on every change).
  virtual bool keeps_events() const { return false; }

  // The controller's durable ledger read afresh, as a controller gaining the leadership
  // now would restore it (entries, holds, revision), also when this process opened the
  // datastore read-only: `bgplb plan` allocates from it as the controller would. Blocks
  // the caller; never call it on the datastore's thread (from a sink). nullopt: this
  // datastore has no such read (the published assignments are all a reader gets).
  virtual std::optional<ledger_read> read_published_ledger() { return std::nullopt; }
};

struct open_options {
  // This process runs the controller: open for writing (state directory, credentials
  // with write access) and allow campaign().
  bool controller = false;
  // With `controller`: stand by until elected instead of requiring the leadership at
  // open (the file datastore then campaigns; cluster datastores always do).
  bool standby = false;
  // The node this process speaks for (backends may read only that node's objects).
  std::string node;
  // file: the state directory (ledger.json, status.json). The controller needs one; a
  // speaker reads the published ledger from it when given, else Service status.
  std::optional<std::string> state_dir;
  // The spec.loadBalancerClass served; used when assignments come from Service status.
  std::optional<std::string> load_balancer_class;
  // Coalescing (store::coalescer): a change after this long without one is delivered at
  // once; changes within it of the last delivery wait until this long passes without one
  // (at most 20× it, and at least 100 ms) and go together.
  std::chrono::milliseconds coalesce{5};
};

// "file:DIR", "file:///abs/dir" or a bare directory path. Throws std::invalid_argument
// with a sentence naming the URI and what is wrong (unknown scheme, missing directory,
// state directory locked by another process).
std::unique_ptr<datastore> open(std::string_view uri, const open_options& options);

}  // namespace store
