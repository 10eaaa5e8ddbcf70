// BPF_PROG_TEST_RUN scenarios: several packets and map changes in a row. Conntrack
// across a backend change and a reload of the program, replies at egress, ICMP errors in
// both directions, the Maglev pick against user space's prediction, ClientIP affinity.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <vector>

#include "bpf_fixture.hpp"
#include "dataplane/maglev.hpp"
#include "dataplane/stats.hpp"

namespace dataplane::testrun {
namespace {

using testpkt::ether;
using testpkt::l4;

using param = std::tuple<hook, int, protocol>;

class scenario : public ::testing::TestWithParam<param> {
 protected:
  world* w = nullptr;
  hook h = hook::xdp;
  int family = 4;
  protocol proto = protocol::tcp;

  void SetUp() override {
    std::string why;
    bool refused = false;
    w = the_world(why, refused);
    if (!w && refused) GTEST_FAIL() << why;
    if (!w) GTEST_SKIP() << why;
    std::tie(h, family, proto) = GetParam();
  }

  static std::uint16_t port() {
    static std::uint16_t p = 30000;
    return ++p;
  }

  l4 flow(std::uint16_t sport, std::uint8_t flags) const { return client_flow(proto, sport, flags); }

  // Sends client:sport -> vip(role) and returns the backend address the program chose
  // (the destination after DNAT); fails the test unless it went to a local pod.
  address send(const std::string& role, std::uint16_t sport, std::uint8_t flags = 0x02) {
    bytes in = ether(w->up0_mac, w->router_mac, testpkt::ip(w->client(family), vip(family, role), flow(sport, flags)));
    run_result r = w->run(h, false, in);
    EXPECT_EQ(r.retval, w->expected_retval(h, verdict::redirect));
    EXPECT_EQ(testpkt::verify(r.out), "");
    return dst_of(r.out);
  }

  address dst_of(const bytes& f) const {
    std::array<std::uint8_t, 16> b{};
    if (family == 4) {
      if (f.size() < 34) return {};
      return address::v4(static_cast<std::uint32_t>(f[30] << 24 | f[31] << 16 | f[32] << 8 | f[33]));
    }
    if (f.size() < 54) return {};
    std::copy(f.begin() + 38, f.begin() + 54, b.begin());
    return address::v6(b);
  }

