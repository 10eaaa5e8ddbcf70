// Builds the test world once per process: unshare(CLONE_NEWNET), interfaces, routes,
// permanent neighbours, the module, the services.
#include "bpf_fixture.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "libbpf_opts.hpp"
#include <random>

namespace dataplane::testrun {

namespace {

address a(const char* s) { return *address::parse(s); }

bool sh(const std::string& cmd, std::string& why) {
  if (std::system((cmd + " >/dev/null 2>&1").c_str()) == 0) return true;
  why = "setup command failed: " + cmd;
  return false;
}

service make(const std::string& name, protocol p, const address& vip_addr, std::vector<backend> backends) {
  service s;
  s.name = name + (p == protocol::tcp ? "/tcp" : "/udp");
  s.proto = p;
  s.frontends = {{vip_addr, service_port(p)}};
  s.backends = std::move(backends);
  return s;
}

backend local(const address& addr, std::uint16_t port = 8080) { return {addr, port, std::nullopt, false}; }
backend remote(const address& addr, const address& node) { return {addr, 8080, node, false}; }

struct cleanup {
  std::string pin_root;
  ~cleanup() {
    if (pin_root.empty()) return;
    if (auto e = uninstall(pin_root)) std::fprintf(stderr, "clean-up: %s\n", e->message.c_str());
  }
};

cleanup the_cleanup;

world* build(std::string& why, bool& refused) {
  if (geteuid() != 0) {
    why = "BPF_PROG_TEST_RUN tests need root (CAP_BPF, CAP_NET_ADMIN) and a private network namespace";
    return nullptr;
  }
  // as the daemon does: a fresh machine (a container, no systemd) may have no bpffs yet
  if (auto e = ensure_bpffs("/sys/fs/bpf/bgplb-test")) {
    why = e->message;
    return nullptr;
  }
  if (auto e = check_support("/sys/fs/bpf/bgplb-test")) {
    why = e->message;
    return nullptr;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    why = "unshare(CLONE_NEWNET) failed";
    return nullptr;
  }
  static world w;
  w.node4 = a("192.0.2.1");
  w.node6 = a("2001:db8::1");
  w.router4 = a("192.0.2.254");
  w.router6 = a("2001:db8::fe");
  w.peer4 = a("192.0.2.2");
  w.peer6 = a("2001:db8::2");
  w.client4 = a("203.0.113.7");
  w.client6 = a("2001:db8:ff::7");
  w.up0_mac = {2, 0, 0, 0, 1, 0};
  w.router_mac = {2, 0, 0, 0, 1, 0xfe};
  w.peer_mac = {2, 0, 0, 0, 1, 2};
  w.pod0_mac = {2, 0, 0, 0, 2, 0};
  w.pod1_mac = {2, 0, 0, 0, 2, 1};
  const char* setup[] = {
      "ip link set lo up",
      "ip link add up0 address 02:00:00:00:01:00 type veth peer name up1 address 02:00:00:00:01:fe",
      "ip link add pod0 address 02:00:00:00:02:00 type veth peer name pod1 address 02:00:00:00:02:01",
      "ip link set up0 up", "ip link set up1 up", "ip link set pod0 up", "ip link set pod1 up",
      "sysctl -qw net.ipv4.conf.all.forwarding=1", "sysctl -qw net.ipv6.conf.all.forwarding=1",
      "ip addr add 192.0.2.1/24 dev up0", "ip addr add 2001:db8::1/64 dev up0 nodad",
      "ip route add default via 192.0.2.254", "ip -6 route add default via 2001:db8::fe",
      "ip route add unreachable 198.18.99.0/24",
      "ip neigh replace 192.0.2.254 lladdr 02:00:00:00:01:fe dev up0 nud permanent",
      "ip neigh replace 2001:db8::fe lladdr 02:00:00:00:01:fe dev up0 nud permanent",
      "ip neigh replace 192.0.2.2 lladdr 02:00:00:00:01:02 dev up0 nud permanent",
      "ip neigh replace 2001:db8::2 lladdr 02:00:00:00:01:02 dev up0 nud permanent",
      "ip route add 10.1.0.0/24 dev pod0", "ip -6 route add fd00:1::/64 dev pod0",
  };
  for (const char* cmd : setup)
    if (!sh(cmd, why)) return nullptr;
  for (int n = 1; n <= 4; ++n) {
    std::string v4 = "10.1.0." + std::to_string(n), v6 = "fd00:1::" + std::to_string(n);
    if (!sh("ip neigh replace " + v4 + " lladdr 02:00:00:00:02:01 dev pod0 nud permanent", why) ||
        !sh("ip neigh replace " + v6 + " lladdr 02:00:00:00:02:01 dev pod0 nud permanent", why))
      return nullptr;
  }
  w.up0_index = static_cast<int>(if_nametoindex("up0"));
  w.pod0_index = static_cast<int>(if_nametoindex("pod0"));

  std::random_device rd;
  w.pin_root = "/sys/fs/bpf/bgplb-test-" + std::to_string(getpid()) + "-" + std::to_string(rd() % 100000);
  the_cleanup.pin_root = w.pin_root;
  load_options lo;
  lo.pin_root = w.pin_root;
  // more than one batch of the reads that go a batch at a time (libbpf_map_ops: 4,096)
  lo.max_services = 4200;
  lo.max_backends = 4200;
  lo.conntrack_entries = 4096;
  lo.affinity_entries = 1024;
  auto m = module::load(lo);
  if (!m) {
    why = m.err().message;
    refused = true;  // check_support() found nothing missing
    return nullptr;
  }
  w.mod = std::move(*m);
  auto r = reconciler::open(w.mod->maps());
  if (!r) {
    why = r.err().message;
    return nullptr;
  }
  w.rec = std::move(*r);

  desired& d = w.state;
  d.node_v4 = w.node4;
  d.node_v6 = w.node6;
  d.tunnel_peers = {w.peer4, w.peer6};
  d.maglev_size = 251;
  for (int f : {4, 6})
    for (protocol p : {protocol::tcp, protocol::udp}) {
      std::string sfx = std::to_string(f);
      d.services.push_back(make("local" + sfx, p, vip(f, "local"), {local(pod(f))}));
      d.services.push_back(make("remote" + sfx, p, vip(f, "remote"), {remote(remote_pod(f), w.peer(f))}));
      d.services.push_back(make("empty" + sfx, p, vip(f, "empty"), {}));
      auto ranged = make("ranges" + sfx, p, vip(f, "ranges"), {local(pod(f))});
      ranged.source_ranges = {*prefix::parse(f == 4 ? "203.0.113.0/28" : "2001:db8:ff::/120")};
      d.services.push_back(ranged);
      std::vector<backend> four;
      for (int n = 1; n <= 4; ++n) four.push_back(local(pod(f, n)));
      d.services.push_back(make("maglev" + sfx, p, vip(f, "maglev"), four));
      d.services.push_back(make("churn" + sfx, p, vip(f, "churn"), {local(pod(f, 1)), local(pod(f, 2))}));
      auto sticky = make("affinity" + sfx, p, vip(f, "affinity"), four);
      sticky.affinity_timeout = 60;
      d.services.push_back(sticky);
      d.services.push_back(make("noneigh" + sfx, p, vip(f, "noneigh"),
                                {remote(remote_pod(f), f == 4 ? a("192.0.2.3") : a("2001:db8::3"))}));
      d.services.push_back(make("noroute" + sfx, p, vip(f, "noroute"), {remote(remote_pod(f), a("198.18.99.1"))}));
      // an IPv6 service whose backend's node is reached over IPv4
      if (f == 6) d.services.push_back(make("mixed6", p, vip(6, "mixed"), {remote(a("fd00:2::2"), w.peer4)}));
    }
  w.apply();
  return &w;
}

}  // namespace

std::string to_string(verdict v) {
  switch (v) {
    case verdict::pass: return "pass";
    case verdict::drop: return "drop";
    case verdict::tx: return "tx";
    case verdict::redirect: return "redirect";
  }
  return "?";
}

address vip(int family, const std::string& role) {
  static const std::map<std::string, int> octet{{"local", 10}, {"remote", 11}, {"empty", 12}, {"ranges", 13},
                                                {"maglev", 14}, {"affinity", 15}, {"noneigh", 16}, {"noroute", 17},
                                                {"mixed", 18}, {"churn", 19}, {"other", 99}};
  int n = octet.at(role);
  if (family == 4) return address::v4(0xc6336400u + static_cast<std::uint32_t>(n));  // 198.51.100.n
  return *address::parse("2001:db8:100::" + std::to_string(n));
}

std::uint16_t service_port(protocol p) { return p == protocol::tcp ? 80 : 53; }

testpkt::l4 client_flow(protocol p, std::uint16_t sport, std::uint8_t tcp_flags) {
  testpkt::l4 t;
  t.proto = p;
  t.sport = sport;
  t.dport = service_port(p);
  t.tcp_flags = p == protocol::tcp ? tcp_flags : 0;
  return t;
}

address pod(int family, int n) {
  return *address::parse(family == 4 ? "10.1.0." + std::to_string(n) : "fd00:1::" + std::to_string(n));
}

address remote_pod(int family) { return *address::parse(family == 4 ? "10.2.0.1" : "fd00:2::1"); }

world* the_world(std::string& why_not, bool& refused) {
  static std::string why;
  static bool load_refused = false;
  static world* w = build(why, load_refused);
  why_not = why;
  refused = load_refused;
  return w;
}

void world::apply() {
  auto rep = rec->apply(state);
  ASSERT_TRUE(rep.ok()) << rep.err().message;
  ASSERT_TRUE(rep->skipped.empty()) << rep->skipped.front().name << ": " << rep->skipped.front().reason;
  auto c = mod->maps().config();
  ASSERT_TRUE(c.ok());
  abi::config cfg = *c;
  cfg.flags |= abi::CFG_F_REDIRECT_LOCAL;  // the tc ingress program runs every packet (no CFG_F_XDP)
  ASSERT_FALSE(mod->maps().put_config(cfg));
}

run_result world::run(hook h, bool egress, const bytes& frame, const module* other) const {
  run_result r;
  r.out.assign(frame.size() + 512, 0);
  xdp_md xctx{};
  __sk_buff sctx{};
  auto o = detail::libbpf_opts<bpf_test_run_opts>();
  o.data_in = frame.data();
  o.data_out = r.out.data();
  o.data_size_in = static_cast<std::uint32_t>(frame.size());
  o.data_size_out = static_cast<std::uint32_t>(r.out.size());
  o.repeat = 1;
  if (h == hook::xdp && !egress) {
    xctx.data_end = static_cast<std::uint32_t>(frame.size());
    xctx.ingress_ifindex = static_cast<std::uint32_t>(up0_index);
    o.ctx_in = &xctx;
    o.ctx_size_in = sizeof xctx;
  } else {
    sctx.ifindex = static_cast<std::uint32_t>(up0_index);
    sctx.ingress_ifindex = egress ? 0 : static_cast<std::uint32_t>(up0_index);
    o.ctx_in = &sctx;
    o.ctx_size_in = sizeof sctx;
  }
  int err = bpf_prog_test_run_opts((other ? other : mod.get())->program_fd(h, egress), &o);
  EXPECT_EQ(err, 0) << "BPF_PROG_TEST_RUN: " << std::strerror(-err);
  r.retval = static_cast<int>(o.retval);
  r.out.resize(o.data_size_out);
  return r;
}

int world::expected_retval(hook h, verdict v) const {
  if (h == hook::xdp) {
    switch (v) {
      case verdict::pass: return XDP_PASS;
      case verdict::drop: return XDP_DROP;
      case verdict::tx: return XDP_TX;
      case verdict::redirect: return XDP_REDIRECT;
    }
  }
  switch (v) {
    case verdict::pass: return TC_ACT_OK;
    case verdict::drop: return TC_ACT_SHOT;
    case verdict::tx:
    case verdict::redirect: return TC_ACT_REDIRECT;
  }
  return -1;
}

std::uint64_t world::counter(std::uint32_t code) const {
  auto c = mod->maps().counters();
  return c.ok() ? (*c)[code] : 0;
}

}  // namespace dataplane::testrun
