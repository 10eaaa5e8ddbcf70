// dataplane_driver (and dataplane_worker, which runs it for the node's service) against a fake
// kernel: which hook it attaches where, what it does when BPF is impossible, what it programs and reports.
#include "speaker/dataplane_driver.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/json.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "dataplane/fake_map_ops.hpp"
#include "dataplane_program.hpp"
#include "dataplane_worker.hpp"
#include "model/decode.hpp"

namespace {

using speaker::dataplane_driver;
using speaker::dataplane_mode;

struct fake_host : speaker::dataplane_host {
  explicit fake_host(dataplane::map_limits limits) : fake(limits) {}
  dataplane::fake_map_ops fake;
  std::vector<dataplane::attach_options>* attaches = nullptr;
  bool refuse_xdp = false;
  dataplane::map_ops& maps() override { return fake; }
  dataplane::status attach(const dataplane::attach_options& a) override {
    attaches->push_back(a);
    if (refuse_xdp && a.mode == dataplane::hook::xdp) return dataplane::error{"attach XDP (native) to eth1: Operation not supported", 95};
    return std::nullopt;
  }
  dataplane::status detach() override { return std::nullopt; }
};

struct world {
  std::vector<dataplane::attach_options> attaches;
  std::optional<std::string> load_error;
  bool refuse_xdp = false;
  int loads = 0;
  dataplane::map_limits limits;
  fake_host* host = nullptr;
  std::uint64_t now_ns = 0;  // the monotonic clock the driver reads
  std::map<std::string, std::string> routes{{"192.0.2.1", "eth1"}, {"192.0.3.1", "eth2"}, {"127.0.0.2", "lo"}};

