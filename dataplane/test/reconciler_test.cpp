// The reconciler against the in-memory maps: what it writes, that it writes only the
// difference, that no intermediate state shows a packet half a backend set, restarts,
// skipped services, and a property test over random histories.
#include "dataplane/reconciler.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "dataplane/fake_map_ops.hpp"
#include "dataplane/maglev.hpp"
#include "service_plan.hpp"

namespace dataplane {
namespace {

address a4(const char* s) { return *address::parse(s); }

backend be(const char* addr, std::uint16_t port = 8080, const char* node = nullptr, bool terminating = false) {
  backend b;
  b.addr = a4(addr);
  b.port = port;
  if (node) b.node = a4(node);
  b.terminating = terminating;
  return b;
}

service svc(std::string name, const char* vip, std::vector<backend> backends, protocol p = protocol::tcp) {
  service s;
  s.name = std::move(name);
  s.proto = p;
  s.frontends = {{a4(vip), 80}};
  s.backends = std::move(backends);
  return s;
}

desired with(std::vector<service> services, std::uint32_t m = 251) {
  desired d;
  d.services = std::move(services);
  d.maglev_size = m;
  d.node_v4 = a4("192.0.2.1");
  return d;
}

// What a packet can see right now, as backend keys of the row (or the single backend).
std::set<std::string> visible_set(const fake_map_ops& f, std::uint32_t svc_id) {
  std::set<std::string> out;
  auto s = f.service_map.find(svc_id);
  if (s == f.service_map.end()) return out;
  auto key = [&](std::uint32_t id) {
    const auto& b = f.backend_map.at(id);
    return maglev::backend_key(detail::from_addr16(b.addr), ntohs(b.port));
  };
  if (s->second.count == 1) out.insert(key(s->second.backend_id));
  if (s->second.count >= 2)
    for (std::uint32_t i = 0; i < s->second.maglev_size; ++i) out.insert(key(f.slots.at(s->second.row_offset + i)));
  return out;
}

// The invariants a packet relies on, checked after every single write.
void check_whole(const fake_map_ops& f) {
  for (const auto& [k, v] : f.frontend_map) ASSERT_TRUE(f.service_map.count(v.svc_id)) << "frontend without service";
  std::map<std::uint32_t, std::uint32_t> rows;  // offset -> end, of every live row
  for (const auto& [id, s] : f.service_map)
    if (s.count >= 2) {
      ASSERT_EQ(s.row_offset % 2, 0u);
      rows[s.row_offset] = s.row_offset + s.maglev_size;
    }
  for (auto it = rows.begin(); it != rows.end() && std::next(it) != rows.end(); ++it)
    ASSERT_LE(it->second, std::next(it)->first) << "two services' rows overlap";
  for (const auto& [id, s] : f.service_map) {
    if (s.count == 1) {
      ASSERT_TRUE(f.backend_map.count(s.backend_id)) << "single backend slot empty";
      ASSERT_EQ(f.backend_map.at(s.backend_id).svc_id, id);
    }
    if (s.count >= 2) {
      ASSERT_LE(s.row_offset + s.maglev_size, f.slots.size()) << "row outside the slots";
      std::set<std::uint32_t> ids(f.slots.begin() + s.row_offset, f.slots.begin() + s.row_offset + s.maglev_size);
      ASSERT_EQ(ids.size(), s.count) << "row does not hold exactly the service's backends";
      for (auto bid : ids) {
        ASSERT_TRUE(f.backend_map.count(bid)) << "row refers to an empty backend slot";
        ASSERT_EQ(f.backend_map.at(bid).svc_id, id);
      }
    }
  }
}

struct rig {
  fake_map_ops maps{map_limits{64, 512, 1 << 18}};
  std::unique_ptr<reconciler> r;
  rig() {
    maps.after_write = check_whole;
    r = std::move(*reconciler::open(maps));
  }
  apply_report apply(const desired& d) {
    auto rep = r->apply(d);
    EXPECT_TRUE(rep.ok()) << (rep.ok() ? "" : rep.err().message);
    return rep.ok() ? *rep : apply_report{};
  }
};

TEST(reconciler, programs_a_service) {
  rig t;
  auto rep = t.apply(with({svc("web", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.2"), be("10.1.0.3", 8080, "192.0.2.2")})}));
  EXPECT_TRUE(rep.skipped.empty());
  EXPECT_EQ(rep.rows_built, 1u);
  ASSERT_EQ(t.maps.frontend_map.size(), 1u);
  const auto& [fk, fv] = *t.maps.frontend_map.begin();
  EXPECT_EQ(ntohs(fk.port), 80);
  EXPECT_EQ(fk.proto, IPPROTO_TCP);
  const auto& s = t.maps.service_map.at(fv.svc_id);
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.maglev_size, 251u);
  EXPECT_EQ(visible_set(t.maps, fv.svc_id).size(), 3u);
  int remote = 0;
  for (const auto& [id, b] : t.maps.backend_map) remote += (b.flags & abi::BE_F_REMOTE) != 0;
  EXPECT_EQ(remote, 1);
  EXPECT_TRUE(t.maps.config_value.flags & abi::CFG_F_HAVE_SRC4);
  EXPECT_EQ(ntohs(t.maps.config_value.gue_port), 6080);
}

TEST(reconciler, second_apply_writes_nothing) {
  rig t;
  auto d = with({svc("a", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.2")}),
                 svc("b", "198.51.100.2", {be("10.1.0.3")})});
  t.apply(d);
  auto rep = t.apply(d);
  EXPECT_EQ(rep.writes, 0u);
  EXPECT_EQ(rep.services_changed, 0u);
}

TEST(reconciler, one_endpoint_change_touches_one_service) {
  rig t;
  std::vector<service> many;
  for (int i = 0; i < 20; ++i)
    many.push_back(svc("s" + std::to_string(100 + i), ("198.51.100." + std::to_string(i + 1)).c_str(),
                       {be("10.1.0.1"), be("10.1.0.2")}));
  auto d = with(many);
  t.apply(d);
  d.services[7].backends[1] = be("10.1.0.9");
  auto rep = t.apply(d);
  EXPECT_EQ(rep.services_changed, 1u);
  EXPECT_EQ(rep.rows_built, 1u);
  // new backend slot, new row, the swap, old backend slot freed (the old row's slots are
  // only bookkeeping)
  EXPECT_EQ(rep.writes, 4u);
}

// At every write of an update, the service shows its old backend set or its new one.
TEST(reconciler, a_packet_sees_the_old_set_or_the_new_one) {
  rig t;
  t.apply(with({svc("web", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.2"), be("10.1.0.3")})}));
  std::uint32_t id = *t.r->service_id("web");
  auto before = visible_set(t.maps, id);
  auto d = with({svc("web", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.4"), be("10.1.0.5"), be("10.1.0.6")})});
  std::set<std::string> after;
  for (const auto& b : d.services[0].backends) after.insert(maglev::backend_key(b.addr, b.port));
  int states = 0;
  t.maps.after_write = [&](const fake_map_ops& f) {
    check_whole(f);
    auto now = visible_set(f, id);
    EXPECT_TRUE(now == before || now == after);
    ++states;
  };
  t.apply(d);
  EXPECT_GE(states, 4);
  EXPECT_EQ(visible_set(t.maps, id), after);
}

TEST(reconciler, terminating_backends_take_no_new_flows_unless_none_is_ready) {
  rig t;
  auto d = with({svc("web", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.2", 8080, nullptr, true)})});
  t.apply(d);
  std::uint32_t id = *t.r->service_id("web");
  EXPECT_EQ(visible_set(t.maps, id), (std::set<std::string>{maglev::backend_key(a4("10.1.0.1"), 8080)}));
  d.services[0].backends[0].terminating = true;
  t.apply(d);
  EXPECT_EQ(visible_set(t.maps, id).size(), 2u);  // KEP-1669: all serving-terminating ones
  d.services[0].backends.clear();
  t.apply(d);
  EXPECT_EQ(t.maps.service_map.at(id).count, 0u);  // answers ICMP unreachable
  EXPECT_TRUE(t.maps.backend_map.empty());
}

TEST(reconciler, local_policy_keeps_this_nodes_backends) {
  rig t;
  auto s = svc("web", "198.51.100.1", {be("10.1.0.1"), be("10.2.0.1", 8080, "192.0.2.2"), be("10.1.0.2")});
  s.policy = traffic_policy::local;
  t.apply(with({s}));
  std::uint32_t id = *t.r->service_id("web");
  EXPECT_EQ(visible_set(t.maps, id).size(), 2u);
  EXPECT_TRUE(t.maps.service_map.at(id).flags & abi::SVC_F_LOCAL);
}

// Two nodes, one Cluster service: one sees a backend as local, the other as remote; the
// rows (as backend identities) are the same, so a moved flow keeps its backend.
TEST(reconciler, every_node_builds_the_same_row) {
  rig n1, n2;
  auto on1 = svc("web", "198.51.100.1", {be("10.1.0.7"), be("10.2.0.3", 8080, "192.0.2.2"), be("10.1.0.2")});
  auto on2 = svc("web", "198.51.100.1", {be("10.2.0.3"), be("10.1.0.2", 8080, "192.0.2.1"), be("10.1.0.7", 8080, "192.0.2.1")});
  n1.apply(with({on1}, 65537));
  n2.apply(with({on2}, 65537));
  auto row_keys = [](const fake_map_ops& f) {
    const auto& s = f.service_map.begin()->second;
    std::vector<std::string> keys;
    for (std::uint32_t i = 0; i < s.maglev_size; ++i) {
      const auto& b = f.backend_map.at(f.slots.at(s.row_offset + i));
      keys.push_back(maglev::backend_key(detail::from_addr16(b.addr), ntohs(b.port)));
    }
    return keys;
  };
  EXPECT_EQ(row_keys(n1.maps), row_keys(n2.maps));
}

TEST(reconciler, affinity_and_source_ranges) {
  rig t;
  auto s = svc("web", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.2")});
  s.affinity_timeout = 10800;
  s.source_ranges = {*prefix::parse("203.0.113.0/24"), *prefix::parse("2001:db8::/32")};
  t.apply(with({s}));
  std::uint32_t id = *t.r->service_id("web");
  const auto& v = t.maps.service_map.at(id);
  EXPECT_TRUE(v.flags & abi::SVC_F_AFFINITY);
  EXPECT_EQ(v.affinity_timeout, 10800u);
  EXPECT_EQ(t.maps.frontend_map.begin()->second.flags, static_cast<std::uint32_t>(abi::FE_F_SOURCE_RANGES));
  ASSERT_EQ(t.maps.range_set.size(), 1u);  // the IPv6 range cannot match an IPv4 service
  EXPECT_EQ(t.maps.range_set.begin()->prefixlen, 32u + 96u + 24u);
  s.source_ranges.clear();
  t.apply(with({s}));
  EXPECT_EQ(t.maps.frontend_map.begin()->second.flags, 0u);
  EXPECT_TRUE(t.maps.range_set.empty());
}

TEST(reconciler, skips_what_it_cannot_express_and_keeps_the_rest) {
  rig t;
  auto sctp = svc("sctp", "198.51.100.3", {be("10.1.0.1")}, static_cast<protocol>(132));
  std::vector<backend> crowd;
  for (int i = 1; i <= 7; ++i) crowd.push_back(be(("10.3.0." + std::to_string(i)).c_str()));
  auto big = svc("big", "198.51.100.4", crowd);
  auto clash = svc("zz-clash", "198.51.100.1", {be("10.1.0.9")});
  auto mixed = svc("mixed", "198.51.100.5", {be("10.1.0.1")});
  mixed.backends.push_back({*address::parse("2001:db8::1"), 80, std::nullopt, false});
  auto rep = t.apply(with({svc("web", "198.51.100.1", {be("10.1.0.1")}), sctp, big, clash, mixed}, 7));
  std::map<std::string, std::string> why;
  for (const auto& s : rep.skipped) why[s.name] = s.reason;
  EXPECT_EQ(why.size(), 4u);
  EXPECT_EQ(why["sctp"], "only TCP and UDP are supported");
  EXPECT_EQ(why["big"], "7 backends do not fit a Maglev row of 7");
  EXPECT_EQ(why["zz-clash"], "frontend 198.51.100.1:80/tcp belongs to web");
  EXPECT_EQ(why["mixed"], "backend 2001:db8::1 is not of the frontends' family");
  EXPECT_EQ(t.maps.service_map.size(), 1u);
}

// A restarted process adopts what the maps hold: nothing is rewritten, rows stay.
TEST(reconciler, restart_rewrites_nothing) {
  rig t;
  auto d = with({svc("a", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.2"), be("10.1.0.3")}),
                 svc("b", "198.51.100.2", {be("10.1.0.4")})});
  t.apply(d);
  auto services = t.maps.service_map;
  auto again = reconciler::open(t.maps);
  ASSERT_TRUE(again.ok());
  auto rep = (*again)->apply(d);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->writes, 0u);
  EXPECT_EQ(t.maps.service_map.size(), services.size());
  for (const auto& [id, v] : services) EXPECT_TRUE(pod_equal(t.maps.service_map.at(id), v)) << "rows moved";
  // and it carries on from there
  d.services[0].backends.pop_back();
  rep = (*again)->apply(d);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->services_changed, 1u);
}

// A row no service refers to is free space after a restart; overlapping rows are refused.
TEST(reconciler, open_checks_the_rows_it_adopts) {
  fake_map_ops maps(map_limits{64, 512, 1024});
  abi::service_value v{};
  v.count = 2;
  v.maglev_size = 7;
  v.row_offset = 10;
  maps.service_map[1] = v;
  maps.service_map[2] = v;  // the same slots
  auto r = reconciler::open(maps);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.err().message.find("overlaps"), std::string::npos);
  maps.service_map.erase(2);
  EXPECT_TRUE(reconciler::open(maps).ok());
}

// The slots run out: the service that does not fit is refused with the reason, the rest
// keep working, and freed slots serve again.
TEST(reconciler, maglev_slots_run_out) {
  fake_map_ops maps(map_limits{64, 512, 256});  // room for two rows of 127 (each 128 slots)
  auto r = std::move(*reconciler::open(maps));
  auto d = with({svc("a", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.2")}),
                 svc("b", "198.51.100.2", {be("10.1.0.3"), be("10.1.0.4")})}, 127);
  ASSERT_TRUE(r->apply(d).ok());
  d.services.push_back(svc("c", "198.51.100.3", {be("10.1.0.5"), be("10.1.0.6")}));
  auto rep = r->apply(d);
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(rep->skipped.size(), 1u);
  EXPECT_EQ(rep->skipped[0].name, "c");
  EXPECT_NE(rep->skipped[0].reason.find("no room for a Maglev row of 127"), std::string::npos) << rep->skipped[0].reason;
  EXPECT_EQ(maps.service_map.size(), 2u);
  EXPECT_EQ(maps.frontend_map.size(), 2u);  // c has no frontend without a service
  d.services.erase(d.services.begin());     // a goes; its slots serve c one operation later
  ASSERT_TRUE(r->apply(d).ok());
  rep = r->apply(d);
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->skipped.empty());
  EXPECT_EQ(maps.service_map.size(), 2u);
}

TEST(reconciler, rename_keeps_the_service) {
  rig t;
  t.apply(with({svc("old", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.2")})}));
  std::uint32_t id = *t.r->service_id("old");
  auto rep = t.apply(with({svc("new", "198.51.100.1", {be("10.1.0.1"), be("10.1.0.2")})}));
  EXPECT_EQ(*t.r->service_id("new"), id);
  EXPECT_EQ(rep.rows_built, 0u);
}

TEST(reconciler, incremental_apply_and_remove) {
  rig t;
  t.apply(with({svc("a", "198.51.100.1", {be("10.1.0.1")})}));
  auto rep = t.r->apply_service(svc("b", "198.51.100.2", {be("10.1.0.2"), be("10.1.0.3")}));
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(t.maps.service_map.size(), 2u);
  rep = t.r->apply_service(svc("c", "198.51.100.2", {be("10.1.0.4")}));
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(rep->skipped.size(), 1u);
  EXPECT_EQ(rep->skipped[0].reason, "frontend 198.51.100.2:80/tcp belongs to b");
  rep = t.r->remove_service("b");
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(t.maps.service_map.size(), 1u);
  EXPECT_EQ(t.maps.frontend_map.size(), 1u);
}

// ---- property test --------------------------------------------------------------------

// The maps a desired state calls for, computed without the reconciler: every frontend
// names a service whose visible backend set is exactly its eligible backends, laid out
// by maglev::populate over the sorted keys; nothing else is in the maps.
void expect_maps_match(const fake_map_ops& f, const desired& d, const std::set<std::string>& skipped) {
  std::size_t services = 0, backends = 0, frontends = 0, ranges = 0;
  for (const auto& s : d.services) {
    if (skipped.count(s.name)) continue;
    ++services;
    std::vector<std::string> eligible;
    for (const auto& b : s.backends)
      if (!(s.policy == traffic_policy::local && b.node) && !b.terminating)
        eligible.push_back(maglev::backend_key(b.addr, b.port));
    std::sort(eligible.begin(), eligible.end());
    eligible.erase(std::unique(eligible.begin(), eligible.end()), eligible.end());
    std::uint32_t id = 0;
    for (const auto& fr : s.frontends) {
      auto it = f.frontend_map.find(detail::frontend_key(fr, s.proto));
      ASSERT_NE(it, f.frontend_map.end()) << s.name;
      if (id) {
        ASSERT_EQ(it->second.svc_id, id);
      }
      id = it->second.svc_id;
      ++frontends;
    }
    const auto& v = f.service_map.at(id);
    ASSERT_EQ(v.count, eligible.size()) << s.name;
    backends += eligible.size();
    if (eligible.size() >= 2) {
      auto want = maglev::populate(eligible, d.maglev_size);
      ASSERT_EQ(v.maglev_size, want.size());
      for (std::size_t i = 0; i < want.size(); ++i) {
        const auto& b = f.backend_map.at(f.slots.at(v.row_offset + i));
        ASSERT_EQ(maglev::backend_key(detail::from_addr16(b.addr), ntohs(b.port)), eligible[want[i]]);
      }
    } else if (eligible.size() == 1) {
      const auto& b = f.backend_map.at(v.backend_id);
      ASSERT_EQ(maglev::backend_key(detail::from_addr16(b.addr), ntohs(b.port)), eligible[0]);
    }
    ASSERT_EQ((v.flags & abi::SVC_F_AFFINITY) != 0, s.affinity_timeout.has_value());
    ranges += s.source_ranges.size();
  }
  EXPECT_EQ(f.service_map.size(), services);
  EXPECT_EQ(f.backend_map.size(), backends);
  EXPECT_EQ(f.frontend_map.size(), frontends);
  EXPECT_EQ(f.range_set.size(), ranges);
}

desired random_desired(std::mt19937& rng) {
  desired d;
  d.maglev_size = 31;
  d.node_v4 = a4("192.0.2.1");
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  int n = pick(8);
  std::set<int> vips;
  for (int i = 0; i < n; ++i) {
    int vip = pick(12);
    if (!vips.insert(vip).second) continue;  // one owner per frontend
    service s;
    s.name = "svc" + std::to_string(pick(10));
    bool dup = false;
    for (const auto& o : d.services) dup |= o.name == s.name;
    if (dup) continue;
    s.proto = pick(2) ? protocol::tcp : protocol::udp;
    s.frontends = {{address::v4(0xc6336400u + static_cast<std::uint32_t>(vip)), static_cast<std::uint16_t>(80 + pick(2))}};
    int nb = pick(6);
    for (int b = 0; b < nb; ++b) {
      backend x;
      x.addr = address::v4(0x0a010000u + static_cast<std::uint32_t>(pick(9)));
      x.port = 8080;
      if (pick(3) == 0) x.node = a4("192.0.2.2");
      x.terminating = pick(5) == 0;
      s.backends.push_back(x);
    }
    // keep the model simple: at least one ready local-or-remote backend or none at all
    bool ready = false;
    for (const auto& b : s.backends) ready |= !b.terminating;
    if (!ready) s.backends.clear();
    if (pick(4) == 0) s.affinity_timeout = 60;
    if (pick(4) == 0) s.source_ranges = {{address::v4(0xcb007100u), 24}};
    d.services.push_back(s);
  }
  return d;
}

TEST(reconciler, property_maps_always_equal_the_desired_state) {
  std::mt19937 rng(2024);
  fake_map_ops maps(map_limits{64, 512, 4096});  // 4096 slots: the history must reuse freed rows
  maps.after_write = check_whole;
  auto r = std::move(*reconciler::open(maps));
  for (int step = 0; step < 400; ++step) {
    desired d = random_desired(rng);
    if (rng() % 10 == 0) r = std::move(*reconciler::open(maps));  // a restart
    if (rng() % 8 == 0) {  // a write fails part way: the next apply must converge
      maps.fail_at = maps.writes + static_cast<long>(rng() % 6);
      (void)r->apply(d);
      maps.fail_at = -1;
    }
    auto rep = r->apply(d);
    ASSERT_TRUE(rep.ok()) << rep.err().message;
    std::set<std::string> skipped;
    for (const auto& s : rep->skipped) skipped.insert(s.name);
    ASSERT_TRUE(skipped.empty()) << rep->skipped.front().reason;
    expect_maps_match(maps, d, skipped);
    if (HasFatalFailure()) FAIL() << "at step " << step;
  }
}

// The incremental path (apply_service, remove_service) over random histories, with
// writes failing part way and restarts: a full apply afterwards converges, and no service
// or backend id is lost on the way, so the maps then take as many services and backends
// as they have room for.
TEST(reconciler, property_incremental_histories_lose_no_id) {
  std::mt19937 rng(7);
  fake_map_ops maps(map_limits{64, 512, 4096});
  maps.after_write = check_whole;
  auto r = std::move(*reconciler::open(maps));
  for (int step = 0; step < 600; ++step) {
    desired d = random_desired(rng);
    // restarts in the first half only: reading the maps back rebuilds the id pools, which
    // would hide an id lost in the second
    if (step < 300 && rng() % 10 == 0) r = std::move(*reconciler::open(maps));
    if (rng() % 3 == 0) maps.fail_at = maps.writes + static_cast<long>(rng() % 8);
    for (const auto& s : d.services) (void)r->apply_service(s);
    for (int i = 0; i < 10; ++i) {
      const std::string name = "svc" + std::to_string(i);
      const bool wanted = std::any_of(d.services.begin(), d.services.end(), [&](const service& s) { return s.name == name; });
      if (!wanted && rng() % 2) (void)r->remove_service(name);
    }
    maps.fail_at = -1;
    if (rng() % 20 == 0) {
      auto rep = r->apply(d);
      ASSERT_TRUE(rep.ok()) << rep.err().message;
      ASSERT_TRUE(rep->skipped.empty()) << rep->skipped.front().reason;
      expect_maps_match(maps, d, {});
      if (HasFatalFailure()) FAIL() << "at step " << step;
    }
  }
  // Everything removed, then every service id (63) and every backend id (511) taken: one
  // lost id and something is skipped. (One apply would not do: it erases the services it
  // drops after it has placed the new ones.)
  auto emptied = r->apply(with({}, 31));
  ASSERT_TRUE(emptied.ok()) << emptied.err().message;
  expect_maps_match(maps, with({}, 31), {});
  desired full;
  full.maglev_size = 31;
  full.node_v4 = a4("192.0.2.1");
  std::uint32_t next_backend = 0x0a020000u;
  for (int i = 0; i < 63; ++i) {
    service s;
    s.name = "full" + std::to_string(100 + i);
    s.frontends = {{address::v4(0xc6336500u + static_cast<std::uint32_t>(i)), 80}};
    for (int b = 0; b < (i == 0 ? 15 : 8); ++b) s.backends.push_back({address::v4(next_backend++), 8080, std::nullopt, false});
    full.services.push_back(s);
  }
  auto rep = r->apply(full);
  ASSERT_TRUE(rep.ok()) << rep.err().message;
  ASSERT_TRUE(rep->skipped.empty()) << rep->skipped.front().name << ": " << rep->skipped.front().reason;
  expect_maps_match(maps, full, {});
}

}  // namespace
}  // namespace dataplane
