// The process shell (see daemon.hpp). Threads: the core (io_context: reconcile, plan,
// sessions, HTTP) and one blocking reader per watched directory that posts what it read
// to the core. The core owns every piece of state; readers own only their backend.
#include "speaker/daemon.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "api/server.hpp"
#include "controller/reconciler.hpp"
#include "model/validate.hpp"
#include "http_server.hpp"
#include "log_events.hpp"
#include "metrics.hpp"
#include "speaker/agent.hpp"
#include "speaker/plan.hpp"
#include "store/file_backend.hpp"
#include "store/state_dir.hpp"

namespace speaker {

namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The first IPv4 address of an interface that is up and not loopback: the router ID of
// last resort (BGPPeer routerID and the Node's InternalIP come first).
std::optional<model::ip_address> first_interface_ipv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<model::ip_address> out;
  for (auto* i = list; i && !out; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    const std::uint32_t v = ntohl(sin->sin_addr.s_addr);
    if ((v >> 24) == 127) continue;
    out = model::ip_address::v4(v);
  }
  freeifaddrs(list);
  return out;
}

// Services' addresses as the speaker sees them without a controller in process: the
// ledger in the state directory, else each Service's status.loadBalancer.ingress.
assignments from_ledger(const model::ledger& l) {
  assignments a;
  for (const auto& e : l.entries) a[{e.ns, e.name}] = e.ips;
  return a;
}

assignments from_status(const model::snapshot& s, const std::optional<std::string>& lb_class) {
  assignments a;
  for (const auto& [k, svc] : s.all<model::service>())
    if (svc.type == "LoadBalancer" && svc.load_balancer_class == lb_class && !svc.ingress_ips.empty())
      a[k] = svc.ingress_ips;
  return a;
}

assignments from_result(const controller::result& r) {
  assignments a;
  for (const auto& s : r.services)
    if (!s.ingress.empty()) a[{s.ns, s.name}] = s.ingress;
  return a;
}

std::set<model::name_key> changed_keys(const assignments& before, const assignments& after) {
  std::set<model::name_key> out;
  for (const auto& [k, v] : before)
    if (auto it = after.find(k); it == after.end() || it->second != v) out.insert(k);
  for (const auto& [k, v] : after)
    if (!before.contains(k)) out.insert(k);
  return out;
}

std::string service_name(const std::string& ns, const std::string& name) { return ns + "/" + name; }