  speaker::dataplane_kernel kernel() {
    speaker::dataplane_kernel k;
    k.load = [this](const speaker::dataplane_settings&) -> dataplane::result<std::unique_ptr<speaker::dataplane_host>> {
      ++loads;
      if (load_error) return dataplane::error{*load_error, 1};
      auto h = std::make_unique<fake_host>(limits);
      h->attaches = &attaches;
      h->refuse_xdp = refuse_xdp;
      host = h.get();
      return std::unique_ptr<speaker::dataplane_host>(std::move(h));
    };
    k.route_interface = [this](const model::ip_address& a) -> dataplane::result<std::string> {
      auto it = routes.find(a.to_string());
      if (it == routes.end()) return dataplane::error{"no route: Network is unreachable", 101};
      return it->second;
    };
    k.now_ns = [this] { return now_ns; };
    return k;
  }
};

speaker::dataplane_settings settings(dataplane_mode m) {
  speaker::dataplane_settings s;
  s.mode = m;
  s.pin_root = "/sys/fs/bpf/bgplb/n1";
  s.maglev_size = 251;
  return s;
}

model::snapshot snap() {
  const std::string manifests =
      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {type: LoadBalancer, "
      "ports: [{name: http, port: 80}, {name: sig, port: 3868, protocol: SCTP}]}\n---\n"
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: default, labels: "
      "{kubernetes.io/service-name: web}}\naddressType: IPv4\nendpoints: [{addresses: [10.1.1.2], nodeName: n1}, "
      "{addresses: [10.1.1.3], nodeName: n1}]\nports: [{name: http, port: 8080}]\n";
  auto d = model::decode("test.yaml", manifests);
  EXPECT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  return model::snapshot(std::move(d.objects));
}

model::assignments lb() { return {{{"default", "web"}, {*model::ip_address::parse("198.51.100.10")}}}; }

std::vector<model::ip_address> peers(std::initializer_list<const char*> list) {
  std::vector<model::ip_address> out;
  for (const char* p : list) out.push_back(*model::ip_address::parse(p));
  return out;
}

TEST(dataplane_driver, off_loads_nothing) {
  world w;
  dataplane_driver d(settings(dataplane_mode::off), "n1", w.kernel());
  d.start();
  d.update(snap(), lb(), peers({"192.0.2.1"}));
  EXPECT_EQ(w.loads, 0);
  EXPECT_EQ(d.current(), dataplane_driver::state::off);
  EXPECT_FALSE(d.not_ready());
}

TEST(dataplane_driver, without_bpf_auto_stands_aside_and_an_explicit_mode_is_not_ready) {
  const std::string why = "BPF dataplane unavailable: needs CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN: run as root";
  world w;
  w.load_error = why;
  dataplane_driver automatic(settings(dataplane_mode::automatic), "n1", w.kernel());
  automatic.start();
  automatic.update(snap(), lb(), peers({"192.0.2.1"}));
  EXPECT_EQ(automatic.current(), dataplane_driver::state::unavailable);
  EXPECT_EQ(automatic.reason(), why);
  EXPECT_FALSE(automatic.not_ready());
  runtime::exposition x;
  automatic.metrics(x);
  EXPECT_NE(x.text().find("bgplb_dataplane_up{mode=\"auto\",hook=\"none\"} 0"), std::string::npos) << x.text();

  dataplane_driver xdp(settings(dataplane_mode::xdp), "n1", w.kernel());
  xdp.start();
  EXPECT_EQ(xdp.current(), dataplane_driver::state::failed);
  EXPECT_EQ(xdp.not_ready(), "dataplane: " + why);
}

TEST(dataplane_driver, attaches_xdp_to_the_interfaces_routing_to_the_peers) {
  world w;
  dataplane_driver d(settings(dataplane_mode::automatic), "n1", w.kernel());
  d.start();
  EXPECT_EQ(d.current(), dataplane_driver::state::waiting);
  d.update(snap(), lb(), peers({"192.0.3.1", "192.0.2.1", "127.0.0.2", "203.0.113.1"}));
  ASSERT_EQ(w.attaches.size(), 1u);
  EXPECT_EQ(w.attaches[0].mode, dataplane::hook::xdp);
  EXPECT_EQ(w.attaches[0].interfaces, (std::vector<std::string>{"eth1", "eth2"}));  // lo and no route left out
  EXPECT_EQ(d.current(), dataplane_driver::state::running);
  d.update(snap(), lb(), peers({"192.0.3.1", "192.0.2.1"}));
  EXPECT_EQ(w.attaches.size(), 1u);  // same interfaces: no new attach
  d.update(snap(), lb(), peers({"192.0.2.1"}));
  ASSERT_EQ(w.attaches.size(), 2u);
  EXPECT_EQ(w.attaches[1].interfaces, (std::vector<std::string>{"eth1"}));
}

TEST(dataplane_driver, named_interfaces_win_and_auto_falls_back_to_tc) {
  world w;
  w.refuse_xdp = true;
  auto s = settings(dataplane_mode::automatic);
  s.interfaces = {"bond0"};
  dataplane_driver d(s, "n1", w.kernel());
  d.start();
  d.update(snap(), lb(), peers({"192.0.2.1"}));
  ASSERT_EQ(w.attaches.size(), 2u);
  EXPECT_EQ(w.attaches[0].mode, dataplane::hook::xdp);
  EXPECT_EQ(w.attaches[1].mode, dataplane::hook::tc);
  EXPECT_EQ(w.attaches[1].interfaces, (std::vector<std::string>{"bond0"}));
  EXPECT_EQ(d.hook_in_use(), dataplane::hook::tc);
  EXPECT_EQ(d.current(), dataplane_driver::state::running);

  world x;  // --dataplane=xdp does not fall back
  x.refuse_xdp = true;
  dataplane_driver strict(settings(dataplane_mode::xdp), "n1", x.kernel());
  strict.start();
  strict.update(snap(), lb(), peers({"192.0.2.1"}));
  EXPECT_EQ(x.attaches.size(), 1u);
  EXPECT_EQ(strict.current(), dataplane_driver::state::failed);
  EXPECT_TRUE(strict.not_ready());
}

TEST(dataplane_driver, programs_the_maps_and_reports_what_it_cannot_express) {
  world w;
  dataplane_driver d(settings(dataplane_mode::automatic), "n1", w.kernel());
  d.start();
  d.update(snap(), lb(), peers({"192.0.2.1"}));
  ASSERT_NE(w.host, nullptr);
  EXPECT_EQ(w.host->fake.frontend_map.size(), 1u);  // 198.51.100.10:80/tcp
  EXPECT_EQ(w.host->fake.backend_map.size(), 2u);
  ASSERT_EQ(d.skipped().size(), 1u);
  EXPECT_EQ(d.skipped()[0].name, "default/web:sig/SCTP");

  runtime::exposition x;
  d.metrics(x);
  const auto text = x.text();
  for (const char* want : {"bgplb_dataplane_up{mode=\"auto\",hook=\"xdp\"} 1", "bgplb_dataplane_services 1",
                           "bgplb_dataplane_drops_total{reason=\"no_backend\"} 0",
                           "bgplb_dataplane_service_packets_total{service=\"default/web:http/TCP/v4\"} 0",
                           "bgplb_dataplane_skipped_services{service=\"default/web:sig/SCTP\""})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  const auto doc = d.json();
  EXPECT_NE(doc.find("\"frontends\":[\"198.51.100.10:80/tcp\"]"), std::string::npos) << doc;
  // a Maglev row of 251 slots over two backends: 125 and 126
  EXPECT_NE(doc.find("\"slots\":125"), std::string::npos) << doc;
  EXPECT_NE(doc.find("\"slots\":126"), std::string::npos) << doc;

  // the service goes: its frontend and backends leave the maps
  d.update(model::snapshot(), {}, peers({"192.0.2.1"}));
  EXPECT_TRUE(w.host->fake.frontend_map.empty());
  EXPECT_TRUE(w.host->fake.backend_map.empty());
}

TEST(dataplane_driver, conntrack_of_one_client) {
  world w;
  dataplane_driver d(settings(dataplane_mode::automatic), "n1", w.kernel());
  d.start();
  d.update(snap(), lb(), peers({"192.0.2.1"}));
  auto addr = [](const char* a) {
    dataplane::abi::addr16 r{};
    std::memcpy(r.w, dataplane::address::parse(a)->bytes().data(), 16);
    return r;
  };
  dataplane::abi::ct_key k{};
  k.src = addr("203.0.113.9");
  k.dst = addr("198.51.100.10");
  k.sport = htons(40000);
  k.dport = htons(80);
  k.proto = IPPROTO_TCP;
  dataplane::abi::ct_value v{};
  v.addr = addr("10.1.1.3");
  v.port = htons(8080);
  v.svc_id = 1;  // the first service id
  // the program's clock in ticks of 2^20 ns, 32 bits: 2,000 ticks (2.097152 s) before a
  // clock that has wrapped since
  w.now_ns = std::uint64_t{100} << BGPLB_CT_TICK_SHIFT;
  v.last_seen = 100u - 2000u;
  w.host->fake.ct_map[k] = v;
  k.sport = htons(40001);  // written by another CPU a tick after the clock was read
  v.last_seen = 101;
  w.host->fake.ct_map[k] = v;
  const auto doc = d.conntrack_json("203.0.113.9");
  EXPECT_NE(doc.find("\"client\":\"203.0.113.9:40000\""), std::string::npos) << doc;
  std::map<std::string, double> idle;
  const auto parsed = boost::json::parse(doc);
  for (const auto& e : parsed.at("entries").as_array())
    idle[std::string(e.at("client").as_string())] = e.at("idle_s").to_number<double>();
  EXPECT_DOUBLE_EQ(idle["203.0.113.9:40000"], 2.097152) << doc;
  EXPECT_DOUBLE_EQ(idle["203.0.113.9:40001"], 0.0) << doc;
  EXPECT_NE(doc.find("\"backend\":\"10.1.1.3:8080\""), std::string::npos) << doc;
  EXPECT_NE(doc.find("\"service\":\"default/web:http/TCP/v4\""), std::string::npos) << doc;
  EXPECT_NE(d.conntrack_json("203.0.113.10").find("\"entries\":[]"), std::string::npos);
  EXPECT_NE(d.conntrack_json("nonsense").find("is not an IP address"), std::string::npos);
}

// --- incremental programming ---------------------------------------------------------

model::snapshot snapshot_of(const std::string& manifests) {
  auto d = model::decode("rack.yaml", manifests);
  EXPECT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  return model::snapshot(std::move(d.objects));
}

std::string hex(const void* p, std::size_t n) {
  std::string out;
  char b[3];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", static_cast<const unsigned char*>(p)[i]);
    out += b;
  }
  return out;
}

// What a packet to each frontend meets, ids left out: the service's flags and the backends
// its Maglev row (or its single backend) leads to, with the slots each holds.
std::map<std::string, std::string> packet_view(const dataplane::fake_map_ops& m) {
  std::map<std::string, std::string> out;
  auto backend = [&](std::uint32_t id) {
    auto b = m.backend_map.find(id);
    if (b == m.backend_map.end()) return std::string("missing backend ") + std::to_string(id);
    return hex(&b->second.addr, sizeof b->second.addr) + ":" + std::to_string(b->second.port) + " via " +
           hex(&b->second.node, sizeof b->second.node) + " flags " + std::to_string(b->second.flags);
  };
  for (const auto& [fk, fv] : m.frontend_map) {
    std::string v;
    auto sv = m.service_map.find(fv.svc_id);
    if (sv == m.service_map.end()) {
      v = "missing service";
    } else {
      const auto& x = sv->second;
      v = "fe flags " + std::to_string(fv.flags) + " svc flags " + std::to_string(x.flags) + " count " + std::to_string(x.count);
      std::map<std::string, int> slots;
      if (x.count == 1) slots[backend(x.backend_id)] = 1;
      if (x.count >= 2)
        for (std::uint32_t i = 0; i < x.maglev_size; ++i) ++slots[backend(m.slots.at(x.row_offset + i))];
      for (const auto& [b, n] : slots) v += "; " + b + " x" + std::to_string(n);
    }
    out[hex(&fk, sizeof fk)] = v;
  }
  return out;
}

double metric(const dataplane_driver& d, const std::string& name) {
  runtime::exposition x;
  d.metrics(x);
  const auto text = x.text();
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

// A rack of two nodes and a handful of services, as YAML with placeholders edited by
// each step of the test below.
struct rack_state {
  std::string n2_address = "192.0.2.12";
  std::string web_endpoints = "[{addresses: [10.1.1.2], nodeName: n1}, {addresses: [10.1.2.2], nodeName: n2}]";
  std::string web_slice_service = "web";
  bool api = true;
  std::string api_policy = "Local";
  model::assignments ips;

  std::string yaml() const {
    std::string y =
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 192.0.2.11}]}\n---\n"
        "apiVersion: v1\nkind: Node\nmetadata: {name: n2}\nstatus: {addresses: [{type: InternalIP, address: " + n2_address + "}]}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {type: LoadBalancer, ports: [{name: http, port: 80}]}\n---\n"
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: default, labels: "
        "{kubernetes.io/service-name: " + web_slice_service + "}}\naddressType: IPv4\nendpoints: " + web_endpoints +
        "\nports: [{name: http, port: 8080}]\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: default}\nspec: {type: LoadBalancer, ports: [{name: pg, port: 5432}]}\n---\n"
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: db-1, namespace: default, labels: "
        "{kubernetes.io/service-name: db}}\naddressType: IPv4\nendpoints: [{addresses: [10.1.2.9], nodeName: n2}]\n"
        "ports: [{name: pg, port: 5432}]\n";
    if (api)
      y += "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: default}\nspec: {type: LoadBalancer, "
           "externalTrafficPolicy: " + api_policy + ", ports: [{name: http, port: 80}]}\n---\n"
           "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: api-1, namespace: default, labels: "
           "{kubernetes.io/service-name: api}}\naddressType: IPv4\nendpoints: [{addresses: [10.1.1.7], nodeName: n1}, "
           "{addresses: [10.1.2.7], nodeName: n2}]\nports: [{name: http, port: 8443}]\n";
    return y;
  }
};

