// controller::service: the controller's job in a process. It reads the datastore through
// the feed (store::consumer), campaigns for the datastore's leadership, and while it leads
// restores the ledger, then allocates on every change (controller::reconciler) and
// persists through the datastore's writer. The addresses it assigns reach speakers,
// including the one in its own process, as a datastore read, never directly.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/reconciler.hpp"
#include "runtime/service.hpp"
#include "store/datastore.hpp"
#include "store/feed.hpp"

namespace CLI {
class App;
}

namespace controller {

struct service_options {
  std::chrono::seconds hold_down{300};
  std::optional<std::string> load_balancer_class;
  // Hold-downs expire with time, not with events: allocate again this often.
  std::chrono::seconds tick{60};
};

// --hold-down SECONDS.
void add_options(CLI::App& app, service_options& o);

class service final : public runtime::service, public store::consumer {
 public:
  service(boost::asio::io_context& io, store::datastore& ds, service_options o);

  std::string_view name() const override { return "controller"; }
  std::optional<std::string> start() override;
  void stop(std::function<void()> done) override;
  void metrics(runtime::exposition& x) const override;
  std::optional<std::string> not_ready() const override;

  void on_change(const store::change& c) override;

 private:
  void on_leader(bool leading);
  void reconcile(const store::update& u);
  void arm_tick();

  boost::asio::io_context& io_;
  store::datastore& ds_;
  service_options options_;
  boost::asio::steady_timer tick_;
  bool stopping_ = false;
  bool leading_ = false;
  std::string leadership_;  // the datastore's words for it
  std::atomic<bool> starting_{false};
  std::unique_ptr<reconciler> reconciler_;
  std::optional<store::update> last_;  // the latest snapshot and errors (no change set), for a new leader and the tick
  std::vector<model::error> load_errors_;   // the ledger could not be restored
  std::vector<model::error> write_errors_;  // the last write failed
  std::uint64_t write_failures_ = 0;
  // The pools' status from the last write (not the whole result: the allocator already
  // holds the rest, and a copy here would double its memory).
  std::optional<std::vector<model::pool_status>> pools_;
};

}  // namespace controller
