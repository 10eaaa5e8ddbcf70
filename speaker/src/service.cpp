// The node's service (see speaker/service.hpp): datastore changes -> planner -> agent.
#include "speaker/service.hpp"

#include <bfd/json.hpp>
#include <bfd/metrics.hpp>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <iterator>
#include <set>

#include "dataplane_program.hpp"
#include "dataplane_worker.hpp"
#include "log_events.hpp"

namespace speaker {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

std::string service_name(const std::string& ns, const std::string& name) { return ns + "/" + name; }

// On a gRPC thread: one line per control or write call (spdlog's logger is thread-safe).
void log_api_call(const api::audit_record& r) {
  static constexpr const char* codes[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                          "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                          "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                                          "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  const bool known = r.status_code >= 0 && r.status_code < static_cast<int>(std::size(codes));
  const std::string result = known ? codes[r.status_code] : std::to_string(r.status_code);
  const auto line = [&](auto level) {
    level(log::ev::api_call, "rpc", r.rpc, "transport", r.transport, "caller", r.caller, "request", r.request, "result",
          result, "allowed", r.allowed ? "yes" : "no", "message", r.status_message);
  };
  if (r.allowed) line([](auto&&... a) { log::info(a...); });
  else line([](auto&&... a) { log::warn(a...); });
}

}  // namespace

service::service(asio::io_context& io, service_options o, dataplane_kernel k)
    : io_(io),
      o_(std::move(o)),
      planner_(o_.node),
      agent_(io_, o_.agent, planner_.routes()),
      dataplane_(o_.dataplane, o_.node, std::move(k)),
      dataplane_worker_(std::make_unique<dataplane_worker>(dataplane_)),
      latency_({0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}) {
  if (!o_.api.audit) o_.api.audit = log_api_call;
}

service::~service() {
  if (api_stopper_.joinable()) api_stopper_.join();
  if (dataplane_loader_.joinable()) dataplane_loader_.join();
  dataplane_worker_->stop();
}

std::optional<std::string> service::start() {
  agent_.subscribe([this](const std::string& peer, const bgp::speaker_event& e) { on_session_event(peer, e); });
  agent_.subscribe_bfd([this](const bfd_event& e) { on_bfd_event(e); });
  // The API starts once a peer gives it a speaker; a control socket it could not make
  // (another process serves it, an unsafe directory) refuses the process now.
  if (!o_.api.listen.empty() && !o_.api.control_socket.empty())
    if (auto problem = api::control_socket_problem(o_.api.control_socket))
      return *problem + " (--api-socket PATH chooses another, '' none)";
  log::info(log::ev::speaker_started, "node", o_.node, "api", o_.api.listen, "api_socket", o_.api.control_socket);
  // The verifier takes about a second: BGP starts meanwhile, the dataplane follows.
  dataplane_.begin_load();
  if (o_.dataplane.mode != dataplane_mode::off)
    dataplane_loader_ = std::thread([this] {
      // The verifier runs on this thread: on two cores it must not hold back the
      // datastore's first load, which everything waits for (docs/coldstart.md).
      run_as_dataplane_background("bgplb-dp-load");
      auto loaded = dataplane_.load();
      asio::post(io_, [this, loaded] {
        dataplane_active_ = dataplane_worker_->locked([&](dataplane_driver& d) {
          d.finish_load(loaded);
          return d.active();
        });
        dataplane_full_ = true;
        schedule_dataplane();
      });
    });
  return std::nullopt;
}

void service::on_change(const store::change& c) {
  if (stopping_) return;
  if (c.assignments) assigned_ = c.assignments;
  if (!assigned_) assigned_ = std::make_shared<const model::assignments>();
  const bool full = c.full || !planned_;
  auto replaced = std::exchange(snapshot_, c.objects.snapshot);
  auto d = full ? planner_.update_all(snapshot_, *assigned_)
                : planner_.update(snapshot_, c.objects.changes, *assigned_, c.moved);
  planned_ = true;
  if (d.full && planner_.errors() != peer_errors_) {
    for (const auto& e : planner_.errors()) log::warn(log::ev::peer_config_error, "error", e.to_string());
    peer_errors_ = planner_.errors();
  }
  if (d.peers_changed) {
    agent_.set_peers(planner_.peers());
    maybe_start_api();
    for (const auto& p : planner_.peers())
      log::info(log::ev::peer_configured, "peer", p.name, "address", p.address.to_string(), "peer_asn",
                std::to_string(p.peer_asn), "my_asn", std::to_string(p.my_asn));
  }
  for (const auto& r : d.routes) pending_.try_emplace(r.peer, c.seen);
  agent_.apply(d.routes);
  for (const auto& r : d.routes)
    log::debug(r.route ? log::ev::route_announce : log::ev::route_withdraw, "peer", r.peer, "prefix", r.prefix.to_string());
  for (const auto& w : d.newly_withheld)
    log::info(log::ev::service_withheld, "service", service_name(w.ns, w.name), "ip", w.ip.to_string(), "reason", w.reason);
  post_node_assigned(d.started_announcing);
  if (!dataplane_active_) return;  // once loaded, it programs everything
  if (full || !replaced) {
    dataplane_full_ = true;
  } else if (!dataplane_full_) {
    // sorted names, merged: after a cold start they are every Service (docs/memory.md)
    auto t = services_touched(*replaced, *snapshot_, c.objects.changes, c.moved);
    merge_names(dataplane_touched_, std::move(t));
  }
  schedule_dataplane();
}

void service::schedule_dataplane() {
  if (!std::exchange(dataplane_posted_, true)) asio::post(io_, [this] { program_dataplane(); });
}

void service::program_dataplane() {
  dataplane_posted_ = false;
  if (stopping_ || !snapshot_ || !dataplane_active_) return;
  dataplane_worker::request r{snapshot_, assigned_, {}, std::nullopt};
  if (!dataplane_full_) r.touched = std::move(dataplane_touched_);
  dataplane_touched_.clear();
  dataplane_full_ = false;
  for (const auto& p : planner_.peers()) r.peers.push_back(p.address);
  dataplane_worker_->submit(std::move(r));
}

// MetalLB's speaker event (speaker/main.go handleService): "nodeAssigned" on a service
// when this node starts announcing it; nothing when it stops.
void service::post_node_assigned(const std::vector<model::name_key>& started) {
  if (!on_event_) return;
  for (const auto& k : started)
    on_event_(k, {"Normal", "nodeAssigned", "announcing from node \"" + o_.node + "\" with protocol \"bgp\""});
}

void service::on_session_event(const std::string& peer, const bgp::speaker_event& e) {
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

void service::on_bfd_event(const bfd_event& e) {
  if (!e.change) {
    log::warn(log::ev::bfd_error, "peer", e.peer, "error", e.error);
    return;
  }
  const auto& c = *e.change;
  const std::string bgp = e.bgp_down ? "down until BFD is up" : e.bgp_released ? "released" : "unchanged";
  const auto line = [&](auto level) {
    level(log::ev::bfd_state, "peer", e.peer, "address", c.key.peer.to_string(), "from", std::string(bfd::to_string(c.from)),
          "to", std::string(bfd::to_string(c.to)), "diag", std::string(bfd::to_string(c.diag)), "remote_state",
          std::string(bfd::to_string(c.remote_state)), "remote_diag", std::string(bfd::to_string(c.remote_diag)), "bgp", bgp);
  };
  if (c.from == bfd::state::up) line([](auto&&... a) { log::warn(a...); });
  else line([](auto&&... a) { log::info(a...); });
}

// The API serves the sessions' bgp::speakers (one per local ASN / router ID), so it starts
// once the first exists. One added later is not shown until a restart (logged).
void service::maybe_start_api() {
  if (o_.api.listen.empty() || stopping_) return;
  const auto speakers = agent_.speakers();
  if (api_) {
    if (speakers.size() != api_speakers_)
      log::warn(log::ev::api_stale, "reason", "a BGPPeer with a new local ASN or router ID appeared; restart to show it in the API");
    api_speakers_ = speakers.size();
    return;
  }
  if (speakers.empty()) return;
  std::vector<api::speaker_ref> refs;
  for (auto* s : speakers) refs.push_back({io_, *s});
  auto server = std::make_unique<api::gobgp_server>(o_.api, std::move(refs));
  try {
    server->start();
  } catch (const std::exception& e) {
    log::error(log::ev::api_failed, "listen", o_.api.listen, "error", e.what());
    return;
  }
  api_ = std::move(server);
  api_speakers_ = speakers.size();
  log::info(log::ev::api_started, "listen", o_.api.listen, "socket", o_.api.control_socket, "writes",
            o_.api.allow_writes ? "enabled" : "disabled", "tls", o_.api.tls_certificate_file.empty() ? "no" : "yes");
}

// RFC 8326 on every session, then done. The API goes first, from a thread of its own: its
// stop() waits for calls that are waiting for this (the core) thread.
void service::stop(std::function<void()> done) {
  stopping_ = true;
  dataplane_worker_->stop();
  stop_done_ = std::move(done);
  auto sessions = [this] {
    agent_.shutdown("bgplb on node " + o_.node + " is stopping", [this] {
      if (stop_done_) std::exchange(stop_done_, nullptr)();
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

void service::stop_now() { agent_.skip_drain(); }

void service::metrics(runtime::exposition& x) const {
  x.family("metallb_bgp_session_up", "gauge", "BGP session state (1 established, 0 otherwise).");
  x.family("metallb_bgp_updates_total", "counter", "BGP UPDATE messages sent.");
  x.family("metallb_bgp_announced_prefixes_total", "gauge", "Prefixes currently announced on the session.");
  x.family("metallb_bgp_pending_prefixes_total", "gauge", "Prefixes the plan gives the peer that are not yet sent.");
  for (const auto& s : agent_.sessions()) {
    const runtime::labels l{{"peer", s.status.address.to_string()}};
    const bool up = s.status.state == bgp::peer_state::established;
    x.sample("metallb_bgp_session_up", l, up ? 1 : 0);
    x.sample("metallb_bgp_updates_total", l, static_cast<double>(s.status.counters.updates_sent));
    x.sample("metallb_bgp_announced_prefixes_total", l, static_cast<double>(s.status.sent_prefixes));
    const auto sent = static_cast<double>(s.status.sent_prefixes);
    const auto want = static_cast<double>(s.desired_prefixes);
    x.sample("metallb_bgp_pending_prefixes_total", l, up ? std::max(0.0, want - sent) : want);
  }
  // MetalLB's BFD metrics, label peer = the peer's address, as MetalLB's FRR mode has them.
  const auto bfd_sessions = agent_.bfd().sessions();
  for (const auto& m : bfd::metrics) {
    x.family(std::string(m.name), std::string(m.type), std::string(m.help));
    for (const auto& s : bfd_sessions) x.sample(std::string(m.name), {{"peer", s.config.key.peer.to_string()}}, m.value(s));
  }
  latency_.render(x, "bgplb_change_to_wire_seconds",
                  "Seconds from a datastore change reaching the speaker to the resulting UPDATEs leaving the socket.");
}

struct service::metrics_walk {
  std::shared_ptr<runtime::exposition> x;
  std::function<void()> done;
  bool withheld = false;                  // announced first, then withheld
  std::optional<model::name_key> after;  // the last service rendered
};

void service::long_metrics(std::shared_ptr<runtime::exposition> x, std::function<void()> done) const {
  x->family("metallb_speaker_announced", "gauge", "Service addresses this node announces.");
  x->family("bgplb_speaker_withheld", "gauge", "Service addresses this node does not announce, with the reason.");
  walk_metrics(std::make_shared<metrics_walk>(metrics_walk{std::move(x), std::move(done), false, std::nullopt}));
}

// One part: services in name order for about runtime::metrics_slice, then the core's other
// work (a change posted meanwhile goes first), then the next part. A service changed
// between parts is listed as it is at its own part.
void service::walk_metrics(std::shared_ptr<metrics_walk> w) const {
  const auto until = std::chrono::steady_clock::now() + runtime::metrics_slice;
  const auto go_on = [until] { return std::chrono::steady_clock::now() < until; };
  auto& x = *w->x;
  std::string svc, ip;  // the name and address, formatted into reused buffers
  const auto names = [&](const model::name_key& k, const model::ip_address& a) {
    svc.assign(k.ns).append("/").append(k.name);
    ip = a.to_string();
  };
  if (!w->withheld) {
    w->after = planner_.visit_announced(
        w->after,
        [&](const model::name_key& k, const model::ip_address& a) {
          names(k, a);
          x.sample("metallb_speaker_announced", {{"protocol", "bgp"}, {"service", svc}, {"node", o_.node}, {"ip", ip}}, 1);
        },
        go_on);
    if (!w->after) w->withheld = true;
  }
  if (w->withheld) {
    w->after = planner_.visit_withheld(
        w->after,
        [&](const model::name_key& k, const model::ip_address& a, const std::string& reason) {
          names(k, a);
          x.sample("bgplb_speaker_withheld", {{"service", svc}, {"node", o_.node}, {"ip", ip}, {"reason", reason}}, 1);
        },
        go_on);
    if (!w->after) {
      // The dataplane's families, rendered on its thread; merged here on the core.
      dataplane_worker_->render_metrics([this, w](runtime::exposition d) {
        asio::post(io_, [w, d = std::move(d)]() mutable {
          w->x->merge(std::move(d));
          w->done();
        });
      });
      return;
    }
  }
  asio::post(io_, [this, w] { walk_metrics(w); });
}

// What `bgplbctl services` shows: each service address this node knows of, its pool,
// and the BGPPeers it is announced to from here, or why not.
std::string service::services_json() const {
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

// What `bgplbctl bfd` shows: {"node", "sessions": [bfd::to_json + "bgp_peer" (the BGPPeer's
// name), "bfd_profile", "bgp_held_down"], "stats": the manager's figures}.
std::string service::bfd_json() const {
  namespace json = boost::json;
  const auto now = clock::now();
  json::array sessions;
  for (const auto& s : agent_.bfd().sessions()) {
    auto o = bfd::to_json(s, now);
    const auto peer = agent_.bfd_peer(s.config.key);
    o["bgp_peer"] = peer;
    std::string profile;
    for (const auto& p : planner_.peers())
      if (p.name == peer && p.bfd) profile = p.bfd->profile;
    o["bfd_profile"] = profile;
    o["bgp_held_down"] = agent_.bfd_holds_down(peer);
    sessions.push_back(std::move(o));
  }
  return json::serialize(json::object{{"node", o_.node}, {"sessions", std::move(sessions)},
                                      {"stats", bfd::to_json(agent_.bfd().stats())}}) +
         "\n";
}

std::optional<runtime::http_response> service::http(std::string_view path) {
  if (path == "/v1/services") return runtime::http_response{200, "application/json", services_json()};
  if (path == "/v1/bfd") return runtime::http_response{200, "application/json", bfd_json()};
  // The views wait for no update: while one programs the maps (seconds at 100,000 Services),
  // they answer 503, and bgplbctl asks again.
  const auto view = [this](auto f) {
    if (auto body = dataplane_worker_->try_locked(f)) return runtime::http_response{200, "application/json", std::move(*body)};
    return runtime::http_response{503, "text/plain", "the dataplane is programming its maps; try again in a moment\n"};
  };
  if (path == "/v1/dataplane") return view([](const dataplane_driver& d) { return d.json(); });
  if (constexpr std::string_view ct = "/v1/dataplane/conntrack/"; path.starts_with(ct))
    return view([&](const dataplane_driver& d) { return d.conntrack_json(path.substr(ct.size())); });
  return std::nullopt;
}

std::optional<std::string> service::not_ready() const {
  if (!planned_) return "no plan yet";
  return dataplane_worker_->not_ready();
}

}  // namespace speaker