model::ip_address ip(const char* a) { return *model::ip_address::parse(a); }

// The rack with one address assigned (to web).
rack_state web_assigned() {
  rack_state r;
  r.ips.set({"default", "web"}, {ip("198.51.100.10")});
  return r;
}

// A driver on node n1 (mode auto, a peer behind eth1) that programmed `s` in full.
struct started_driver {
  world w;
  dataplane_driver d;
  started_driver(const model::snapshot& s, const model::assignments& ips, dataplane::map_limits limits = {})
      : d(settings(dataplane_mode::automatic), "n1", (w.limits = limits, w.kernel())) {
    d.start();
    d.update(s, ips, peers({"192.0.2.1"}));
  }
  dataplane::fake_map_ops& maps() { return w.host->fake; }
};

// Every step programmed incrementally leaves the maps as a fresh node programming the
// same snapshot from nothing would: what packets meet, with nothing left behind.
TEST(dataplane_driver, incremental_programming_matches_a_full_pass) {
  rack_state r;
  r.ips.set({"default", "web"}, {ip("198.51.100.10"), ip("198.51.100.11")});
  r.ips.set({"default", "db"}, {ip("198.51.100.20")});
  r.ips.set({"default", "api"}, {ip("198.51.100.30")});

  auto before = snapshot_of(r.yaml());
  auto before_ips = r.ips;
  started_driver incremental(before, r.ips);
  auto& d = incremental.d;
  EXPECT_EQ(metric(d, "bgplb_dataplane_full_applies_total"), 1);

  struct step {
    const char* what;
    std::function<void(rack_state&)> edit;
    bool full;
  };
  const std::vector<step> steps = {
      {"an endpoint of web goes", [](rack_state& x) { x.web_endpoints = "[{addresses: [10.1.1.2], nodeName: n1}]"; }, false},
      {"api becomes Cluster", [](rack_state& x) { x.api_policy = "Cluster"; }, false},
      {"web's second address moves to api, on the same port",
       [](rack_state& x) {
         x.ips.set({"default", "web"}, {ip("198.51.100.10")});
         x.ips.set({"default", "api"}, {ip("198.51.100.11"), ip("198.51.100.30")});
       },
       false},
      {"web's slice is relabelled to db", [](rack_state& x) { x.web_slice_service = "db"; }, false},
      {"api goes", [](rack_state& x) { x.api = false; }, false},
      {"web loses its addresses", [](rack_state& x) { x.ips.erase({"default", "web"}); }, false},
      {"n2 moves: a full pass", [](rack_state& x) { x.n2_address = "192.0.2.22"; }, true},
      {"api comes back with web's old address", [](rack_state& x) {
         x.api = true;
         x.ips.set({"default", "api"}, {ip("198.51.100.10")});
       }, false},
  };
  double full = 1;
  for (const auto& st : steps) {
    SCOPED_TRACE(st.what);
    st.edit(r);
    auto after = snapshot_of(r.yaml());
    std::vector<model::name_key> moved;
    std::set<model::name_key> keys;
    for (const auto& [k, v] : before_ips) keys.insert(k);
    for (const auto& [k, v] : r.ips) keys.insert(k);
    for (const auto& k : keys) {
      auto a = before_ips.find(k);
      auto b = r.ips.find(k);
      if ((a == before_ips.end()) != (b == r.ips.end()) || (a != before_ips.end() && a->second != b->second)) moved.push_back(k);
    }
    d.update(after, r.ips, peers({"192.0.2.1"}), speaker::services_touched(before, after, model::diff(before, after), moved));
    if (st.full) ++full;
    EXPECT_EQ(metric(d, "bgplb_dataplane_full_applies_total"), full);
    EXPECT_FALSE(d.not_ready());

    started_driver fresh(after, r.ips);
    const auto& got = incremental.maps();
    const auto& want = fresh.maps();
    EXPECT_EQ(packet_view(got), packet_view(want));
    EXPECT_EQ(got.service_map.size(), want.service_map.size()) << "no service left behind";
    EXPECT_EQ(got.backend_map.size(), want.backend_map.size()) << "no backend left behind";
    EXPECT_EQ(got.peer_set.size(), want.peer_set.size());
    EXPECT_EQ(d.skipped(), fresh.d.skipped());
    before = std::move(after);
    before_ips = r.ips;
  }
}

