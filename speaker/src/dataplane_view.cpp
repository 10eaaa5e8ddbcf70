// What the dataplane driver shows: Prometheus metrics, /v1/dataplane (services, backends,
// Maglev spread, counters) and /v1/dataplane/conntrack/<client> (bgplbctl dataplane).
#include <arpa/inet.h>

#include <boost/json.hpp>

#include <cstring>
#include <map>

#include "dataplane/stats.hpp"
#include "speaker/dataplane_driver.hpp"

namespace speaker {

namespace json = boost::json;

namespace {

std::string_view state_name(dataplane_driver::state s) {
  using st = dataplane_driver::state;
  switch (s) {
    case st::off: return "off";
    case st::unavailable: return "unavailable";
    case st::waiting: return "waiting";
    case st::running: return "running";
    case st::failed: return "failed";
  }
  return "?";
}

dataplane::address addr(const dataplane::abi::addr16& a) {
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), a.w, 16);
  return dataplane::address::v6(b);
}

std::string endpoint(const dataplane::abi::addr16& a, std::uint16_t port_be) {
  const auto x = addr(a);
  const auto host = x.is_v4() ? x.to_string() : "[" + x.to_string() + "]";
  return host + ":" + std::to_string(ntohs(port_be));
}

std::string proto_name(std::uint8_t p) { return p == IPPROTO_UDP ? "udp" : "tcp"; }

// Seconds a conntrack entry has been idle: its last_seen is in the program's ticks
// (abi.h: BGPLB_CT_TICK_SHIFT), an age the tick difference modulo 2^32 read as signed.
double idle_seconds(std::uint64_t now_ns, std::uint32_t last_seen) {
  const auto d = static_cast<std::int32_t>(static_cast<std::uint32_t>(now_ns >> BGPLB_CT_TICK_SHIFT) - last_seen);
  return d > 0 ? static_cast<double>(static_cast<std::uint64_t>(d) << BGPLB_CT_TICK_SHIFT) / 1e9 : 0.0;
}

std::string hook_name(const std::optional<dataplane::hook>& h) {
  if (!h) return "none";
  return *h == dataplane::hook::xdp ? "xdp" : "tc";
}

// slots of the service's Maglev row per backend id (one backend: all of them)
std::map<std::uint32_t, std::uint32_t> spread(const dataplane::map_ops& maps, const dataplane::abi::service_value& v) {
  std::map<std::uint32_t, std::uint32_t> n;
  if (v.count == 1) n[v.backend_id] = v.maglev_size;
  if (v.count < 2) return n;
  auto row = maps.row(v.row_offset, v.maglev_size);
  if (!row) return n;
  for (auto id : *row) ++n[id];
  return n;
}

}  // namespace

void dataplane_driver::metrics(runtime::exposition& x) const {
  summary_metrics(x);
  service_metrics(x);
}