  void set_backends(const std::string& role, std::vector<int> pods) {
    std::string name = role + std::to_string(family) + (proto == protocol::tcp ? "/tcp" : "/udp");
    for (auto& s : w->state.services)
      if (s.name == name) {
        s.backends.clear();
        for (int n : pods) s.backends.push_back({pod(family, n), 8080, std::nullopt, false});
      }
    w->apply();
  }
};

TEST_P(scenario, conntrack_keeps_the_backend_across_a_change) {
  std::uint16_t p = port();
  address first = send("churn", p);
  int chosen = first == pod(family, 1) ? 1 : 2;
  ASSERT_TRUE(first == pod(family, 1) || first == pod(family, 2));
  set_backends("churn", {chosen == 1 ? 2 : 1, 3});  // the chosen backend leaves
  EXPECT_EQ(send("churn", p, 0x10), first) << "established flow moved";
  if (proto == protocol::tcp) {
    EXPECT_NE(send("churn", p, 0x02), first) << "a new SYN must take a fresh pick";
  }
  for (int i = 0; i < 8; ++i) EXPECT_NE(send("churn", port()), first) << "new flow to a removed backend";
  set_backends("churn", {1, 2});
}

// In XDP mode tc ingress finishes what XDP hands it. Where XDP can mark those packets
// (XDP metadata), tc takes only the marked ones; where the kernel refuses XDP the mark
// (module::xdp_marks_punts), tc takes every packet XDP passed up, without counting its
// passes again.
TEST_P(scenario, tc_ingress_in_xdp_mode_takes_only_what_xdp_handed_it) {
  if (h != hook::tc) GTEST_SKIP() << "tc ingress only";
  auto c = w->mod->maps().config();
  ASSERT_TRUE(c.ok());
  abi::config cfg = *c;
  cfg.flags |= abi::CFG_F_XDP;
  ASSERT_FALSE(w->mod->maps().put_config(cfg));
  const bytes service = ether(w->up0_mac, w->router_mac, testpkt::ip(w->client(family), vip(family, "local"), flow(port(), 0x02)));
  const bytes other = ether(w->up0_mac, w->router_mac, testpkt::ip(w->client(family), pod(family, 4), flow(port(), 0x02)));
  const auto fwd_before = w->counter(abi::EV_FWD_LOCAL);
  const auto pass_before = w->counter(abi::EV_PASS);
  run_result to_service = w->run(hook::tc, false, service);
  run_result to_other = w->run(hook::tc, false, other);
  cfg.flags &= ~static_cast<std::uint32_t>(abi::CFG_F_XDP);
  ASSERT_FALSE(w->mod->maps().put_config(cfg));

  EXPECT_EQ(to_other.retval, w->expected_retval(hook::tc, verdict::pass));
  EXPECT_EQ(testpkt::hex(to_other.out), testpkt::hex(other));
  EXPECT_EQ(w->counter(abi::EV_PASS), pass_before) << "XDP counted it";
  if (w->mod->xdp_marks_punts()) {
    EXPECT_EQ(to_service.retval, w->expected_retval(hook::tc, verdict::pass)) << "unmarked: XDP's to handle";
    EXPECT_EQ(testpkt::hex(to_service.out), testpkt::hex(service));
    EXPECT_EQ(w->counter(abi::EV_FWD_LOCAL), fwd_before);
  } else {
    EXPECT_EQ(to_service.retval, w->expected_retval(hook::tc, verdict::redirect)) << "no mark here: tc serves it";
    EXPECT_EQ(testpkt::verify(to_service.out), "");
    EXPECT_EQ(w->counter(abi::EV_FWD_LOCAL), fwd_before + 1);
  }
}

TEST_P(scenario, reply_leaves_with_the_frontend_as_source) {
  std::uint16_t p = port();
  address backend = send("local", p);
  l4 reply = flow(8080, 0x12);
  reply.dport = p;
  bytes out_frame = ether(w->router_mac, w->up0_mac, testpkt::ip(backend, w->client(family), reply));
  run_result r = w->run(hook::tc, true, out_frame);
  EXPECT_EQ(r.retval, w->expected_retval(hook::tc, verdict::pass));
  l4 want = reply;
  want.sport = service_port(proto);
  EXPECT_EQ(testpkt::hex(r.out), testpkt::hex(ether(w->router_mac, w->up0_mac, testpkt::ip(vip(family, "local"), w->client(family), want))));
  EXPECT_EQ(testpkt::verify(r.out), "");
}

// RFC 1191 / RFC 8201: a router between us and the client reports a reply too big; the
// error goes to the frontend address and must reach the backend that sent the reply.
TEST_P(scenario, icmp_error_about_a_reply_reaches_the_backend) {
  std::uint16_t p = port();
  address backend = send("local", p);
  l4 reply = flow(service_port(proto), 0x10);
  reply.dport = p;
  bytes sent = testpkt::ip(vip(family, "local"), w->client(family), reply);
  address router = family == 4 ? w->router4 : w->router6;
  std::uint8_t type = family == 4 ? 3 : 2, code = family == 4 ? 4 : 0;
  bytes in = ether(w->up0_mac, w->router_mac, testpkt::icmp_error(router, vip(family, "local"), type, code, 1400, sent));
  std::uint64_t before = w->counter(abi::EV_ICMP_IN);
  run_result r = w->run(h, false, in);
  EXPECT_EQ(r.retval, w->expected_retval(h, verdict::redirect));
  l4 as_sent = reply;
  as_sent.sport = 8080;
  bytes want = ether(w->pod1_mac, w->pod0_mac,
                     testpkt::icmp_error(router, backend, type, code, 1400, testpkt::ip(backend, w->client(family), as_sent)));
  EXPECT_EQ(testpkt::hex(r.out), testpkt::hex(want));
  EXPECT_EQ(testpkt::verify(r.out), "");
  EXPECT_EQ(w->counter(abi::EV_ICMP_IN), before + 1);
}

// The backend (or this node) reports an error about a client's packet: the client must
// see the frontend in it, as the sender and inside the quote.
TEST_P(scenario, icmp_error_towards_the_client_names_the_frontend) {
  std::uint16_t p = port();
  address backend = send("local", p);
  l4 fwd = flow(p, 0x10);
  fwd.dport = 8080;
  bytes received = testpkt::ip(w->client(family), backend, fwd);
  std::uint8_t type = family == 4 ? 3 : 1, code = family == 4 ? 3 : 4;
  for (bool from_backend : {true, false}) {
    address sender = from_backend ? backend : w->node(family);
    bytes out_frame = ether(w->router_mac, w->up0_mac, testpkt::icmp_error(sender, w->client(family), type, code, 0, received));
    run_result r = w->run(hook::tc, true, out_frame);
    EXPECT_EQ(r.retval, w->expected_retval(hook::tc, verdict::pass));
    l4 orig = fwd;
    orig.dport = service_port(proto);
    bytes want = ether(w->router_mac, w->up0_mac,
                       testpkt::icmp_error(from_backend ? vip(family, "local") : sender, w->client(family), type, code, 0,
                                           testpkt::ip(w->client(family), vip(family, "local"), orig)));
    EXPECT_EQ(testpkt::hex(r.out), testpkt::hex(want)) << (from_backend ? "from the backend" : "from the node");
    EXPECT_EQ(testpkt::verify(r.out), "");
  }
}

// The program's pick is row[flow_hash % M] of the row user space wrote.
TEST_P(scenario, maglev_pick_matches_user_space) {
  std::string name = "maglev" + std::to_string(family) + (proto == protocol::tcp ? "/tcp" : "/udp");
  auto id = w->rec->service_id(name);
  ASSERT_TRUE(id);
  auto services = w->mod->maps().services();
  ASSERT_TRUE(services.ok());
  const auto& sv = services->at(*id);
  auto row = w->mod->maps().row(sv.row_offset, sv.maglev_size);
  ASSERT_TRUE(row.ok()) << row.err().message;
  ASSERT_EQ(row->size(), sv.maglev_size);
  auto backends = w->mod->maps().backends();
  ASSERT_TRUE(backends.ok());
  std::set<std::string> seen;
  for (int i = 0; i < 24; ++i) {
    std::uint16_t p = port();
    auto hsh = maglev::flow_hash(w->client(family), vip(family, "maglev"), p, service_port(proto), proto);
    const auto& b = backends->at((*row)[hsh % sv.maglev_size]);
    std::array<std::uint8_t, 16> raw{};
    std::memcpy(raw.data(), b.addr.w, 16);
    address predicted = address::v6(raw);
    address got = send("maglev", p);
    EXPECT_EQ(got, predicted);
    seen.insert(got.to_string());
  }
  EXPECT_GT(seen.size(), 1u) << "24 flows all on one of four backends";
}

// The slots are mapped into the process a chunk of 1 MiB at a time as rows reach them
// (libbpf_map_ops): a row written across two chunks is what the kernel holds.
TEST_P(scenario, a_row_across_two_chunks_of_the_slots_reaches_the_kernel) {
  auto& maps = w->mod->maps();
  const std::uint32_t offset = (1u << 20) / 4 - 4;  // the first chunk ends 4 slots later
  std::vector<std::uint32_t> row(12);
  for (std::uint32_t i = 0; i < row.size(); ++i) row[i] = 1000 + i;
  ASSERT_FALSE(maps.put_row(offset, row));
  auto back = maps.row(offset, static_cast<std::uint32_t>(row.size()));
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_EQ(*back, row);
  const int fd = bpf_obj_get((w->pin_root + "/maglev").c_str());
  ASSERT_GE(fd, 0);
  for (std::uint32_t k = offset / 2; k < (offset + 12) / 2; ++k) {
    std::uint32_t pair[2] = {0, 0};  // element k holds slots 2k and 2k + 1
    ASSERT_EQ(bpf_map_lookup_elem(fd, &k, pair), 0);
    EXPECT_EQ(pair[0], row[2 * k - offset]);
    EXPECT_EQ(pair[1], row[2 * k + 1 - offset]);
  }
  close(fd);
  ASSERT_FALSE(maps.put_row(offset, std::vector<std::uint32_t>(row.size(), 0)));
}

TEST_P(scenario, affinity_sends_a_client_back_to_its_backend) {
  address first = send("affinity", port());
  for (int i = 0; i < 12; ++i) EXPECT_EQ(send("affinity", port()), first);
  EXPECT_GE(w->counter(abi::EV_AFFINITY_HIT), 12u);
}

std::string name_of(const ::testing::TestParamInfo<param>& info) {
  auto [h, family, proto] = info.param;
  return std::string(h == hook::xdp ? "xdp" : "tc") + "_v" + std::to_string(family) + (proto == protocol::tcp ? "_tcp" : "_udp");
}

// IPv4 frontends and flows live in the compact-key maps frontends4 and conntrack4; map_ops
// reads both pairs back in the wide form, so views and the reconciler see one table.
TEST_P(scenario, maps_read_back_in_the_wide_form) {
  const std::uint16_t p = port();
  const address backend = send("local", p);
  auto same = [](const abi::addr16& a, const address& b) { return std::memcmp(&a, b.bytes().data(), 16) == 0; };
  auto ct = w->mod->maps().conntrack();
  ASSERT_TRUE(ct) << ct.err().message;
  int forward = 0;
  for (const auto& [k, v] : *ct)
    if (k.dir == abi::CT_FORWARD && k.sport == htons(p) && same(k.src, w->client(family)) &&
        same(k.dst, vip(family, "local"))) {
      ++forward;
      EXPECT_TRUE(same(v.addr, backend));
    }
  EXPECT_EQ(forward, 1) << "the flow's forward entry, read back";
  auto fe = w->mod->maps().frontends();
  ASSERT_TRUE(fe) << fe.err().message;
  EXPECT_TRUE(std::any_of(fe->begin(), fe->end(), [&](const auto& e) { return same(e.first.addr, vip(family, "local")); }));
}

// An established flow's conntrack entry caches its next hop, and drops it when the entry's
// clock is refreshed (once a second): a changed neighbour reaches the flow within about a
// second, and the packets between skip the FIB lookup.
TEST_P(scenario, a_changed_neighbour_reaches_an_established_flow_within_a_second) {
  const std::uint16_t p = port();
  auto frame = [&](std::uint8_t flags) {
    return ether(w->up0_mac, w->router_mac, testpkt::ip(w->client(family), vip(family, "local"), flow(p, flags)));
  };
  auto dmac = [](const bytes& f) { return f.size() < 6 ? bytes() : bytes(f.begin(), f.begin() + 6); };
  const bytes pod_mac{2, 0, 0, 0, 2, 1}, moved_mac{2, 0, 0, 0, 2, 7};
  run_result r = w->run(h, false, frame(0x02));
  ASSERT_EQ(dmac(r.out), pod_mac);
  const address backend = dst_of(r.out);
  ASSERT_TRUE(backend == pod(family, 1));
  r = w->run(h, false, frame(0x10));  // the first packet that finds the entry caches the next hop
  ASSERT_EQ(dmac(r.out), pod_mac);
  auto neigh = [&](const char* lladdr) {
    const std::string cmd = "ip neigh replace " + backend.to_string() + " lladdr " + lladdr + " dev pod0 nud permanent";
    return std::system(cmd.c_str()) == 0;
  };
  // the pod's neighbour entry moves to another address, and is put back whatever happens
  // below: every other test sends to this pod
  struct put_back {
    std::function<bool(const char*)> neigh;
    ~put_back() { neigh("02:00:00:00:02:01"); }
  } restore{neigh};
  ASSERT_TRUE(neigh("02:00:00:00:02:07"));
  r = w->run(h, false, frame(0x10));
  EXPECT_EQ(dmac(r.out), pod_mac) << "the next hop cached a moment ago";

  // the entry's clock, two seconds back (2,000 ticks of 2^20 ns)
  const std::string path = w->pin_root + (family == 4 ? "/conntrack4" : "/conntrack");
  const int fd = bpf_obj_get(path.c_str());
  ASSERT_GE(fd, 0) << path;
  abi::ct_key wide{};
  abi::ct4_key narrow{};
  std::memcpy(&wide.src, w->client(family).bytes().data(), 16);
  std::memcpy(&wide.dst, vip(family, "local").bytes().data(), 16);
  wide.sport = narrow.sport = htons(p);
  wide.dport = narrow.dport = htons(service_port(proto));
  wide.proto = narrow.proto = proto == protocol::tcp ? IPPROTO_TCP : IPPROTO_UDP;
  wide.dir = narrow.dir = abi::CT_FORWARD;
  narrow.src = wide.src.w[3];
  narrow.dst = wide.dst.w[3];
  const void* key = family == 4 ? static_cast<const void*>(&narrow) : static_cast<const void*>(&wide);
  abi::ct_value v{};
  ASSERT_EQ(bpf_map_lookup_elem(fd, key, &v), 0);
  EXPECT_NE(v.fib_ifindex, 0u) << "a forward entry caches its next hop";
  v.last_seen -= 2000;
  ASSERT_EQ(bpf_map_update_elem(fd, key, &v, BPF_EXIST), 0);
  close(fd);

  r = w->run(h, false, frame(0x10));
  EXPECT_EQ(dmac(r.out), moved_mac) << "the next hop looked up again after the refresh";
  EXPECT_TRUE(dst_of(r.out) == backend) << "the flow keeps its backend";
}

// The per-service counters that /metrics reads in batches of the per-CPU array are those
// a lookup per id reads, and they count the packet just sent.
TEST_P(scenario, service_counters_read_in_batches) {
  const std::string name = "local" + std::to_string(family) + (proto == protocol::tcp ? "/tcp" : "/udp");
  const auto id = w->rec->service_id(name);
  ASSERT_TRUE(id) << name;
  auto one = w->mod->maps().service_stats(*id);
  ASSERT_TRUE(one) << one.err().message;
  send("local", port());
  auto all = w->mod->maps().all_service_stats();
  ASSERT_TRUE(all) << all.err().message;
  ASSERT_EQ(all->size(), w->mod->maps().limits().services);
  EXPECT_EQ((*all)[*id].packets, one->packets + 1);
  EXPECT_GT((*all)[*id].bytes, one->bytes);
  auto c = read_service_counters(w->mod->maps(), *w->rec);
  ASSERT_TRUE(c) << c.err().message;
  EXPECT_EQ(c->size(), w->rec->programmed_count());
  for (const auto& s : *c) {
    auto each = w->mod->maps().service_stats(s.id);
    ASSERT_TRUE(each) << each.err().message;
    EXPECT_EQ(s.stats.packets, each->packets) << s.name;
    EXPECT_EQ(s.stats.bytes, each->bytes) << s.name;
    EXPECT_EQ(s.stats.new_flows, each->new_flows) << s.name;
    EXPECT_EQ(s.stats.drops, each->drops) << s.name;
  }
}

INSTANTIATE_TEST_SUITE_P(bpf, scenario,
                         ::testing::Combine(::testing::Values(hook::xdp, hook::tc), ::testing::Values(4, 6),
                                            ::testing::Values(protocol::tcp, protocol::udp)),
                         name_of);

// The backends array and the per-service counters are read a batch of 4,096 slots at a
// time (libbpf_map_ops): a slot in the second batch and the map's last slot are read too.
TEST_P(scenario, maps_are_read_back_in_batches_to_the_last_slot) {
  if (family != 4 || proto != protocol::tcp) GTEST_SKIP() << "one run is enough: the maps are the family's and protocol's";
  auto& maps = w->mod->maps();
  const auto limits = maps.limits();
  ASSERT_GT(limits.backends, 4097u);
  ASSERT_GT(limits.services, 4097u);
  const std::vector<std::uint32_t> ids{4096, 4097, limits.backends - 1};
  auto before = maps.backends();
  ASSERT_TRUE(before) << before.err().message;
  for (auto id : ids) ASSERT_EQ(before->count(id), 0u) << "slot " << id << " is the reconciler's";
  abi::backend_value v{};
  v.flags = abi::BE_F_USED;
  v.port = htons(8080);
  for (auto id : ids) {
    v.svc_id = id;
    ASSERT_FALSE(maps.put_backend(id, v));
  }
  auto after = maps.backends();
  abi::backend_value unused{};
  for (auto id : ids) ASSERT_FALSE(maps.put_backend(id, unused));  // back as they were, whatever the checks say
  ASSERT_TRUE(after) << after.err().message;
  EXPECT_EQ(after->size(), before->size() + ids.size());
  for (auto id : ids) {
    ASSERT_EQ(after->count(id), 1u) << "slot " << id;
    EXPECT_EQ(after->at(id).svc_id, id);
  }

  const std::string path = w->pin_root + "/service_stats";
  const int fd = bpf_obj_get(path.c_str());
  ASSERT_GE(fd, 0) << path;
  const std::uint32_t last = limits.services - 1;
  std::vector<abi::service_stats> per_cpu(static_cast<std::size_t>(libbpf_num_possible_cpus()));
  for (std::size_t c = 0; c < per_cpu.size(); ++c) per_cpu[c].packets = 10 + c;
  const int rc = bpf_map_update_elem(fd, &last, per_cpu.data(), BPF_ANY);
  close(fd);
  ASSERT_EQ(rc, 0);
  auto all = maps.all_service_stats();
  ASSERT_FALSE(maps.reset_service_stats(last));
  ASSERT_TRUE(all) << all.err().message;
  ASSERT_EQ(all->size(), limits.services);
  std::uint64_t want = 0;
  for (std::size_t c = 0; c < per_cpu.size(); ++c) want += 10 + c;
  EXPECT_EQ((*all)[last].packets, want);
}

// A second load of the program (a restarted speaker) reuses the pinned maps: flows keep
// their backends and the reconciler finds nothing to write.
TEST(bpf_reload, flows_and_services_survive_a_reload) {
  BGPLB_NEED_WORLD(w);
  const int family = 4;
  l4 t;
  t.sport = 39999;
  t.dport = 80;
  t.tcp_flags = 0x02;
  bytes syn = ether(w->up0_mac, w->router_mac, testpkt::ip(w->client(family), vip(family, "churn"), t));
  run_result first = w->run(hook::xdp, false, syn);
  ASSERT_EQ(first.retval, w->expected_retval(hook::xdp, verdict::redirect));

  load_options lo;
  lo.pin_root = w->pin_root;
  auto again = module::load(lo);
  ASSERT_TRUE(again.ok()) << again.err().message;
  auto rec = reconciler::open((*again)->maps());
  ASSERT_TRUE(rec.ok());
  auto rep = (*rec)->apply(w->state);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->writes, 0u) << "the maps already hold every service";