// Frees replaced snapshots on a thread of its own: tearing down tens of thousands of
// objects would otherwise stall the core (and the UPDATE it is about to send).
class reaper {
 public:
  reaper() : thread_([this] { loop(); }) {}
  ~reaper() {
    {
      std::lock_guard l(m_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void drop(std::shared_ptr<const model::snapshot> s) {
    {
      std::lock_guard l(m_);
      queue_.push_back(std::move(s));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    std::unique_lock l(m_);
    while (true) {
      cv_.wait(l, [this] { return done_ || !queue_.empty(); });
      auto batch = std::move(queue_);
      queue_.clear();
      l.unlock();
      batch.clear();
      l.lock();
      if (done_ && queue_.empty()) return;
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<const model::snapshot>> queue_;
  bool done_ = false;
  std::thread thread_;
};

class daemon {
 public:
  explicit daemon(const daemon_options& o)
      : o_(o),
        state_(o.state_dir ? std::make_unique<store::file::state_dir>(*o.state_dir) : nullptr),
        planner_(o.node),
        agent_(io_, agent_opts(o)),
        latency_({0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}) {}

  int run();

 private:
  static agent_options agent_opts(const daemon_options& o) {
    agent_options a;
    a.router_id = o.router_id ? o.router_id : first_interface_ipv4();
    a.shutdown_drain = o.shutdown_drain;
    a.keep_received = o.keep_received;
    a.max_received = o.max_received;
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) a.hostname = host;
    return a;
  }

  void on_update(store::update u, clock::time_point seen);
  void on_ledger(model::ledger l, clock::time_point seen);
  // ips_ is already current; `moved`: the services whose addresses changed with it.
  void replan(std::shared_ptr<const model::snapshot> s, const model::change_set& changes,
              const std::set<model::name_key>& moved, clock::time_point seen, bool full);
  // Makes `next` the services' addresses; returns the services whose addresses changed.
  std::set<model::name_key> take_addresses(assignments next);
  std::set<model::name_key> take_allocation(const controller::reconciler::outcome& out);
  void on_session_event(const std::string& peer, const bgp::speaker_event& e);
  detail::http_response http(const std::string& path);
  std::string metrics_text();
  std::string services_json();
  void reader_loop(store::backend& b);
  void ledger_loop(std::unique_ptr<store::file::watcher> watcher);
  void stop_readers();
  void maybe_start_api();
  void shutdown_sessions(asio::signal_set& signals);

  daemon_options o_;
  asio::io_context io_;
  std::unique_ptr<store::file::state_dir> state_;
  std::unique_ptr<controller::reconciler> reconciler_;
  planner planner_;
  agent agent_;
  std::unique_ptr<detail::http_server> http_;
  std::unique_ptr<api::gobgp_server> api_;
  std::size_t api_speakers_ = 0;
  std::thread api_stopper_;

  // Core state.
  reaper reaper_;
  std::shared_ptr<const model::snapshot> snapshot_;
  std::vector<model::error> config_errors_;
  std::vector<model::error> config_warnings_;
  std::vector<model::error> peer_errors_;
  assignments ips_;
  // The pools' status from the controller's last write (not the whole result: the
  // allocator already holds the rest, and a copy here would double its memory).
  std::optional<std::vector<model::pool_status>> pools_;
  bool ready_ = false;
  bool stopping_ = false;
  std::uint64_t updates_ = 0;
  std::map<std::string, clock::time_point> pending_;  // peer -> oldest change not yet on the wire
  detail::histogram latency_;

  // Readers.
  std::atomic<bool> stop_{false};
  std::atomic<bool> reload_{false};
  std::vector<std::thread> threads_;
};

void daemon::reader_loop(store::backend& b) {
  while (!stop_) {
    std::optional<store::update> u;
    if (reload_.exchange(false)) u = b.list();
    else u = b.wait(std::chrono::milliseconds(200));
    if (!u) continue;
    const auto seen = clock::now();
    log::debug(log::ev::datastore_update, "changes",
               std::to_string(u->changes.added.size() + u->changes.modified.size() + u->changes.removed.size()),
               "objects", std::to_string(u->snapshot->size()));
    asio::post(io_, [this, u = std::move(*u), seen]() mutable { on_update(std::move(u), seen); });
  }
}

void daemon::ledger_loop(std::unique_ptr<store::file::watcher> watcher) {
  while (!stop_) {
    if (!watcher->wait(std::chrono::milliseconds(200))) continue;
    const auto seen = clock::now();
    auto read = state_->read_ledger();
    if (!read.ledger) {
      for (const auto& e : read.errors) log::warn(log::ev::state_error, "error", e.to_string());
      continue;
    }
    asio::post(io_, [this, l = std::move(*read.ledger), seen]() mutable { on_ledger(std::move(l), seen); });
  }
}

void daemon::stop_readers() {
  stop_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void daemon::on_update(store::update u, clock::time_point seen) {
  if (stopping_) return;
  const auto start = clock::now();
  ++updates_;
  if (u.errors != config_errors_)
    for (const auto& e : u.errors) log::warn(log::ev::config_error, "error", e.to_string());
  config_errors_ = u.errors;
  // What MetalLB accepts but is most likely a mistake (an advertisement naming a pool or
  // peer that does not exist): logged when it changes, never refused.
  if (auto w = model::warnings(*u.snapshot); w != config_warnings_) {
    for (const auto& e : w) log::warn(log::ev::config_warning, "warning", e.to_string());
    config_warnings_ = std::move(w);
  }
  std::set<model::name_key> moved;  // services whose addresses changed
  if (reconciler_) {
    auto out = reconciler_->reconcile(u, unix_now());
    for (const auto& e : out.errors) log::error(log::ev::state_error, "error", e.to_string());
    // Only what is persisted is announced: a restart must not renumber a route.
    if (out.wrote) {
      moved = take_allocation(out);
      pools_ = std::move(out.allocation.pools);
    }
  } else if (!state_) {
    moved = take_addresses(from_status(*u.snapshot, o_.load_balancer_class));
  }  // else the ledger reader keeps the addresses current
  const auto allocated = clock::now();
  replan(u.snapshot, u.changes, moved, seen, !ready_);
  ready_ = true;
  const auto ms = [](clock::duration d) { return std::to_string(std::chrono::duration<double, std::milli>(d).count()); };
  log::debug(log::ev::update_applied, "queued_ms", ms(start - seen), "allocate_ms", ms(allocated - start), "plan_ms",
             ms(clock::now() - allocated));
}

std::set<model::name_key> daemon::take_addresses(assignments next) {
  auto moved = changed_keys(ips_, next);
  ips_ = std::move(next);
  return moved;
}

// The controller's write: only the services it says changed are looked at (all of them on
// its first write), each one's events logged once, when its status changes.
std::set<model::name_key> daemon::take_allocation(const controller::reconciler::outcome& out) {
  const auto log_events = [](const model::service_status& s) {
    for (const auto& ev : s.events)
      log::info(log::ev::allocation, "service", service_name(s.ns, s.name), "type", ev.type, "reason", ev.reason,
                "message", ev.message);
  };
  if (out.all) {
    for (const auto& s : out.allocation.services) log_events(s);
    return take_addresses(from_result(out.allocation));
  }
  struct by_name {
    bool operator()(const model::service_status& s, const model::name_key& k) const {
      return std::tie(s.ns, s.name) < std::tie(k.ns, k.name);
    }
    bool operator()(const model::name_key& k, const model::service_status& s) const {
      return std::tie(k.ns, k.name) < std::tie(s.ns, s.name);
    }
  };
  std::map<model::name_key, const model::service_status*> status;  // of the changed ones still there
  for (const auto& s : out.allocation.services)
    if (std::binary_search(out.changed.begin(), out.changed.end(), s, by_name{})) status.emplace(model::name_key{s.ns, s.name}, &s);
  std::set<model::name_key> moved;
  for (const auto& k : out.changed) {
    auto st = status.find(k);
    if (st != status.end()) log_events(*st->second);
    auto it = ips_.find(k);
    if (st != status.end() && !st->second->ingress.empty()) {
      if (it != ips_.end() && it->second == st->second->ingress) continue;
      ips_[k] = st->second->ingress;
    } else if (it != ips_.end()) {
      ips_.erase(it);
    } else {
      continue;
    }
    moved.insert(k);
  }
  return moved;
}

void daemon::on_ledger(model::ledger l, clock::time_point seen) {
  if (stopping_ || !snapshot_) {
    ips_ = from_ledger(l);
    return;
  }
  const auto moved = take_addresses(from_ledger(l));
  replan(snapshot_, {}, moved, seen, false);
}

void daemon::replan(std::shared_ptr<const model::snapshot> s, const model::change_set& changes,
                    const std::set<model::name_key>& moved, clock::time_point seen, bool full) {
  // Hold the replaced snapshot until the reconciler and the planner have let go of it,
  // then let the reaper free it.
  auto replaced = std::exchange(snapshot_, s);
  if (!o_.speaker) {
    if (replaced && replaced != s) reaper_.drop(std::move(replaced));
    return;
  }
  auto d = full ? planner_.update_all(s, ips_) : planner_.update(s, changes, ips_, moved);
  if (replaced && replaced != s) reaper_.drop(std::move(replaced));
  if (d.full) {
    auto p = planner_.current();
    if (p.errors != peer_errors_)
      for (const auto& e : p.errors) log::warn(log::ev::peer_config_error, "error", e.to_string());
    peer_errors_ = std::move(p.errors);
  }
  if (d.peers_changed) {
    agent_.set_peers(planner_.peers());
    maybe_start_api();
    for (const auto& p : planner_.peers())
      log::info(log::ev::peer_configured, "peer", p.name, "address", p.address.to_string(), "peer_asn",
                std::to_string(p.peer_asn), "my_asn", std::to_string(p.my_asn));
  }
  for (const auto& c : d.routes) pending_.try_emplace(c.peer, seen);
  agent_.apply(d.routes);
  for (const auto& c : d.routes)
    log::debug(c.route ? log::ev::route_announce : log::ev::route_withdraw, "peer", c.peer, "prefix", c.prefix.to_string());
  for (const auto& w : d.newly_withheld)
    log::info(log::ev::service_withheld, "service", service_name(w.ns, w.name), "ip", w.ip.to_string(), "reason", w.reason);
}

void daemon::on_session_event(const std::string& peer, const bgp::speaker_event& e) {
  using k = bgp::speaker_event::kind;
  switch (e.what) {
    case k::peer_state:
      log::info(log::ev::peer_state, "peer", peer, "address", e.peer.to_string(), "state", std::string(bgp::to_string(e.state)));
      break;
    case k::peer_down:
      pending_.erase(peer);
      log::warn(log::ev::peer_down, "peer", peer, "address", e.peer.to_string(), "reason", e.reason);
      break;
    case k::routes_sent:
      if (auto it = pending_.find(peer); it != pending_.end()) {
        latency_.observe(std::chrono::duration<double>(clock::now() - it->second).count());
        pending_.erase(it);
      }
      break;
    case k::routes_received: break;
  }
}

// The API serves the sessions' bgp::speakers (one per local ASN / router ID), so it starts
// once the first exists. One added later is not shown until a restart (logged).
void daemon::maybe_start_api() {
  if (o_.api_listen.empty() || stopping_) return;
  const auto speakers = agent_.speakers();
  if (api_) {
    if (speakers.size() != api_speakers_)
      log::warn(log::ev::api_stale, "reason", "a BGPPeer with a new local ASN or router ID appeared; restart to show it in the API");
    api_speakers_ = speakers.size();
    return;
  }
  if (speakers.empty()) return;
  api::server_config c;
  c.listen = o_.api_listen;
  c.allow_remote = o_.api_allow_remote;
  c.allow_writes = o_.api_allow_writes;
  c.tls_certificate_file = o_.api_tls_certificate;
  c.tls_private_key_file = o_.api_tls_key;
  std::vector<api::speaker_ref> refs;
  for (auto* s : speakers) refs.push_back({io_, *s});
  auto server = std::make_unique<api::gobgp_server>(c, std::move(refs));
  try {
    server->start();
  } catch (const std::exception& e) {
    log::error(log::ev::api_failed, "listen", o_.api_listen, "error", e.what());
    return;
  }
  api_ = std::move(server);
  api_speakers_ = speakers.size();
  log::info(log::ev::api_started, "listen", o_.api_listen, "writes", o_.api_allow_writes ? "enabled" : "disabled",
            "tls", o_.api_tls_certificate.empty() ? "no" : "yes");
}

// RFC 8326 on every session, then stop. The API goes first, from a thread of its own:
// its stop() waits for calls that are waiting for this (the core) thread.
void daemon::shutdown_sessions(asio::signal_set& signals) {
  auto sessions = [this, &signals] {
    agent_.shutdown("bgplb on node " + o_.node + " is stopping", [this, &signals] {
      if (http_) http_->close();
      signals.cancel();
      io_.stop();
    });
  };
  if (!api_) {
    sessions();
    return;
  }
  api_stopper_ = std::thread([this, sessions] {
    api_->stop();
    asio::post(io_, sessions);
  });
}

std::string daemon::metrics_text() {
  detail::exposition x;
  x.family("metallb_k8s_client_updates_total", "counter", "Datastore updates processed.");
  x.sample("metallb_k8s_client_updates_total", {}, static_cast<double>(updates_));
  x.family("metallb_k8s_client_config_loaded_bool", "gauge", "1 when the configuration has been loaded.");
  x.sample("metallb_k8s_client_config_loaded_bool", {}, ready_ ? 1 : 0);
  x.family("metallb_k8s_client_config_stale_bool", "gauge",
           "1 when some manifests are refused and their last good version is in force.");
  x.sample("metallb_k8s_client_config_stale_bool", {}, config_errors_.empty() ? 0 : 1);
  if (pools_) {
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
  if (o_.speaker) {
    x.family("metallb_bgp_session_up", "gauge", "BGP session state (1 established, 0 otherwise).");
    x.family("metallb_bgp_updates_total", "counter", "BGP UPDATE messages sent.");
    x.family("metallb_bgp_announced_prefixes_total", "gauge", "Prefixes currently announced on the session.");
    x.family("metallb_bgp_pending_prefixes_total", "gauge", "Prefixes the plan gives the peer that are not yet sent.");
    for (const auto& s : agent_.sessions()) {
      const detail::labels l{{"peer", s.status.address.to_string()}};
      const bool up = s.status.state == bgp::peer_state::established;
      x.sample("metallb_bgp_session_up", l, up ? 1 : 0);
      x.sample("metallb_bgp_updates_total", l, static_cast<double>(s.status.counters.updates_sent));
      x.sample("metallb_bgp_announced_prefixes_total", l, static_cast<double>(s.status.sent_prefixes));
      const auto sent = static_cast<double>(s.status.sent_prefixes);
      const auto want = static_cast<double>(s.desired_prefixes);
      x.sample("metallb_bgp_pending_prefixes_total", l, up ? std::max(0.0, want - sent) : want);
    }
    x.family("metallb_speaker_announced", "gauge", "Service addresses this node announces.");
    const auto p = planner_.current();
    for (const auto& a : p.announced)
      x.sample("metallb_speaker_announced",
               {{"protocol", "bgp"}, {"service", service_name(a.ns, a.name)}, {"node", o_.node}, {"ip", a.ip.to_string()}}, 1);
    x.family("bgplb_speaker_withheld", "gauge", "Service addresses this node does not announce, with the reason.");
    for (const auto& w : p.withheld)
      x.sample("bgplb_speaker_withheld",
               {{"service", service_name(w.ns, w.name)}, {"node", o_.node}, {"ip", w.ip.to_string()}, {"reason", w.reason}}, 1);
    latency_.render(x, "bgplb_change_to_wire_seconds",
                    "Seconds from a datastore change reaching the speaker to the resulting UPDATEs leaving the socket.");
  }
  return x.text();
}

// What `bgplbctl services` shows: each service address this node knows of, its pool,
// and the BGPPeers it is announced to from here, or why not.
std::string daemon::services_json() {
  namespace json = boost::json;
  const auto p = planner_.current();
  std::map<model::name_key, json::object> services;
  auto entry = [&](const std::string& ns, const std::string& name) -> json::object& {
    auto [it, fresh] = services.try_emplace({ns, name});
    if (fresh) {
      it->second["namespace"] = ns;
      it->second["name"] = name;
      it->second["addresses"] = json::array();
    }
    return it->second;
  };
  auto pool_of = [&](const model::ip_address& ip) -> std::string {
    if (snapshot_)
      for (const auto& [k, pool] : snapshot_->all<model::ip_address_pool>())
        for (const auto& r : pool.ranges)
          if (r.contains(ip)) return pool.meta.name;
    return "";
  };
  for (const auto& a : p.announced) {
    json::array peers(a.peers.begin(), a.peers.end());
    entry(a.ns, a.name)["addresses"].as_array().push_back(
        json::object{{"ip", a.ip.to_string()}, {"pool", pool_of(a.ip)}, {"announced_to", std::move(peers)}, {"reason", ""}});
  }
  for (const auto& w : p.withheld)
    entry(w.ns, w.name)["addresses"].as_array().push_back(
        json::object{{"ip", w.ip.to_string()}, {"pool", pool_of(w.ip)}, {"announced_to", json::array()}, {"reason", w.reason}});
  json::array list;
  for (auto& [k, o] : services) list.push_back(std::move(o));
  return json::serialize(json::object{{"node", o_.node}, {"services", std::move(list)}}) + "\n";
}

detail::http_response daemon::http(const std::string& path) {
  if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_text()};
  if (path == "/v1/services") {
    if (!o_.speaker) return {404, "text/plain; charset=utf-8", "this process runs no speaker\n"};
    return {200, "application/json", services_json()};
  }
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/readyz") {
    if (stopping_) return {503, "text/plain; charset=utf-8", "shutting down\n"};
    if (!ready_) return {503, "text/plain; charset=utf-8", "datastore not loaded yet\n"};
    return {200, "text/plain; charset=utf-8", "ok\n"};
  }
  return {404, "text/plain; charset=utf-8", "not found; try /metrics, /healthz, /readyz\n"};
}

int daemon::run() {
  std::unique_ptr<store::file::watcher> ledger_watch;
  if (o_.controller) {
    reconciler_ = std::make_unique<controller::reconciler>(*state_, [&] {
      controller::options c;
      c.hold_down = o_.hold_down;
      c.load_balancer_class = o_.load_balancer_class;
      return c;
    }());
    if (auto errors = reconciler_->load(); !errors.empty()) {
      for (const auto& e : errors) log::error(log::ev::refused_to_start, "error", e.to_string());
      return 1;
    }
  } else if (state_) {
    // Watch first, then read: a ledger written in between is seen either way.
    ledger_watch = store::file::make_inotify_watcher(*o_.state_dir);
    if (auto read = state_->read_ledger(); read.ledger) ips_ = from_ledger(*read.ledger);
    else
      for (const auto& e : read.errors) log::warn(log::ev::state_error, "error", e.to_string());
  }
  if (!o_.metrics_address.empty()) {
    const auto at = detail::parse_endpoint(o_.metrics_address);
    if (!at) {
      log::error(log::ev::refused_to_start, "error", "--metrics-address " + o_.metrics_address + ": want HOST:PORT");
      return 2;
    }
    try {
      http_ = std::make_unique<detail::http_server>(io_, *at, [this](const std::string& p) { return http(p); });
    } catch (const boost::system::system_error& e) {
      log::error(log::ev::refused_to_start, "error", "--metrics-address " + o_.metrics_address + ": " + e.what());
      return 2;
    }
  }
  agent_.subscribe([this](const std::string& peer, const bgp::speaker_event& e) { on_session_event(peer, e); });

  store::file::options fo;
  fo.quiet = o_.coalesce;
  fo.max_delay = std::max(o_.coalesce * 20, std::chrono::milliseconds(100));
  store::file::backend backend(o_.manifests, store::file::make_posix_filesystem(),
                               store::file::make_inotify_watcher(o_.manifests), fo);
  // The first full read (decode and validate every manifest) is the bulk of a cold start.
  const auto listing = clock::now();
  auto first = backend.list();
  const auto listed = clock::now();
  log::debug(log::ev::datastore_update, "objects", std::to_string(first.snapshot->size()), "read_ms",
             std::to_string(std::chrono::duration<double, std::milli>(listed - listing).count()));
  store::update again{first.snapshot, {}, first.errors};
  on_update(std::move(first), listed);
  // The controller's second pass clears the one-shot IPAllocated events of the first and
  // rewrites every status: do it now, not in the path of the first real change.
  if (reconciler_) asio::post(io_, [this, again = std::move(again)]() mutable { on_update(std::move(again), clock::now()); });
  log::info(log::ev::started, "node", o_.node, "manifests", o_.manifests, "controller", o_.controller ? "yes" : "no",
            "speaker", o_.speaker ? "yes" : "no", "metrics", o_.metrics_address);

  threads_.emplace_back([this, &backend] { reader_loop(backend); });
  if (ledger_watch) threads_.emplace_back([this, w = std::move(ledger_watch)]() mutable { ledger_loop(std::move(w)); });

  // The controller's hold-downs expire with time, not with events.
  asio::steady_timer tick(io_);
  std::function<void()> arm = [&] {
    tick.expires_after(std::chrono::seconds(60));
    tick.async_wait([&](boost::system::error_code ec) {
      if (ec || stopping_) return;
      if (reconciler_ && snapshot_) reload_ = true;
      arm();
    });
  };
  arm();

  asio::signal_set signals(io_, SIGTERM, SIGINT, SIGHUP);
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](boost::system::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        log::info(log::ev::reload, "reason", "SIGHUP");
        reload_ = true;
        wait_signal();
        return;
      }
      log::info(log::ev::stopping, "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      stopping_ = true;
      tick.cancel();
      stop_readers();
      shutdown_sessions(signals);
    });
  };
  wait_signal();
  io_.run();
  if (api_stopper_.joinable()) api_stopper_.join();
  stop_readers();
  log::info(log::ev::stopped, "node", o_.node);
  return 0;
}

}  // namespace

int run_daemon(const daemon_options& o) {
  log::setup(o.log_level);
  if (o.controller && !o.state_dir) {
    log::error(log::ev::refused_to_start, "error", "the controller needs --state DIR");
    return 2;
  }
  daemon d(o);
  return d.run();
}

}  // namespace speaker
