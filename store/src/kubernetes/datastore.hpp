// store::kubernetes::datastore: the Kubernetes API behind store::datastore. One thread
// runs an io_context with a coroutine per watched resource (reflector.hpp over
// http.hpp), the writer (controller only) and the Lease campaign; nothing here blocks the
// caller's thread except read_ledger() and stop().
//
// Reading: each resource is listed and watched into the object cache (cache.hpp); a
// change is coalesced only under load (store::coalescer: the first after a quiet period
// goes at once; those within open_options::coalesce of the last delivery wait until that
// long passes without one, at most 20× it and at least 100 ms in all) and handed to the
// file backend's machinery, which decodes, validates and builds the next snapshot; the
// change goes to the sink with the assignments read from Service status. The first
// update waits until every resource has been listed once. While any list or watch fails, nothing new is delivered (the last
// good state stays in force) and health says connected=false and why.
//
// Writing (datastore_writer.cpp), leadership (datastore_election.cpp) and Events
// (datastore_events.cpp) are described there.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "cache.hpp"
#include "client.hpp"
#include "config.hpp"
#include "lease.hpp"
#include "reflector.hpp"
#include "store/coalesce.hpp"
#include "store/datastore.hpp"
#include "write_plan.hpp"

namespace store::kubernetes {

class datastore final : public store::datastore, private state_writer {
 public:
  datastore(settings s, cluster_config c, open_options o);
  ~datastore() override;

  void start(change_sink on_change, health_sink on_health) override;
  void resync() override;
  void stop() override;
  state_writer* writer() override { return options_.controller ? this : nullptr; }
  void campaign(leader_sink on_leader) override;
  std::string describe() const override;
  void post_event(const model::name_key& service, const model::event& e) override;
  bool keeps_events() const override { return true; }
  // The Services' ledger entries and the holds ConfigMap, whatever the Lease says.
  std::optional<ledger_read> read_published_ledger() override { return read_ledger(); }

 private:
  // state_writer (datastore_writer.cpp)
  std::vector<model::error> write(const state& s) override;
  ledger_read read_ledger() override;

  struct watch_slot {
    explicit watch_slot(asio::io_context& ioc) : timer(ioc) {}
    std::unique_ptr<reflector> r;
    std::unique_ptr<connection> conn;
    asio::steady_timer timer;
    bool relist = false;      // resync asked for a fresh list
    bool awaiting = true;     // a full update waits for this resource's list
    bool listed = false;      // listed at least once (a later list is a re-list)
  };

  // Reading (datastore.cpp)
  asio::awaitable<void> run_reflector(watch_slot& w);
  void after_list(watch_slot& w);
  void changed();
  void deliver(bool full);
  void report_health();

  // Writing (datastore_writer.cpp)
  asio::awaitable<void> run_writer();
  asio::awaitable<std::string> carry_out(connection& c, write_plan& plan);
  asio::awaitable<std::string> write_holds(connection& c, const model::ledger& holds);
  asio::awaitable<std::string> write_service(connection& c, const service_write& w, bool release_phase);

  // Events (datastore_events.cpp)
  asio::awaitable<std::string> send_event(connection& c, const model::name_key& key, const model::event& e,
                                          std::string_view controller, std::string_view instance,
                                          std::string_view action);
  asio::awaitable<void> run_own_events();
  asio::awaitable<ledger_read> fetch_ledger(connection& c);
  void wake_writer();

  // Leadership (datastore_election.cpp)
  asio::awaitable<void> run_election();
  asio::awaitable<void> release_lease();
  void publish_leadership();
  bool leading_now() const;

  settings settings_;
  open_options options_;
  asio::io_context ioc_;
  client client_;
  object_cache cache_;
  file::backend backend_;
  std::vector<std::unique_ptr<watch_slot>> watches_;
  change_sink on_change_;
  health_sink on_health_;
  std::thread thread_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};

  // read side, on the datastore's thread
  asio::steady_timer quiet_;
  coalescer coalescer_;
  bool full_pending_ = true;
  bool delivered_ = false;
  std::shared_ptr<const model::snapshot> snapshot_ = std::make_shared<model::snapshot>();
  std::vector<model::error> errors_;  // in force, as last delivered
  model::assignments assignments_;
  std::optional<health> reported_;
  std::int64_t last_good_unix_ = 0;

  // write side, on the datastore's thread
  asio::steady_timer writer_wake_;
  std::optional<state> desired_;
  writer_memory memory_;
  std::string ledger_rv_;   // of the holds ConfigMap; "" when it does not exist
  bool ledger_known_ = false;
  std::map<model::name_key, std::string> fresh_rv_;  // Services' resourceVersions after our own writes
  std::string write_error_;
  std::vector<std::string> unsupported_pools_;  // IPAddressPools without a status subresource

  // the process's own Events (post_event), on the datastore's thread
  std::deque<std::pair<model::name_key, model::event>> own_events_;
  std::unique_ptr<connection> events_conn_;
  bool events_running_ = false;
  std::size_t events_dropped_ = 0;

  // leadership
  leader_sink on_leader_;
  std::unique_ptr<elector> elector_;
  asio::steady_timer lease_watchdog_;
  std::atomic<std::int64_t> leading_until_ns_{0};  // steady_clock; read by write() on the core thread
  bool leading_reported_ = false;
};

}  // namespace store::kubernetes
