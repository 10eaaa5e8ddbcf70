// store::feed: carries a datastore's changes into the core. It is the process's one
// runtime::service for the datastore: it starts and stops it, re-reads it on SIGHUP, posts
// every change and health report onto the core's io_context and hands them to the
// consumers (the controller's service and the node's service) in the order they were
// given, logs refused manifests once per change of the set (and their recovery), serves
// the datastore's metrics, and frees each replaced snapshot on a thread of its own (tens
// of thousands of objects would stall the core and the UPDATE it is about to send).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "runtime/service.hpp"
#include "store/datastore.hpp"

namespace store {

// What a service that reads the datastore implements, besides runtime::service.
class consumer {
 public:
  virtual ~consumer() = default;
  // On the core thread, in the datastore's order.
  virtual void on_change(const change& c) = 0;
  virtual void on_health(const health&) {}
};

class feed final : public runtime::service {
 public:
  feed(boost::asio::io_context& io, std::unique_ptr<datastore> ds, std::vector<consumer*> consumers);
  ~feed() override;
  feed(const feed&) = delete;
  feed& operator=(const feed&) = delete;

  datastore& store() { return *ds_; }
  const health& current_health() const { return health_; }

  std::string_view name() const override { return "datastore"; }
  std::optional<std::string> start() override;
  void reload() override;
  void stop(std::function<void()> done) override;
  void stop_now() override;
  void metrics(runtime::exposition& x) const override;
  std::optional<std::string> not_ready() const override;

  struct reaper;

 private:
  void deliver(change c);

  boost::asio::io_context& io_;
  std::unique_ptr<datastore> ds_;
  std::vector<consumer*> consumers_;
  health health_;
  std::shared_ptr<const model::snapshot> snapshot_;
  std::vector<model::error> errors_;    // refused manifests in force
  std::vector<model::error> warnings_;  // accepted but likely mistakes
  std::uint64_t updates_ = 0;
  bool stopping_ = false;
  std::unique_ptr<reaper> reaper_;
  std::thread stopper_;             // stops the datastore without blocking the core
  std::function<void()> stop_done_;  // until the datastore has stopped
};

}  // namespace store
