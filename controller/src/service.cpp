// The controller's service (see controller/service.hpp).
#include "controller/service.hpp"

#include <boost/asio/post.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <ctime>
#include <map>
#include <thread>
#include <tuple>

#include "log_events.hpp"

namespace controller {

namespace asio = boost::asio;

namespace {

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string joined(const std::vector<model::error>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "; ") + e.to_string();
  return out;
}

// The same view again, with nothing changed (the second pass, the hold-down tick).
store::update unchanged(const store::update& u) { return {u.snapshot, {}, u.errors, {}}; }

// Each service's events, once when its status changes. A pass that touches many services
// (the first allocation of a large cluster) logs them at debug level and one summary line
// with the count per reason, so a cold start does not write a line per service.
class event_log {
 public:
  explicit event_log(std::size_t services) : bulk_(services > bulk_threshold) {}
  ~event_log() {
    if (counts_.empty()) return;
    std::string summary;
    for (const auto& [reason, n] : counts_) summary += (summary.empty() ? "" : ",") + reason + ":" + std::to_string(n);
    log::info(log::ev::allocation_summary, "services", std::to_string(services_), "reasons", summary);
  }
  void add(const model::service_status& s) {
    if (!s.events.empty()) ++services_;
    for (const auto& ev : s.events) {
      if (bulk_) {
        ++counts_[ev.reason];
        log::debug(log::ev::allocation, "service", s.ns + "/" + s.name, "type", ev.type, "reason", ev.reason, "message",
                   ev.message);
      } else {
        log::info(log::ev::allocation, "service", s.ns + "/" + s.name, "type", ev.type, "reason", ev.reason, "message",
                  ev.message);
      }
    }
  }

 private:
  static constexpr std::size_t bulk_threshold = 100;
  bool bulk_;
  std::size_t services_ = 0;
  std::map<std::string, std::size_t> counts_;
};

}  // namespace

void add_options(CLI::App& app, service_options& o) {
  app.add_option_function<long>(
         "--hold-down", [&o](long s) { o.hold_down = std::chrono::seconds(s); },
         "seconds a released address is kept from other services (default 300)")
      ->check(CLI::NonNegativeNumber);
}

service::service(asio::io_context& io, store::datastore& ds, service_options o)
    : io_(io), ds_(ds), options_(std::move(o)), tick_(io) {}

std::optional<std::string> service::start() {
  if (!ds_.writer()) return "the datastore " + ds_.describe() + " was opened read-only";
  // A datastore that settles leadership at once (the file datastore's lock) answers
  // within campaign(), on this thread: a ledger that cannot be restored then stops the
  // process before it allocates anything. Later answers come from the datastore's thread.
  const auto core = std::this_thread::get_id();
  starting_ = true;
  ds_.campaign([this, core](bool leading) {
    if (starting_ && std::this_thread::get_id() == core) on_leader(leading);
    else asio::post(io_, [this, leading] { on_leader(leading); });
  });
  starting_ = false;
  arm_tick();
  if (!load_errors_.empty()) return "cannot restore the ledger: " + joined(load_errors_);
  return std::nullopt;
}

void service::stop(std::function<void()> done) {
  stopping_ = true;
  tick_.cancel();
  done();
}

void service::on_leader(bool leading) {
  if (stopping_) return;
  auto note = ds_.leadership();
  if (leading == leading_ && note == leadership_) return;
  log::info(log::ev::leader, "leading", leading ? "yes" : "no", "datastore", ds_.describe(), "reason", note);
  leadership_ = std::move(note);
  if (leading == leading_) return;
  leading_ = leading;
  if (!leading) {
    // The next leader restores from what was persisted; nothing of ours may be written.
    reconciler_.reset();
    return;
  }
  options o;
  o.hold_down = options_.hold_down;
  o.load_balancer_class = options_.load_balancer_class;
  reconciler_ = std::make_unique<reconciler>(*ds_.writer(), o);
  load_errors_ = reconciler_->load();
  if (!load_errors_.empty()) {
    for (const auto& e : load_errors_) log::error(log::ev::state_error, "error", e.to_string());
    return;
  }
  if (last_) reconcile(*last_);  // a first pass ignores the change set
}