// A Service's dataplane services are found by the prefix "<ns>/<name>:", which no other
// Service's names begin with: a change to web leaves web-2's alone.
TEST(dataplane_driver, a_service_is_found_by_its_own_prefix_only) {
  EXPECT_EQ(speaker::service_prefix({"default", "web"}), "default/web:");
  EXPECT_EQ(speaker::owner_of("default/web-2:http/TCP/v4/external"), (model::name_key{"default", "web-2"}));
  EXPECT_EQ(speaker::owner_of("no-slash"), std::nullopt);
  const std::string y =
      "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 192.0.2.11}]}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {type: LoadBalancer, ports: [{name: http, port: 80}]}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: web-2, namespace: default}\nspec: {type: LoadBalancer, ports: [{name: http, port: 80}]}\n---\n"
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-2-a, namespace: default, labels: "
      "{kubernetes.io/service-name: web-2}}\naddressType: IPv4\nendpoints: [{addresses: [10.1.1.3], nodeName: n1}]\n"
      "ports: [{name: http, port: 8080}]\n";
  model::assignments ips;
  ips.set({"default", "web"}, {ip("198.51.100.10")});
  ips.set({"default", "web-2"}, {ip("198.51.100.12")});
  const auto s = snapshot_of(y);
  started_driver x(s, ips);
  ASSERT_EQ(x.maps().service_map.size(), 2u);
  auto fewer = ips;
  fewer.erase({"default", "web"});
  x.d.update(s, fewer, peers({"192.0.2.1"}), speaker::service_names{{"default", "web"}});
  EXPECT_EQ(metric(x.d, "bgplb_dataplane_full_applies_total"), 1);
  EXPECT_EQ(x.maps().service_map.size(), 1u);
  EXPECT_EQ(x.maps().frontend_map.size(), 1u);
  started_driver fresh(s, fewer);
  EXPECT_EQ(packet_view(x.maps()), packet_view(fresh.maps()));
}

