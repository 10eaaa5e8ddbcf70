// The Kubernetes datastore's writer: the controller's results into the API.
//
// write() never waits for the network. It refuses (with an error) when this process does
// not hold the Lease; otherwise it hands the state to the datastore's thread as the new
// goal, replacing any goal not yet carried out, and returns no error. The thread plans
// the difference between the goal and the API as the datastore sees it (write_plan.hpp)
// and carries it out phase by phase; every Service write carries the resourceVersion it
// was planned against, and a 409 Conflict re-reads that Service and plans it again from
// what the API holds, never overwriting blindly. A failed plan is retried with back-off
// until it succeeds, a newer goal replaces it or the Lease is lost (checked before every
// request: a controller past its renew deadline sends nothing). Failures show in
// health().error and the log; write() does not report them.
//
// read_ledger() reads the ledger afresh (a consistent LIST of Services and the holds
// ConfigMap; ledger.hpp), blocking the caller for those requests: it is what a
// controller does once, on gaining the Lease, before it allocates anything.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <functional>
#include <future>

#include "datastore.hpp"
#include "ledger.hpp"
#include "log.hpp"

// GCC 12 takes the awaitable frame's sized operator delete for a mismatch with the
// allocation it inlined (a false positive: gcc PR middle-end/109224; asio issue 1391).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace store::kubernetes {

namespace json = boost::json;
using asio::as_tuple;
using asio::use_awaitable;
using beast::http::verb;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view merge_patch = "application/merge-patch+json";
constexpr std::string_view json_type = "application/json";
constexpr int conflict_retries = 5;

std::string resource_version_of(std::string_view body) {
  json::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const auto* md = v.get_object().if_contains("metadata");
  if (md == nullptr || !md->is_object()) return {};
  const auto* rv = md->get_object().if_contains("resourceVersion");
  return rv != nullptr && rv->is_string() ? std::string(rv->get_string()) : std::string();
}

std::string failure(std::string_view what, const http_response& r) {
  return std::string(what) + ": " + (r.status == 0 ? r.error : describe(parse_status(r.status, r.body)));
}

model::error ledger_error(std::string message) { return {"", "", "", "kubernetes: cannot read the ledger: " + message}; }

}  // namespace

std::vector<model::error> datastore::write(const state& s) {
  if (stopped_) return {{"", "", "", "kubernetes datastore stopped"}};
  if (!leading_now()) {
    return {{"", "", "", "not writing: this controller does not hold the Lease " + settings_.ns + "/" + settings_.lease}};
  }
  asio::post(ioc_, [this, goal = s]() mutable {
    desired_ = std::move(goal);
    wake_writer();
  });
  return {};
}

void datastore::wake_writer() { writer_wake_.cancel(); }

asio::awaitable<void> datastore::run_writer() {
  auto conn = client_.connect(ioc_.get_executor());
  backoff retry(backoff_policy{std::chrono::milliseconds{500}, std::chrono::seconds{30}, 2.0, 1.0});
  std::optional<state> goal;
  while (!stopped_) {
    if (desired_) {
      goal = std::move(desired_);
      desired_.reset();
    }
    if (!goal || !leading_now()) {
      goal.reset();
      writer_wake_.expires_at(clock::time_point::max());
      co_await writer_wake_.async_wait(as_tuple(use_awaitable));
      continue;
    }
    auto plan = plan_writes(*goal, *snapshot_, memory_);
    std::string why;
    if (!plan.empty()) why = co_await carry_out(*conn, plan);
    if (why.empty()) {
      if (!plan.empty()) {
        log::debug(log::ev::written, {{"services", std::to_string(plan.services.size())},
                                      {"pools", std::to_string(plan.pools.size())},
                                      {"events", std::to_string(plan.events.size())}});
      }
      if (!write_error_.empty()) {
        write_error_.clear();
        report_health();
      }
      retry.reset();
      goal.reset();
      continue;
    }
    if (!leading_now()) {
      goal.reset();  // not a failure: the next leader writes
      continue;
    }
    log::warn(log::ev::write_failed, {{"why", why}});
    if (write_error_ != "write: " + why) {
      write_error_ = "write: " + why;
      report_health();
    }
    if (desired_) continue;  // a newer goal replaces this one at once
    writer_wake_.expires_after(retry.next());
    co_await writer_wake_.async_wait(as_tuple(use_awaitable));
  }
}