void dataplane_driver::summary_metrics(runtime::exposition& x) const {
  x.family("bgplb_dataplane_up", "gauge", "1 when the eBPF dataplane is loaded and attached, with the mode asked for and the hook in use.");
  x.sample("bgplb_dataplane_up", {{"mode", std::string(to_string(o_.mode))}, {"hook", hook_name(hook_)}},
           state_ == state::running ? 1 : 0);
  x.family("bgplb_dataplane_state", "gauge", "The dataplane's state (off, unavailable, waiting, running, failed) with the reason.");
  x.sample("bgplb_dataplane_state", {{"state", std::string(state_name(state_))}, {"reason", reason_}}, 1);
  x.family("bgplb_dataplane_applies_total", "counter", "Snapshots programmed into the dataplane's maps.");
  x.sample("bgplb_dataplane_applies_total", {}, static_cast<double>(applies_));
  x.family("bgplb_dataplane_full_applies_total", "counter",
           "Snapshots that programmed every service (the first, a full resync, a node's address or the ClusterIP ranges changed, after a failure).");
  x.sample("bgplb_dataplane_full_applies_total", {}, static_cast<double>(full_applies_));
  x.family("bgplb_dataplane_apply_errors_total", "counter", "Snapshots whose programming failed.");
  x.sample("bgplb_dataplane_apply_errors_total", {}, static_cast<double>(apply_errors_));
  apply_seconds_.render(x, "bgplb_dataplane_apply_seconds",
                        "Seconds to compute a snapshot's dataplane program and write the difference into the maps.");
  x.family("bgplb_dataplane_skipped_services", "gauge", "Services the dataplane cannot express, with the reason.");
  for (const auto& [key, list] : skipped_by_)
    for (const auto& s : list)
      x.sample("bgplb_dataplane_skipped_services", {{"service", s.name}, {"reason", s.reason}}, 1);
  if (!host_) return;

  x.family("bgplb_dataplane_services", "gauge", "Services programmed into the dataplane.");
  x.sample("bgplb_dataplane_services", {}, static_cast<double>(reconciler_->programmed_count()));
  x.family("bgplb_dataplane_drops_total", "counter", "Packets for a service the dataplane dropped, by reason (docs/dataplane.md).");
  x.family("bgplb_dataplane_events_total", "counter", "Packets by what the dataplane did with them.");
  if (auto c = dataplane::read_counters(host_->maps()))
    for (const auto& k : *c)
      x.sample(k.drop ? "bgplb_dataplane_drops_total" : "bgplb_dataplane_events_total",
               {{k.drop ? "reason" : "event", std::string(k.name)}}, static_cast<double>(k.value));
}

void dataplane_driver::service_metrics(runtime::exposition& x) const {
  if (!host_) return;
  const std::pair<const char*, const char*> per_service[] = {
      {"bgplb_dataplane_service_packets_total", "Packets for the service's frontends the dataplane handled."},
      {"bgplb_dataplane_service_bytes_total", "Bytes of those packets."},
      {"bgplb_dataplane_service_new_flows_total", "Flows that took a backend (new conntrack entries)."},
      {"bgplb_dataplane_service_drops_total", "Packets for the service the dataplane dropped, any reason."}};
  for (const auto& [name, help] : per_service) x.family(name, "counter", help);
  auto c = dataplane::read_service_counters(host_->maps(), *reconciler_);
  if (!c) return;
  // family by family: each sample then finds its family in the exposition at once
  const auto each = [&](const char* name, auto field) {
    for (const auto& s : *c) x.sample(name, {{"service", s.name}}, static_cast<double>(s.stats.*field));
  };
  each(per_service[0].first, &dataplane::abi::service_stats::packets);
  each(per_service[1].first, &dataplane::abi::service_stats::bytes);
  each(per_service[2].first, &dataplane::abi::service_stats::new_flows);
  each(per_service[3].first, &dataplane::abi::service_stats::drops);
}