// A change that touches nothing the dataplane reads (a Node's condition) writes nothing.
TEST(dataplane_driver, a_change_touching_no_service_writes_nothing) {
  const auto r = web_assigned();
  const auto before = snapshot_of(r.yaml());
  started_driver x(before, r.ips);
  const long writes = x.maps().writes;
  auto y = r.yaml();
  const std::string at = "status: {addresses";
  y.replace(y.find(at), at.size(), "status: {conditions: [{type: Ready, status: \"False\"}], addresses");
  auto after = snapshot_of(y);
  const auto changes = model::diff(before, after);
  ASSERT_EQ(changes.modified.size(), 1u);
  x.d.update(after, r.ips, peers({"192.0.2.1"}), speaker::services_touched(before, after, changes, {}));
  EXPECT_EQ(x.maps().writes, writes);
  EXPECT_EQ(metric(x.d, "bgplb_dataplane_full_applies_total"), 1);
}

// A failed map write leaves part of a change: the next update programs everything.
TEST(dataplane_driver, after_a_failed_write_the_next_update_is_full) {
  const auto r = web_assigned();
  const auto before = snapshot_of(r.yaml());
  started_driver x(before, r.ips);
  auto ips = r.ips;
  ips.set({"default", "db"}, {ip("198.51.100.20")});
  auto after = snapshot_of(r.yaml());
  x.maps().fail_at = x.maps().writes;  // the next write
  auto& d = x.d;
  d.update(after, ips, peers({"192.0.2.1"}), speaker::services_touched(before, after, {}, {{"default", "db"}}));
  EXPECT_TRUE(d.not_ready());
  x.maps().fail_at = -1;
  d.update(after, ips, peers({"192.0.2.1"}), speaker::service_names{});
  EXPECT_FALSE(d.not_ready());
  EXPECT_EQ(metric(d, "bgplb_dataplane_full_applies_total"), 2);
  started_driver fresh(after, ips);
  EXPECT_EQ(packet_view(x.maps()), packet_view(fresh.maps()));
}

