// dataplane_tool: drives the module from tests and benchmarks, one command per run (each
// run is a fresh process, like a restarted speaker: it reloads the program over the
// pinned maps and adopts what they hold).
//
//   dataplane_tool attach    --netns N --pin-root P --mode xdp|tc --iface IF [--iface IF2] [--generic] [--redirect-local]
//   dataplane_tool apply     --netns N --pin-root P --state state.json
//   dataplane_tool counters  --netns N --pin-root P          (JSON: drop reasons and events)
//   dataplane_tool uninstall --netns N --pin-root P
//   (a fresh load takes --max-services S (default 1024) and --conntrack C (65536))
//
// state.json: {"node_v4": "192.0.2.1", "node_v6": "...", "tunnel_peers": ["..."],
//   "maglev_size": 65537, "services": [{"name": "web", "proto": "tcp", "policy": "cluster",
//   "frontends": ["198.51.100.1:80"], "backends": [{"addr": "10.1.0.2", "port": 8080,
//   "node": "192.0.2.2", "terminating": false}], "affinity_timeout": 60,
//   "source_ranges": ["203.0.113.0/24"]}]}
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/loader.hpp"
#include "dataplane/reconciler.hpp"
#include "dataplane/stats.hpp"

namespace json = boost::json;
using namespace dataplane;

namespace {

struct args {
  std::string command, netns, pin_root, mode = "xdp", state;
  std::vector<std::string> ifaces;
  bool generic = false, redirect_local = false;
  std::uint32_t max_services = 1024, conntrack = 65536;
};

[[noreturn]] void die(const std::string& what) {
  std::cerr << "dataplane_tool: " << what << "\n";
  std::exit(1);
}

args parse(int argc, char** argv) {
  args a;
  if (argc < 2) die("usage: see the header of dataplane_tool.cpp");
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(k + " needs a value");
      return argv[++i];
    };
    if (k == "--netns") a.netns = value();
    else if (k == "--pin-root") a.pin_root = value();
    else if (k == "--mode") a.mode = value();
    else if (k == "--iface") a.ifaces.push_back(value());
    else if (k == "--state") a.state = value();
    else if (k == "--generic") a.generic = true;
    else if (k == "--redirect-local") a.redirect_local = true;
    else if (k == "--max-services") a.max_services = static_cast<std::uint32_t>(std::stoul(value()));
    else if (k == "--conntrack") a.conntrack = static_cast<std::uint32_t>(std::stoul(value()));
    else die("unknown argument " + k);
  }
  if (a.pin_root.empty()) die("--pin-root is required");
  return a;
}

void enter_netns(const std::string& name) {
  if (name.empty()) return;
  std::string path = "/var/run/netns/" + name;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) die("enter network namespace " + name);
  close(fd);
}

address addr(const json::value& v) {
  auto a = address::parse(std::string(v.as_string()));
  if (!a) die("bad address " + json::serialize(v));
  return *a;
}

frontend parse_frontend(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) die("frontend needs address:port: " + s);
  std::string host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto a = address::parse(host);
  if (!a) die("bad frontend " + s);
  return {*a, static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1)))};
}

desired read_state(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  json::value root = json::parse(text.str());
  const auto& o = root.as_object();
  desired d;
  if (auto* v = o.if_contains("node_v4")) d.node_v4 = addr(*v);
  if (auto* v = o.if_contains("node_v6")) d.node_v6 = addr(*v);
  if (auto* v = o.if_contains("tunnel_peers"))
    for (const auto& p : v->as_array()) d.tunnel_peers.push_back(addr(p));
  if (auto* v = o.if_contains("maglev_size")) d.maglev_size = static_cast<std::uint32_t>(v->to_number<std::int64_t>());
  if (auto* v = o.if_contains("services"))
    for (const auto& sv : v->as_array()) {
      const auto& so = sv.as_object();
      service s;
      s.name = std::string(so.at("name").as_string());
      s.proto = so.at("proto").as_string() == "udp" ? protocol::udp : protocol::tcp;
      if (auto* p = so.if_contains("policy")) s.policy = p->as_string() == "local" ? traffic_policy::local : traffic_policy::cluster;
      for (const auto& f : so.at("frontends").as_array()) s.frontends.push_back(parse_frontend(std::string(f.as_string())));
      for (const auto& bv : so.at("backends").as_array()) {
        const auto& bo = bv.as_object();
        backend b;
        b.addr = addr(bo.at("addr"));
        b.port = static_cast<std::uint16_t>(bo.at("port").to_number<std::int64_t>());
        if (auto* n = bo.if_contains("node")) b.node = addr(*n);
        if (auto* t = bo.if_contains("terminating")) b.terminating = t->as_bool();
        s.backends.push_back(b);
      }
      if (auto* t = so.if_contains("affinity_timeout")) s.affinity_timeout = static_cast<std::uint32_t>(t->to_number<std::int64_t>());
      if (auto* r = so.if_contains("source_ranges"))
        for (const auto& p : r->as_array()) {
          auto pr = prefix::parse(std::string(p.as_string()));
          if (!pr) die("bad prefix " + json::serialize(p));
          s.source_ranges.push_back(*pr);
        }
      d.services.push_back(std::move(s));
    }
  return d;
}

std::unique_ptr<module> load(const args& a) {
  load_options lo;
  lo.pin_root = a.pin_root;
  lo.max_services = a.max_services;
  lo.max_backends = 4 * a.max_services;
  lo.conntrack_entries = a.conntrack;
  lo.affinity_entries = 4096;
  auto m = module::load(lo);
  if (!m) die(m.err().message);
  return std::move(*m);
}

}  // namespace

int main(int argc, char** argv) {
  args a = parse(argc, argv);
  enter_netns(a.netns);
  if (a.command == "uninstall") {
    if (auto e = uninstall(a.pin_root)) die(e->message);
    return 0;
  }
  auto m = load(a);
  if (a.command == "attach") {
    attach_options at;
    at.mode = a.mode == "tc" ? hook::tc : hook::xdp;
    at.interfaces = a.ifaces;
    at.xdp_generic = a.generic;
    at.redirect_local = a.redirect_local;
    if (auto e = m->attach(at)) die(e->message);
    return 0;
  }
  if (a.command == "apply") {
    desired d = read_state(a.state);
    auto t0 = std::chrono::steady_clock::now();
    auto r = reconciler::open(m->maps());
    if (!r) die(r.err().message);
    auto t1 = std::chrono::steady_clock::now();
    auto rep = (*r)->apply(d);
    if (!rep) die(rep.err().message);
    auto t2 = std::chrono::steady_clock::now();
    auto ms = [](auto span) { return std::chrono::duration<double, std::milli>(span).count(); };
    json::object out{{"writes", rep->writes}, {"services_changed", rep->services_changed}, {"rows_built", rep->rows_built},
                     {"open_ms", ms(t1 - t0)}, {"apply_ms", ms(t2 - t1)}};
    json::array skipped;
    for (const auto& s : rep->skipped) skipped.push_back(json::object{{"name", s.name}, {"reason", s.reason}});
    out["skipped"] = skipped;
    std::cout << json::serialize(out) << "\n";
    return 0;
  }
  if (a.command == "counters") {
    auto c = read_counters(m->maps());
    if (!c) die(c.err().message);
    json::object out;
    for (const auto& x : *c) out[std::string(x.name)] = x.value;
    std::cout << json::serialize(out) << "\n";
    return 0;
  }
  die("unknown command " + a.command);
}