std::string dataplane_driver::json() const {
  json::object doc{{"node", node_},
                   {"mode", std::string(to_string(o_.mode))},
                   {"state", std::string(state_name(state_))},
                   {"reason", apply_error_.empty() ? reason_ : apply_error_},
                   {"hook", hook_name(hook_)},
                   {"pin_root", o_.pin_root},
                   {"interfaces", json::array(attached_.begin(), attached_.end())}};
  json::array skipped;
  for (const auto& [key, list] : skipped_by_)
    for (const auto& s : list) skipped.push_back(json::object{{"name", s.name}, {"reason", s.reason}});
  doc["skipped"] = std::move(skipped);
  json::array services;
  json::object drops, events;
  if (host_) {
    const auto& maps = host_->maps();
    // Room for dataplane services (service id 0 is never used) and backends, and what is used
    const auto room = maps.limits();
    doc["capacity"] = json::object{{"services", room.services ? room.services - 1 : 0},
                                   {"services_programmed", reconciler_->programmed_count()},
                                   {"backends", room.backends ? room.backends - 1 : 0},
                                   {"maglev_slots", room.maglev_slots}};
    for (const auto& p : reconciler_->programmed()) {
      json::object o{{"name", p.name}, {"id", p.id}};
      json::array fronts, backs;
      for (const auto& f : p.frontends) fronts.push_back(json::string(endpoint(f.addr, f.port) + "/" + proto_name(f.proto)));
      const auto slots = spread(maps, p.value);
      for (const auto& [id, b] : p.backends) {
        json::object bo{{"address", endpoint(b.addr, b.port)},
                        {"node", b.flags & dataplane::abi::BE_F_REMOTE ? addr(b.node).to_string() : std::string()},
                        {"slots", 0}};
        if (auto it = slots.find(id); it != slots.end()) bo["slots"] = it->second;
        backs.push_back(std::move(bo));
      }
      o["frontends"] = std::move(fronts);
      o["backends"] = std::move(backs);
      o["maglev_size"] = p.value.maglev_size;
      o["local"] = (p.value.flags & dataplane::abi::SVC_F_LOCAL) != 0;
      o["affinity_timeout"] = p.value.flags & dataplane::abi::SVC_F_AFFINITY ? p.value.affinity_timeout : 0;
      if (auto st = maps.service_stats(p.id))
        o["stats"] = json::object{
            {"packets", st->packets}, {"bytes", st->bytes}, {"new_flows", st->new_flows}, {"drops", st->drops}};
      services.push_back(std::move(o));
    }
    if (auto c = dataplane::read_counters(maps))
      for (const auto& k : *c) (k.drop ? drops : events)[k.name] = k.value;
  }
  doc["services"] = std::move(services);
  doc["drops"] = std::move(drops);
  doc["events"] = std::move(events);
  return json::serialize(doc) + "\n";
}

// Conntrack entries of one client: the flows it opened (forward: client -> frontend, the
// backend chosen) and the reply entries that point back at it (reverse).
std::string dataplane_driver::conntrack_json(std::string_view client) const {
  json::object doc{{"node", node_}, {"client", std::string(client)}};
  json::array entries;
  const auto want = dataplane::address::parse(client);
  if (!want) {
    doc["error"] = std::string(client) + " is not an IP address";
  } else if (!host_) {
    doc["error"] = "the dataplane is not loaded: " + reason_;
  } else if (auto ct = host_->maps().conntrack(); !ct) {
    doc["error"] = ct.err().message;
  } else {
    std::map<std::uint32_t, std::string> names;
    reconciler_->visit_programmed([&](const std::string& name, std::uint32_t id) { names[id] = name; });
    const std::uint64_t now = k_.now_ns ? k_.now_ns() : 0;
    for (const auto& [key, v] : *ct) {
      const bool fwd = key.dir == dataplane::abi::CT_FORWARD;
      if (addr(fwd ? key.src : key.dst) != *want) continue;
      json::object e{{"service", names.count(v.svc_id) ? names[v.svc_id] : std::string()},
                     {"protocol", proto_name(key.proto)},
                     {"direction", fwd ? "forward" : "reverse"},
                     {"idle_s", idle_seconds(now, v.last_seen)}};
      if (fwd) {
        e["client"] = endpoint(key.src, key.sport);
        e["frontend"] = endpoint(key.dst, key.dport);
        e["backend"] = endpoint(v.addr, v.port);
        e["node"] = v.flags & dataplane::abi::CT_F_REMOTE ? addr(v.node).to_string() : std::string();
      } else {
        e["client"] = endpoint(key.dst, key.dport);
        e["frontend"] = endpoint(v.addr, v.port);
        e["backend"] = endpoint(key.src, key.sport);
        e["node"] = "";
      }
      entries.push_back(std::move(e));
    }
  }
  doc["entries"] = std::move(entries);
  return json::serialize(doc) + "\n";
}

}  // namespace speaker