// Full maps: a Service that does not fit is skipped with the reason; a change elsewhere
// neither fails on it nor tries it again (at 100,000 services that was a third of them on
// every change); a Service leaving the maps makes room for it.
TEST(dataplane_driver, services_that_do_not_fit_wait_for_room) {
  rack_state r;
  r.ips.set({"default", "web"}, {ip("198.51.100.10")});
  r.ips.set({"default", "db"}, {ip("198.51.100.20")});
  r.ips.set({"default", "api"}, {ip("198.51.100.30")});
  dataplane::map_limits two;
  two.services = 3;  // ids 1 and 2
  const auto before = snapshot_of(r.yaml());
  started_driver x(before, r.ips, two);
  auto& d = x.d;
  const auto skipped = d.skipped();
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_TRUE(skipped[0].no_room);
  EXPECT_NE(skipped[0].reason.find("no free service id"), std::string::npos) << skipped[0].reason;
  // bgplbctl dataplane shows the room and what fills it
  EXPECT_NE(d.json().find("\"capacity\":{\"services\":2,\"services_programmed\":2,"), std::string::npos) << d.json();

  auto r2 = r;
  r2.api_policy = "Cluster";
  const auto changed = snapshot_of(r2.yaml());
  d.update(changed, r2.ips, peers({"192.0.2.1"}), speaker::services_touched(before, changed, model::diff(before, changed), {}));
  EXPECT_FALSE(d.not_ready()) << *d.not_ready();
  EXPECT_EQ(metric(d, "bgplb_dataplane_apply_errors_total"), 0);
  EXPECT_EQ(metric(d, "bgplb_dataplane_full_applies_total"), 1);
  EXPECT_EQ(d.skipped(), skipped);

  auto r3 = r2;
  r3.api = false;
  r3.ips.erase({"default", "api"});
  const auto after = snapshot_of(r3.yaml());
  d.update(after, r3.ips, peers({"192.0.2.1"}),
           speaker::services_touched(changed, after, model::diff(changed, after), {{"default", "api"}}));
  EXPECT_FALSE(d.not_ready());
  EXPECT_TRUE(d.skipped().empty()) << d.skipped()[0].name;
  EXPECT_EQ(metric(d, "bgplb_dataplane_full_applies_total"), 1);
  started_driver fresh(after, r3.ips, two);
  EXPECT_EQ(packet_view(x.maps()), packet_view(fresh.maps()));
}