  t.tcp_flags = 0x10;
  bytes ack = ether(w->up0_mac, w->router_mac, testpkt::ip(w->client(family), vip(family, "churn"), t));
  run_result second = w->run(hook::xdp, false, ack, again->get());
  ASSERT_EQ(second.retval, w->expected_retval(hook::xdp, verdict::redirect));
  EXPECT_EQ(bytes(second.out.begin() + 30, second.out.begin() + 34), bytes(first.out.begin() + 30, first.out.begin() + 34))
      << "the reloaded program sent the flow elsewhere";
  w->apply();  // the first module's view of the config flags
}

// Maps pinned by a bgplb of another ABI version (an upgrade that changed a layout) are
// refused by name before libbpf tries to reuse them, with what to do about it.
TEST(bpf_load, maps_of_another_abi_version_are_refused_with_the_way_out) {
  BGPLB_NEED_WORLD(w);
  const std::string root = w->pin_root + "-abi";
  ASSERT_EQ(mkdir(root.c_str(), 0700), 0) << root;
  const std::string config = root + "/config";
  auto pin_config = [&](std::uint32_t value_size, std::uint16_t version) {
    const int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "config", 4, value_size, 1, nullptr);
    ASSERT_GE(fd, 0);
    std::vector<std::uint8_t> value(value_size);
    if (value_size >= offsetof(abi::config, abi_version) + sizeof version)
      std::memcpy(value.data() + offsetof(abi::config, abi_version), &version, sizeof version);
    const std::uint32_t zero = 0;
    ASSERT_EQ(bpf_map_update_elem(fd, &zero, value.data(), BPF_ANY), 0);
    ASSERT_EQ(bpf_obj_pin(fd, config.c_str()), 0) << config;
    close(fd);
  };
  load_options lo;
  lo.pin_root = root;
  lo.max_services = 16;
  lo.max_backends = 16;
  lo.conntrack_entries = 64;
  lo.affinity_entries = 16;
  lo.maglev_slots = 1024;

  pin_config(sizeof(abi::config), BGPLB_ABI_VERSION - 1);
  auto old = module::load(lo);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.err().message.find("have ABI version " + std::to_string(BGPLB_ABI_VERSION - 1) + ", this program needs " +
                                   std::to_string(BGPLB_ABI_VERSION)),
            std::string::npos)
      << old.err().message;
  EXPECT_NE(old.err().message.find("bgplb dataplane detach"), std::string::npos) << old.err().message;
  unlink(config.c_str());

  pin_config(40, 1);  // a config of another layout altogether
  auto other = module::load(lo);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.err().message.find("ABI version unknown (a config of 40 bytes)"), std::string::npos)
      << other.err().message;
  unlink(config.c_str());

  auto fresh = module::load(lo);  // nothing pinned: loads, and uninstall leaves nothing
  ASSERT_TRUE(fresh.ok()) << fresh.err().message;
  fresh->reset();
  EXPECT_FALSE(uninstall(root).has_value());
  struct stat st {};
  EXPECT_NE(stat(root.c_str(), &st), 0) << root << " is still there";
}

}  // namespace
}  // namespace dataplane::testrun
