// The Kubernetes datastore's life cycle and read side (see datastore.hpp).
#include "datastore.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <future>

#include "log.hpp"

namespace store::kubernetes {

using asio::as_tuple;
using asio::use_awaitable;
using clock = std::chrono::steady_clock;

namespace {

file::options backend_options(const settings& s) {
  file::options o;
  o.quiet = std::chrono::milliseconds{0};  // the datastore coalesces; the backend never waits
  o.max_delay = std::chrono::milliseconds{0};
  o.decode.metallb_namespace = s.ns;
  return o;
}

// The controller alone (no node) only allocates: Services, Namespaces (pool namespace
// selectors) and IPAddressPools, which is all its RBAC grants (deploy/rbac.yaml). Every
// other process reads everything, a speaker only its own Node.
bool reads(model::kind k, const open_options& o) {
  if (!o.controller || !o.node.empty()) return true;
  return k == model::kind::service || k == model::kind::namespace_ || k == model::kind::ip_address_pool;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

datastore::datastore(settings s, cluster_config c, open_options o)
    : settings_(std::move(s)),
      options_(std::move(o)),
      client_(std::move(c), settings_.timeout),
      backend_("", cache_.make_filesystem(), cache_.make_watcher(), backend_options(settings_)),
      quiet_(ioc_),
      coalescer_(options_.coalesce, max_coalesce_delay(options_.coalesce)),
      writer_wake_(ioc_),
      lease_watchdog_(ioc_) {
  std::uint64_t seed = std::random_device{}();
  for (const auto& r : resources) {
    if (!reads(r.kind, options_)) continue;
    reflector_options ro;
    ro.ns = settings_.ns;
    ro.page_size = settings_.page_size;
    ro.seed = seed++;
    // Slices that belong to no Service (no kubernetes.io/service-name) are of no use.
    if (r.kind == model::kind::endpoint_slice) ro.label_selector = "kubernetes.io/service-name";
    // A speaker reads its own Node only.
    if (r.kind == model::kind::node && !options_.node.empty()) ro.field_selector = "metadata.name=" + options_.node;
    auto w = std::make_unique<watch_slot>(ioc_);
    w->r = std::make_unique<reflector>(r, cache_, std::move(ro));
    w->conn = client_.connect(ioc_.get_executor());
    watches_.push_back(std::move(w));
  }
}

datastore::~datastore() { stop(); }

std::string datastore::describe() const {
  return "kubernetes: " + server_url(client_.config().endpoint) + " (" + client_.config().source + "; namespace " +
         settings_.ns + ")";
}

void datastore::start(change_sink on_change, health_sink on_health) {
  if (started_.exchange(true)) return;
  on_change_ = std::move(on_change);
  on_health_ = std::move(on_health);
  for (auto& w : watches_) asio::co_spawn(ioc_, run_reflector(*w), asio::detached);
  if (options_.controller) asio::co_spawn(ioc_, run_writer(), asio::detached);
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(ioc_);
    ioc_.run();
  });
}

void datastore::resync() {
  asio::post(ioc_, [this] {
    for (auto& w : watches_) {
      w->relist = true;
      w->awaiting = true;
      w->timer.cancel();
      w->conn->close();
    }
    full_pending_ = true;
  });
}

void datastore::stop() {
  if (stopped_.exchange(true)) return;
  if (!thread_.joinable()) return;
  if (elector_) {
    // Give the Lease up so another controller need not wait out its duration.
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    asio::co_spawn(ioc_, [this, done]() -> asio::awaitable<void> {
      co_await release_lease();
      done->set_value();
    }, asio::detached);
    f.wait_for(std::chrono::seconds(3));
  }
  ioc_.stop();
  thread_.join();
}

asio::awaitable<void> datastore::run_reflector(watch_slot& w) {
  auto& r = *w.r;
  while (!stopped_) {
    auto req = r.next();
    if (req.delay.count() > 0) {
      w.timer.expires_after(req.delay);
      co_await w.timer.async_wait(as_tuple(use_awaitable));
    }
    if (stopped_) co_return;
    if (w.relist) {
      w.relist = false;
      r.relist();
      continue;
    }
    const bool was_absent = r.absent();
    const bool was_connected = r.connected();
    if (req.what == reflector::request::type::list) {
      auto res = co_await client_.send(*w.conn, beast::http::verb::get, req.target);
      if (w.relist) continue;
      if (res.status == 200) {
        std::string why;
        if (auto page = parse_list(r.resource_of(), r.version(), res.body, why)) {
          const bool listing = !r.watching();
          r.on_list_page(std::move(*page));
          if (listing && r.watching()) after_list(w);
        } else {
          r.on_failure({0, "", "bad list response: " + why});
        }
      } else {
        r.on_failure(res.status == 0 ? api_status{0, "", res.error} : parse_status(res.status, res.body),
                     parse_retry_after(res.retry_after));
        if (r.absent() && !was_absent) {
          log::info(log::ev::absent, {{"resource", file_prefix(r.resource_of())}});
          after_list(w);
        }
      }
    } else {
      const auto began = clock::now();
      bool error_event = false;  // an ERROR event already told the reflector what next
      auto res = co_await client_.watch(
          *w.conn, req.target, req.timeout + std::chrono::seconds(30),
          [&] {
            r.on_watch_started();
            report_health();
          },
          [&](std::string_view line) {
            if (error_event) return;
            std::string why;
            auto e = parse_watch_event(r.resource_of(), r.version(), line, why);
            if (!e) {
              log::warn(log::ev::bad_event, {{"resource", file_prefix(r.resource_of())}, {"why", why}});
              w.conn->close();
              return;
            }
            if (e->what == watch_event::type::error) {
              // The server ends the stream after an ERROR event; do not wait for it.
              error_event = true;
              if (e->status.code == 410) log::info(log::ev::relist, {{"resource", file_prefix(r.resource_of())}});
              r.on_watch_event(std::move(*e));
              w.conn->close();
              return;
            }
            r.on_watch_event(std::move(*e));
            changed();
          });
      if (w.relist) continue;
      const auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - began);
      if (res.status == 200 && !error_event) {
        r.on_stream_end(lasted, res.error);
      } else if (res.status != 200) {
        r.on_failure(res.status == 0 ? api_status{0, "", res.error} : parse_status(res.status, res.body),
                     parse_retry_after(res.retry_after));
      }
    }
    if (was_connected && !r.connected()) {
      log::warn(log::ev::disconnected, {{"resource", file_prefix(r.resource_of())}, {"why", r.error()}});
    }
    changed();
    report_health();
  }
}