// The node's service runs the driver's updates on a dataplane_worker: they happen on the
// worker's thread, and after stop() nothing more is programmed.
TEST(dataplane_worker, programs_on_its_own_thread_until_stopped) {
  world w;
  dataplane_driver d(settings(dataplane_mode::automatic), "n1", w.kernel());
  d.start();
  speaker::dataplane_worker worker(d);
  const auto ips = std::make_shared<const model::assignments>(lb());
  worker.submit({std::make_shared<const model::snapshot>(snap()), ips, peers({"192.0.2.1"}), std::nullopt});
  auto frontends = [&] { return worker.locked([&](const dataplane_driver&) { return w.host->fake.frontend_map.size(); }); };
  for (int i = 0; i < 2000 && frontends() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(frontends(), 1u);  // 198.51.100.10:80/tcp
  // The worker's thread is named and runs at nice 5 (the core thread wins the CPU).
  std::optional<int> nice;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name != "bgplb-dataplane") continue;
    std::ifstream stat(task.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i)  // field 19 is nice
      if (i == 19) nice = std::stoi(field);
  }
  ASSERT_TRUE(nice) << "no thread named bgplb-dataplane";
  EXPECT_EQ(*nice, 5);

  worker.stop();
  worker.submit({std::make_shared<const model::snapshot>(), ips, peers({"192.0.2.1"}), std::nullopt});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(frontends(), 1u);  // not programmed: the service would have left the maps
}

}  // namespace