asio::awaitable<std::string> datastore::carry_out(connection& c, write_plan& plan) {
  fresh_rv_.clear();
  if (plan.holds) {
    if (auto why = co_await write_holds(c, *plan.holds); !why.empty()) co_return why;
  }
  for (const auto& w : plan.services) {
    if (!w.steps.release) continue;
    if (auto why = co_await write_service(c, w, true); !why.empty()) co_return why;
  }
  for (const auto& w : plan.services) {
    if (!w.steps.status && !w.steps.annotate) continue;
    if (auto why = co_await write_service(c, w, false); !why.empty()) co_return why;
  }
  const auto& pool_resource = resource_of(model::kind::ip_address_pool);
  for (const auto& p : plan.pools) {
    if (std::find(unsupported_pools_.begin(), unsupported_pools_.end(), p.name) != unsupported_pools_.end()) continue;
    if (!leading_now()) co_return "lost the Lease";
    // MetalLB's IPAddressPoolStatus.
    const auto body = json::serialize(json::object{{"status", json::object{{"assignedIPv4", p.assigned_ipv4},
                                                                          {"assignedIPv6", p.assigned_ipv6},
                                                                          {"availableIPv4", p.available_ipv4},
                                                                          {"availableIPv6", p.available_ipv6}}}});
    const auto target = object_path(pool_resource, pool_resource.versions[0], settings_.ns, p.name) + "/status";
    auto r = co_await client_.send(c, verb::patch, target, body, std::string(merge_patch));
    if (r.status == 200) continue;
    memory_.pools.erase(p.name);
    if (r.status == 404) {
      // The pool is gone, or its CRD has no status subresource (MetalLB before 0.14).
      unsupported_pools_.push_back(p.name);
      log::info(log::ev::write_failed, {{"pool", p.name}, {"why", failure("pool status", r)}});
      continue;
    }
    co_return failure("PATCH " + target, r);
  }
  for (const auto& [key, e] : plan.events) {
    if (!leading_now()) co_return "lost the Lease";
    if (auto why = co_await send_event(c, key, e, "bgplb.io/controller", elector_ ? elector_->identity() : settings_.identity,
                                       "Allocate");
        !why.empty()) {
      log::warn(log::ev::event_dropped, {{"service", key.ns + "/" + key.name}, {"reason", e.reason}, {"why", why}});
    }
  }
  co_return "";
}

asio::awaitable<std::string> datastore::write_holds(connection& c, const model::ledger& holds) {
  const std::string collection = "/api/v1/namespaces/" + settings_.ns + "/configmaps";
  const std::string target = collection + "/" + settings_.ledger;
  for (int attempt = 0; attempt < conflict_retries; ++attempt) {
    if (!leading_now()) co_return "lost the Lease";
    if (!ledger_known_) {
      auto r = co_await client_.send(c, verb::get, target);
      if (r.status == 200) ledger_rv_ = resource_version_of(r.body);
      else if (r.status == 404) ledger_rv_.clear();
      else co_return failure("GET " + target, r);
      ledger_known_ = true;
    }
    if (!leading_now()) co_return "lost the Lease";
    const auto body = encode_holds(settings_.ns, settings_.ledger, holds, ledger_rv_);
    http_response r;
    if (ledger_rv_.empty()) r = co_await client_.send(c, verb::post, collection, body, std::string(json_type));
    else r = co_await client_.send(c, verb::put, target, body, std::string(json_type));
    if (r.status == 200 || r.status == 201) {
      ledger_rv_ = resource_version_of(r.body);
      memory_.holds = holds;
      co_return "";
    }
    if (r.status != 409) co_return failure((ledger_rv_.empty() ? "POST " : "PUT ") + target, r);
    log::info(log::ev::conflict, {{"object", "ConfigMap " + settings_.ns + "/" + settings_.ledger}});
    ledger_known_ = false;
  }
  co_return "ConfigMap " + settings_.ns + "/" + settings_.ledger + ": still conflicting after " +
      std::to_string(conflict_retries) + " re-reads";
}