void service::on_change(const store::change& c) {
  if (stopping_) return;
  const bool first = !last_;
  // The view without its change set: a new leader and the tick only need the objects, and
  // a full change's set names every object.
  last_ = unchanged(c.objects);
  if (!reconciler_) return;
  reconcile(c.objects);
  // The second pass clears the one-shot IPAllocated events of the first and rewrites
  // every status: do it now, not in the path of the first real change.
  if (first) asio::post(io_, [this] {
      if (last_ && reconciler_ && !stopping_) reconcile(unchanged(*last_));
    });
}

void service::reconcile(const store::update& u) {
  if (!reconciler_->loaded()) {
    // Not restored at the last attempt: try again before allocating anything.
    load_errors_ = reconciler_->load();
    if (!load_errors_.empty()) return;
  }
  auto out = reconciler_->reconcile(u, unix_now());
  if (!out.errors.empty()) {
    ++write_failures_;
    if (out.errors != write_errors_)
      for (const auto& e : out.errors) log::error(log::ev::state_error, "error", e.to_string());
  }
  write_errors_ = out.errors;
  if (!out.wrote) return;
  // Each service's events are logged once, when its status changes.
  if (out.all) {
    event_log events(out.allocation.services.size());
    for (const auto& s : out.allocation.services) events.add(s);
  } else {
    event_log events(out.changed.size());
    auto it = out.allocation.services.begin();
    for (const auto& k : out.changed) {
      it = std::lower_bound(it, out.allocation.services.end(), k, [](const model::service_status& s, const model::name_key& n) {
        return std::tie(s.ns, s.name) < std::tie(n.ns, n.name);
      });
      if (it != out.allocation.services.end() && it->ns == k.ns && it->name == k.name) events.add(*it);
    }
  }
  pools_ = std::move(out.allocation.pools);
}

void service::arm_tick() {
  tick_.expires_after(options_.tick);
  tick_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    if (reconciler_ && last_) reconcile(unchanged(*last_));
    arm_tick();
  });
}

void service::metrics(runtime::exposition& x) const {
  x.family("bgplb_controller_leader", "gauge", "1 while this controller holds the datastore's leadership.");
  x.sample("bgplb_controller_leader", {}, leading_ ? 1 : 0);
  x.family("bgplb_controller_state_write_failures_total", "counter",
           "Allocations that could not be persisted (nothing unpersisted is announced).");
  x.sample("bgplb_controller_state_write_failures_total", {}, static_cast<double>(write_failures_));
  if (!pools_) return;
  x.family("metallb_allocator_addresses_in_use_total", "gauge", "Addresses in use per pool.");
  x.family("metallb_allocator_addresses_total", "gauge", "Usable addresses per pool.");
  x.family("bgplb_allocator_stranded_addresses", "gauge", "Addresses in use that are no longer in their pool.");
  for (const auto& p : *pools_) {
    const double used = static_cast<double>(p.assigned_ipv4 + p.assigned_ipv6);
    x.sample("metallb_allocator_addresses_in_use_total", {{"pool", p.name}}, used);
    x.sample("metallb_allocator_addresses_total", {{"pool", p.name}},
             used + static_cast<double>(p.available_ipv4 + p.available_ipv6));
    x.sample("bgplb_allocator_stranded_addresses", {{"pool", p.name}}, static_cast<double>(p.stranded));
  }
}

std::optional<std::string> service::not_ready() const {
  if (!load_errors_.empty()) return "cannot restore the ledger: " + joined(load_errors_);
  if (!write_errors_.empty()) return "cannot persist allocations (nothing new is announced): " + joined(write_errors_);
  return std::nullopt;
}

}  // namespace controller
