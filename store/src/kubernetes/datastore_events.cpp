// The Kubernetes datastore's Events: events.k8s.io/v1 Events about Services.
//
// The controller's (reason IPAllocated, AllocationFailed, ...) go out in the writer's last
// phase, while it leads (datastore_writer.cpp). A process's own (post_event(): the
// speaker's nodeAssigned) go through a queue on the datastore's thread and a connection of
// their own, one at a time, whatever the Lease says: they are about what this process
// does, not the controller's results. The queue holds 1000, as client-go's recorder
// (tools/record maxQueuedEvents, dropping when full), which MetalLB's speaker sends its
// nodeAssigned through: a burst beyond it, such as a cold start announcing tens of
// thousands of Services, drops the excess, counted in the log. A failed post is logged
// and dropped at once (client-go's recorder tries an Event up to 12 times first).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <cstdio>

#include "datastore.hpp"
#include "lease.hpp"
#include "log.hpp"
#include "resources.hpp"

// GCC 12 takes the awaitable frame's sized operator delete for a mismatch with the
// allocation it inlined (a false positive: gcc PR middle-end/109224; asio issue 1391).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace store::kubernetes {

namespace json = boost::json;
using beast::http::verb;

namespace {

constexpr std::size_t own_events_limit = 1000;

}  // namespace

asio::awaitable<std::string> datastore::send_event(connection& c, const model::name_key& key, const model::event& e,
                                                   std::string_view controller, std::string_view instance,
                                                   std::string_view action) {
  std::string uid;
  if (const auto* entry = cache_.find(object_file(resource_of(model::kind::service), key.ns, key.name))) uid = entry->uid;
  const auto wall = std::chrono::system_clock::now();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count();
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, ".%llx", static_cast<unsigned long long>(nanos));
  json::object regarding{{"apiVersion", "v1"}, {"kind", "Service"}, {"namespace", key.ns}, {"name", key.name}};
  if (!uid.empty()) regarding["uid"] = uid;
  const auto body = json::serialize(json::object{
      {"apiVersion", "events.k8s.io/v1"},
      {"kind", "Event"},
      {"metadata", json::object{{"name", key.name + suffix}, {"namespace", key.ns}}},
      {"eventTime", micro_time(wall)},
      {"reportingController", controller},
      {"reportingInstance", instance},
      {"action", action},
      {"reason", e.reason},
      {"note", e.message.substr(0, 1024)},
      {"type", e.type},
      {"regarding", std::move(regarding)},
  });
  const std::string target = "/apis/events.k8s.io/v1/namespaces/" + key.ns + "/events";
  auto r = co_await client_.send(c, verb::post, target, body, "application/json");
  if (r.status == 201 || r.status == 200) co_return "";
  co_return "POST " + target + ": " + (r.status == 0 ? r.error : kubernetes::describe(parse_status(r.status, r.body)));
}

void datastore::post_event(const model::name_key& service, const model::event& e) {
  if (!started_ || stopped_) return;
  asio::post(ioc_, [this, service, e] {
    if (own_events_.size() >= own_events_limit) {
      ++events_dropped_;
      return;
    }
    own_events_.emplace_back(service, e);
    if (events_running_) return;
    events_running_ = true;
    asio::co_spawn(ioc_, run_own_events(), asio::detached);
  });
}

asio::awaitable<void> datastore::run_own_events() {
  if (!events_conn_) events_conn_ = client_.connect(ioc_.get_executor());
  const std::string instance = options_.node.empty() ? settings_.identity : options_.node;
  while (!own_events_.empty() && !stopped_) {
    const auto [key, e] = own_events_.front();
    own_events_.pop_front();
    if (auto why = co_await send_event(*events_conn_, key, e, "bgplb.io/speaker", instance, "Announce"); !why.empty()) {
      log::warn(log::ev::event_dropped, {{"service", key.ns + "/" + key.name}, {"reason", e.reason}, {"why", why}});
    }
    if (events_dropped_ > 0) {
      log::warn(log::ev::event_dropped, {{"count", std::to_string(events_dropped_)}, {"why", "too many Events queued"}});
      events_dropped_ = 0;
    }
  }
  events_running_ = false;
}

}  // namespace store::kubernetes
