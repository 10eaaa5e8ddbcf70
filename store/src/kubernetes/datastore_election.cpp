// The Kubernetes datastore's leader election: campaign() runs client-go's loop on the
// Lease (lease.hpp) every retry period: read it, write it when decide() says so (with the
// read resourceVersion as precondition). The sink hears `true` after a successful
// acquisition and `false` as soon as the renew deadline passes without a successful
// renewal, or the Lease shows another holder; the writer refuses from that instant. A
// controller that lost the Lease keeps campaigning and may lead again. stop() gives the
// Lease up (holder cleared, duration 1 s) so a standby takes over within a retry period.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include "datastore.hpp"
#include "log.hpp"

// GCC 12 takes the awaitable frame's sized operator delete for a mismatch with the
// allocation it inlined (a false positive: gcc PR middle-end/109224; asio issue 1391).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace store::kubernetes {

using asio::as_tuple;
using asio::use_awaitable;
using beast::http::verb;
using clock = std::chrono::steady_clock;

namespace {

std::string default_identity() {
  std::string base;
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') base = pod;
  if (base.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) base = host;
  }
  if (base.empty()) base = "bgplb";
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "_%08x", static_cast<unsigned>(std::random_device{}()));
  return base + suffix;
}

std::string lease_collection(const std::string& ns) { return "/apis/coordination.k8s.io/v1/namespaces/" + ns + "/leases"; }

}  // namespace

bool datastore::leading_now() const {
  const auto until = leading_until_ns_.load(std::memory_order_acquire);
  return clock::now().time_since_epoch().count() < until;
}

void datastore::campaign(leader_sink on_leader) {
  asio::post(ioc_, [this, sink = std::move(on_leader)]() mutable {
    if (elector_) return;
    on_leader_ = std::move(sink);
    elector_ = std::make_unique<elector>(settings_.identity.empty() ? default_identity() : settings_.identity,
                                         settings_.timing);
    asio::co_spawn(ioc_, run_election(), asio::detached);
  });
}

void datastore::publish_leadership() {
  const auto until = elector_->leading_until();
  leading_until_ns_.store(until.time_since_epoch().count(), std::memory_order_release);
  const bool leading = elector_->leading(clock::now());
  if (leading) {
    // Report the loss on time even while a Lease request hangs.
    lease_watchdog_.expires_at(until);
    lease_watchdog_.async_wait([this](boost::system::error_code ec) {
      if (!ec) publish_leadership();
    });
  }
  if (leading == leading_reported_) return;
  leading_reported_ = leading;
  log::info(log::ev::leader, {{"leading", leading ? "true" : "false"},
                              {"identity", elector_->identity()},
                              {"lease", settings_.ns + "/" + settings_.lease}});
  // A new term starts from what the API holds: forget what the last term wrote.
  memory_ = {};
  ledger_known_ = false;
  unsupported_pools_.clear();
  if (!leading) {
    desired_.reset();
    if (!write_error_.empty()) {
      write_error_.clear();
      report_health();
    }
  }
  if (on_leader_) on_leader_(leading);
}

asio::awaitable<void> datastore::run_election() {
  auto conn = client_.connect(ioc_.get_executor());
  asio::steady_timer timer(ioc_);
  const std::string target = lease_collection(settings_.ns) + "/" + settings_.lease;
  const auto& t = settings_.timing;
  while (!stopped_) {
    const auto sent = clock::now();
    auto got = co_await client_.send(*conn, verb::get, target);
    std::optional<lease_object> current;
    std::string problem;
    if (got.status == 200) {
      std::string why;
      current = decode_lease(got.body, why);
      if (!current) problem = "GET " + target + ": " + why;
    } else if (got.status != 404) {
      problem = "GET " + target + ": " + (got.status == 0 ? got.error : kubernetes::describe(parse_status(got.status, got.body)));
    }
    if (problem.empty() && !stopped_) {
      auto d = elector_->decide(current ? std::optional(current->record) : std::nullopt, clock::now(),
                                std::chrono::system_clock::now());
      if (d.what != elector::decision::action::wait) {
        const bool create = d.what == elector::decision::action::create;
        const auto body = encode_lease(settings_.ns, settings_.lease, d.record, create ? "" : current->resource_version);
        http_response put;
        if (create) put = co_await client_.send(*conn, verb::post, lease_collection(settings_.ns), body, "application/json");
        else put = co_await client_.send(*conn, verb::put, target, body, "application/json");
        if (put.status == 200 || put.status == 201) {
          elector_->on_written(d.record, sent);
        } else if (put.status != 409) {  // 409: someone else wrote first; read again next round
          problem = std::string(create ? "POST " : "PUT ") + target + ": " +
                    (put.status == 0 ? put.error : kubernetes::describe(parse_status(put.status, put.body)));
        }
      }
    }
    if (!problem.empty()) log::warn(log::ev::lease_error, {{"why", problem}});
    publish_leadership();
    // Next round after the retry period, or at the renew deadline if that comes first
    // (so a loss is reported on time even while requests hang).
    auto next = clock::now() + t.retry_period;
    if (elector_->leading(clock::now())) next = std::min(next, elector_->leading_until());
    timer.expires_at(next);
    co_await timer.async_wait(as_tuple(use_awaitable));
  }
}

asio::awaitable<void> datastore::release_lease() {
  if (!elector_ || !elector_->leading(clock::now())) co_return;
  // No write goes out from here on.
  leading_until_ns_.store(0, std::memory_order_release);
  auto r = elector_->release(std::chrono::system_clock::now());
  if (!r) co_return;
  auto conn = client_.connect(ioc_.get_executor());
  const std::string target = lease_collection(settings_.ns) + "/" + settings_.lease;
  auto got = co_await client_.send(*conn, verb::get, target);
  if (got.status != 200) co_return;
  std::string why;
  const auto current = decode_lease(got.body, why);
  if (!current || current->record.holder != elector_->identity()) co_return;
  auto put = co_await client_.send(*conn, verb::put, target,
                                   encode_lease(settings_.ns, settings_.lease, *r, current->resource_version),
                                   "application/json");
  if (put.status == 200) elector_->on_released();
  log::info(log::ev::leader, {{"leading", "false"}, {"identity", elector_->identity()}, {"released", put.status == 200 ? "true" : "false"}});
}

}  // namespace store::kubernetes