// A resource's list is complete (or it is absent): the initial and resync updates wait
// for every resource; a later list (after 410 Gone) is a re-list, delivered as full.
void datastore::after_list(watch_slot& w) {
  if (w.listed) full_pending_ = true;
  w.listed = true;
  w.awaiting = false;
}

void datastore::changed() {
  for (const auto& w : watches_) {
    if (w->awaiting) return;
  }
  if (!cache_.dirty() && !full_pending_) return;
  if (!delivered_) {
    deliver(true);
    return;
  }
  const auto now = clock::now();
  const auto due = coalescer_.on_change(now);
  if (due <= now) {
    deliver(full_pending_);
    return;
  }
  quiet_.expires_at(due);
  quiet_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // re-armed by a later change
    deliver(full_pending_);
  });
}

void datastore::deliver(bool full) {
  // The watcher names every object changed since the last update (all of them at first);
  // a full update with nothing changed repeats the state in force.
  auto u = backend_.wait(std::chrono::milliseconds{0});
  if (u || full) coalescer_.delivered(clock::now());
  else coalescer_.discarded();
  full_pending_ = false;
  if (!u && !full) return;
  if (!u) u = update{snapshot_, {}, errors_, {}};
  errors_ = u->errors;
  change c;
  c.full = full;
  snapshot_ = u->snapshot;
  if (full || !delivered_) {
    auto a = model::assignments_from_status(*snapshot_, options_.load_balancer_class);
    c.moved = model::changed_services(assignments_, a);
    assignments_ = std::move(a);
    c.assignments = std::make_shared<const model::assignments>(assignments_);
  } else {
    // Only the changed Services are looked at, and the next version of the assignments
    // shares every other entry with the last (model/assignments.hpp): a delivery costs
    // O(k log n) for k changed Services, however many there are.
    std::vector<model::assignments::entry> edits;
    for (const auto* keys : {&u->changes.added, &u->changes.modified, &u->changes.removed}) {
      for (const auto& k : *keys) {
        if (k.kind != model::kind::service) continue;
        model::name_key key{k.ns, k.name};
        const auto* svc = snapshot_->find<model::service>(k.ns, k.name);
        const bool has = svc != nullptr && svc->type == "LoadBalancer" &&
                         svc->extra->load_balancer_class == options_.load_balancer_class && !svc->ingress_ips.empty();
        const auto* before = assignments_.get(key);
        if (has && (before == nullptr || *before != svc->ingress_ips)) {
          c.moved.push_back(key);
          edits.emplace_back(std::move(key), svc->ingress_ips);
        } else if (!has && before != nullptr) {
          c.moved.push_back(key);
          edits.emplace_back(std::move(key), model::assignments::addresses{});
        }
      }
    }
    std::sort(c.moved.begin(), c.moved.end());
    if (!c.moved.empty()) {
      assignments_.apply(std::move(edits));
      c.assignments = std::make_shared<const model::assignments>(assignments_);
    }
  }
  c.objects = std::move(*u);
  delivered_ = true;
  last_good_unix_ = unix_now();
  if (on_change_) on_change_(std::move(c));
  report_health();
}

void datastore::report_health() {
  health h;
  h.synced = delivered_;
  h.connected = true;
  for (const auto& w : watches_) {
    if (w->r->connected()) continue;
    h.connected = false;
    if (w->r->error().empty()) continue;  // not yet listed, no failure either
    if (!h.error.empty()) h.error += "; ";
    h.error += w->r->error();
  }
  if (!h.connected && h.error.empty()) h.error = "waiting for the first list of every resource";
  if (!write_error_.empty()) h.error += (h.error.empty() ? "" : "; ") + write_error_;
  const auto now = unix_now();
  if (h.connected) last_good_unix_ = now;
  h.last_sync_unix = last_good_unix_;
  if (reported_ && reported_->synced == h.synced && reported_->connected == h.connected && reported_->error == h.error) {
    return;
  }
  if (reported_ && !reported_->connected && h.connected) log::info(log::ev::connected, {});
  reported_ = h;
  if (on_health_) on_health_(h);
}

}  // namespace store::kubernetes