asio::awaitable<std::string> datastore::write_service(connection& c, const service_write& w, bool release_phase) {
  const auto& svc = resource_of(model::kind::service);
  const std::string target = object_path(svc, "v1", w.key.ns, w.key.name);
  const std::string file = object_file(svc, w.key.ns, w.key.name);
  service_steps steps = w.steps;
  for (int attempt = 0; attempt < conflict_retries; ++attempt) {
    std::string rv;
    if (auto it = fresh_rv_.find(w.key); it != fresh_rv_.end()) rv = it->second;
    else if (const auto* e = cache_.find(file)) rv = e->resource_version;
    else co_return "";  // deleted meanwhile
    // One request at a time: the status (release, or final), then the annotations, each
    // with the resourceVersion it was planned against as precondition.
    std::vector<std::function<std::pair<std::string, std::string>(const std::string&)>> todo;
    const auto status_to = [&](const std::vector<model::ip_address>& ips) {
      todo.push_back([&target, ips](const std::string& v) { return std::pair(target + "/status", status_patch(ips, v)); });
    };
    // (the plan's release went out in the release phase; a re-plan may need one again)
    if (steps.release && (release_phase || attempt > 0)) status_to(*steps.release);
    if (!release_phase && steps.status) status_to(*steps.status);
    if (!release_phase && steps.annotate) {
      todo.push_back([&](const std::string& v) { return std::pair(target, annotation_patch(w.goal.pool, w.goal.since, v)); });
    }
    bool conflicted = false;
    for (const auto& make : todo) {
      if (!leading_now()) co_return "lost the Lease";
      const auto [where, body] = make(rv);
      auto r = co_await client_.send(c, verb::patch, where, body, std::string(merge_patch));
      if (r.status == 200) {
        rv = resource_version_of(r.body);
        fresh_rv_[w.key] = rv;
        continue;
      }
      if (r.status == 404) co_return "";  // deleted meanwhile: nothing to write
      if (r.status != 409) co_return failure("PATCH " + where, r);
      conflicted = true;
      break;
    }
    if (!conflicted) co_return "";
    // Someone else changed the Service since it was read: read it again and plan it anew.
    log::info(log::ev::conflict, {{"object", "Service " + w.key.ns + "/" + w.key.name}});
    auto r = co_await client_.send(c, verb::get, target);
    if (r.status == 404) co_return "";
    if (r.status != 200) co_return failure("GET " + target, r);
    json::error_code ec;
    const auto fresh = json::parse(r.body, ec);
    if (ec || !fresh.is_object()) co_return "GET " + target + ": not a JSON object";
    const auto facts = read_service(fresh.get_object());
    fresh_rv_[w.key] = facts.resource_version;
    steps = steps_for(service_view{facts.ingress, facts.pool, facts.since}, w.goal);
    if (release_phase) {
      steps.status.reset();
      steps.annotate = false;
    }
    if (steps.empty()) co_return "";
  }
  co_return "Service " + w.key.ns + "/" + w.key.name + ": still conflicting after " + std::to_string(conflict_retries) +
      " re-reads";
}

asio::awaitable<ledger_read> datastore::fetch_ledger(connection& c) {
  std::vector<service_facts> services;
  std::string cont;
  for (int restarts = 0;;) {
    std::string target = "/api/v1/services?limit=" + std::to_string(settings_.page_size);
    if (!cont.empty()) target += "&continue=" + query_escape(cont);
    auto r = co_await client_.send(c, verb::get, target);
    if (r.status == 410 && !cont.empty() && ++restarts < 3) {  // the continue token expired: from the start
      services.clear();
      cont.clear();
      continue;
    }
    if (r.status != 200) co_return ledger_read{std::nullopt, {ledger_error(failure("list services", r))}};
    json::error_code ec;
    const auto v = json::parse(r.body, ec);
    if (ec || !v.is_object()) co_return ledger_read{std::nullopt, {ledger_error("list services: not a JSON object")}};
    const auto& o = v.get_object();
    if (const auto* items = o.if_contains("items"); items != nullptr && items->is_array()) {
      for (const auto& item : items->get_array()) {
        if (item.is_object()) services.push_back(read_service(item.get_object()));
      }
    }
    cont.clear();
    if (const auto* md = o.if_contains("metadata"); md != nullptr && md->is_object()) {
      if (const auto* t = md->get_object().if_contains("continue"); t != nullptr && t->is_string()) {
        cont = std::string(t->get_string());
      }
    }
    if (cont.empty()) break;
  }
  const std::string target = "/api/v1/namespaces/" + settings_.ns + "/configmaps/" + settings_.ledger;
  auto r = co_await client_.send(c, verb::get, target);
  model::ledger holds;
  if (r.status == 200) {
    json::error_code ec;
    const auto v = json::parse(r.body, ec);
    if (ec || !v.is_object()) co_return ledger_read{std::nullopt, {ledger_error("GET " + target + ": not a JSON object")}};
    auto h = decode_holds("ConfigMap " + settings_.ns + "/" + settings_.ledger, v.get_object());
    if (!h.ledger) co_return h;
    holds = std::move(*h.ledger);
    ledger_rv_ = resource_version_of(r.body);
  } else if (r.status == 404) {
    ledger_rv_.clear();
  } else {
    co_return ledger_read{std::nullopt, {ledger_error(failure("GET " + target, r))}};
  }
  ledger_known_ = true;
  memory_.holds = model::ledger{holds.revision, {}, holds.holds};
  co_return ledger_read{make_ledger(services, options_.load_balancer_class, holds), {}};
}

ledger_read datastore::read_ledger() {
  if (!started_ || stopped_) return {std::nullopt, {ledger_error("the datastore is not running")}};
  if (std::this_thread::get_id() == thread_.get_id()) {
    return {std::nullopt, {ledger_error("read_ledger() called on the datastore's own thread")}};
  }
  auto result = std::make_shared<std::promise<ledger_read>>();
  auto f = result->get_future();
  asio::co_spawn(ioc_, [this, result]() -> asio::awaitable<void> {
    auto c = client_.connect(ioc_.get_executor());
    result->set_value(co_await fetch_ledger(*c));
  }, asio::detached);
  const auto limit = settings_.timeout * 4;
  if (f.wait_for(limit) != std::future_status::ready) {
    return {std::nullopt, {ledger_error("no answer within " + std::to_string(limit.count()) + " s")}};
  }
  return f.get();
}

}  // namespace store::kubernetes