// While an update holds the driver (seconds at 100,000 Services), the core thread's readers
// do not wait: readiness and metrics are those the last update left (metrics marked
// updating), the HTTP views are refused; once it ends, both follow it.
TEST(dataplane_worker, readers_never_wait_for_an_update) {
  world w;
  std::mutex gate_m;
  std::condition_variable gate_cv;
  bool hold = false, held = false;
  auto k = w.kernel();
  k.route_interface = [&, inner = k.route_interface](const model::ip_address& a) {
    std::unique_lock l(gate_m);
    if (hold) {
      held = true;
      gate_cv.notify_all();
      gate_cv.wait(l, [&] { return !hold; });
    }
    return inner(a);
  };
  dataplane_driver d(settings(dataplane_mode::automatic), "n1", k);
  d.start();
  speaker::dataplane_worker worker(d);
  const auto ips = std::make_shared<const model::assignments>(lb());
  const auto s = std::make_shared<const model::snapshot>(snap());
  worker.submit({s, ips, peers({"192.0.2.1"}), std::nullopt});
  auto idle_services = [&] { return worker.try_locked([](const dataplane_driver& x) { return x.json(); }); };
  for (int i = 0; i < 2000 && worker.locked([&](const dataplane_driver&) { return w.loads == 1 && !w.attaches.empty(); }) == false; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(idle_services());
  runtime::exposition before;
  worker.metrics(before);
  EXPECT_NE(before.text().find("bgplb_dataplane_updating 0\n"), std::string::npos) << before.text();
  EXPECT_NE(before.text().find("bgplb_dataplane_applies_total 1\n"), std::string::npos) << before.text();
  EXPECT_NE(before.text().find("bgplb_dataplane_service_packets_total{"), std::string::npos) << before.text();
  // A scrape's render, between updates: on the worker's thread, everything.
  struct rendered {
    std::mutex m;
    std::condition_variable cv;
    std::optional<std::string> text;
    std::thread::id on;
    void operator()(runtime::exposition x) {
      std::lock_guard l(m);
      text = x.text();
      on = std::this_thread::get_id();
      cv.notify_all();
    }
    bool wait() {
      std::unique_lock l(m);
      return cv.wait_for(l, std::chrono::seconds(5), [&] { return text.has_value(); });
    }
  };
  rendered idle_render;
  worker.render_metrics([&](runtime::exposition x) { idle_render(std::move(x)); });
  ASSERT_TRUE(idle_render.wait());
  EXPECT_NE(idle_render.on, std::this_thread::get_id());
  EXPECT_NE(idle_render.text->find("bgplb_dataplane_updating 0\n"), std::string::npos) << *idle_render.text;
  EXPECT_NE(idle_render.text->find("bgplb_dataplane_service_packets_total{"), std::string::npos) << *idle_render.text;

  worker.locked([&](dataplane_driver&) { w.host->fake.fail_at = w.host->fake.writes; });  // the next update fails
  {
    std::lock_guard l(gate_m);
    hold = true;
  }
  const auto moved = std::make_shared<const model::assignments>(
      model::assignments{{{"default", "web"}, {*model::ip_address::parse("198.51.100.11")}}});
  worker.submit({s, moved, peers({"192.0.2.1"}), std::nullopt});
  {
    std::unique_lock l(gate_m);
    ASSERT_TRUE(gate_cv.wait_for(l, std::chrono::seconds(5), [&] { return held; }));
  }
  // the update is inside the driver now, and stays there until released
  EXPECT_FALSE(idle_services());
  EXPECT_FALSE(worker.not_ready());
  runtime::exposition during;
  worker.metrics(during);
  EXPECT_NE(during.text().find("bgplb_dataplane_updating 1\n"), std::string::npos) << during.text();
  EXPECT_NE(during.text().find("bgplb_dataplane_applies_total 1\n"), std::string::npos) << during.text();
  EXPECT_EQ(during.text().find("bgplb_dataplane_service_packets_total{"), std::string::npos) << during.text();
  // ... and a scrape's render is answered at once, here, with the same.
  rendered busy_render;
  worker.render_metrics([&](runtime::exposition x) { busy_render(std::move(x)); });
  ASSERT_TRUE(busy_render.text);
  EXPECT_EQ(busy_render.on, std::this_thread::get_id());
  EXPECT_EQ(*busy_render.text, during.text());
  {
    std::lock_guard l(gate_m);
    hold = false;
  }
  gate_cv.notify_all();
  for (int i = 0; i < 2000 && !worker.not_ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(worker.not_ready());  // the failed write
  runtime::exposition after;
  worker.metrics(after);
  EXPECT_NE(after.text().find("bgplb_dataplane_updating 0\n"), std::string::npos) << after.text();
  EXPECT_NE(after.text().find("bgplb_dataplane_apply_errors_total 1\n"), std::string::npos) << after.text();
  worker.stop();
}
