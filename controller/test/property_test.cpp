// Randomised property test: thousands of random pools, services and edit sequences.
// Properties: no address is given twice except by the sharing rules; every address lies
// in a pool that permits the service (or is reported stranded); a restart never moves an
// address; a service that stays never moves; the same inputs give the same output.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "controller/incremental.hpp"
#include "harness.hpp"

namespace controller::test {
namespace {

struct fake_pool {
  std::string name;
  std::string addresses;
  std::string spec;
  std::vector<model::ip_range> ranges;
  std::string only_namespace;  // serviceAllocation.namespaces, "" when unset
};

struct fake_service {
  std::string ns;
  std::string name;
  std::string sharing_key;
  std::string protocol;
  int port = 80;
  bool v6 = false;
  bool dual = false;         // PreferDualStack with a v4 and a v6 cluster IP
  std::string pool;          // metallb.io/address-pool, "" when unset
  std::string no_cluster_ip;  // spec without a cluster IP (families from ipFamilies), "" when it has one
  std::string ingress;        // status.loadBalancer.ingress ip, "" when none (inside or outside pools)
  std::string from_pool;      // metallb.io/ip-allocated-from-pool, "" when unset
};

class world {
 public:
  // `edits`: services are also modified (keys, ports, families, pool annotation), and
  // the world does nothing in some steps, so only time passes.
  explicit world(unsigned seed, bool edits = false) : rng_(seed), edits_(edits) {}

  void random_edit() {
    if (edits_) {
      const int op = pick(20);
      if (op < 7 || services_.empty()) add_service();
      else if (op < 10) services_.erase(std::next(services_.begin(), pick(static_cast<int>(services_.size()))));
      else if (op < 16) modify_service();
      else if (op < 17) add_pool();
      else if (op < 18 && !pools_.empty()) pools_.erase(std::next(pools_.begin(), pick(static_cast<int>(pools_.size()))));
      return;
    }
    const int op = pick(10);
    if (op < 5 || services_.empty()) add_service();
    else if (op < 8) services_.erase(std::next(services_.begin(), pick(static_cast<int>(services_.size()))));
    else if (op < 9 || pools_.empty()) add_pool();
    else pools_.erase(std::next(pools_.begin(), pick(static_cast<int>(pools_.size()))));
  }

  std::string manifests() const {
    std::string m;
    for (const auto& [n, p] : pools_) m += pool(p.name, p.addresses, p.spec);
    for (const auto& [k, s] : services_) {
      std::string spec = "ports: [{port: " + std::to_string(s.port) + ", protocol: " + s.protocol + "}]";
      if (!s.no_cluster_ip.empty()) spec += ", " + s.no_cluster_ip;
      else if (s.v6) spec += ", clusterIP: 'fd00:96::1'";
      else if (s.dual) spec += ", clusterIPs: ['10.96.0.1', 'fd00:96::1'], ipFamilyPolicy: PreferDualStack";
      std::string notes;
      if (!s.sharing_key.empty()) notes += "metallb.io/allow-shared-ip: " + s.sharing_key;
      if (!s.pool.empty()) notes += std::string(notes.empty() ? "" : ", ") + "metallb.io/address-pool: " + s.pool;
      if (!s.from_pool.empty()) notes += std::string(notes.empty() ? "" : ", ") + "metallb.io/ip-allocated-from-pool: " + s.from_pool;
      std::string one = svc(s.ns, s.name, spec, notes.empty() ? "" : "annotations: {" + notes + "}");
      if (!s.ingress.empty()) {
        one.replace(one.rfind("---\n"), 4, "status: {loadBalancer: {ingress: [{ip: '" + s.ingress + "'}]}}\n---\n");
      }
      m += one;
    }
    return m;
  }

  const std::map<std::string, fake_pool>& pools() const { return pools_; }
  const std::map<std::string, fake_service>& services() const { return services_; }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  void add_service() {
    fake_service s;
    s.ns = std::string(1, static_cast<char>('a' + pick(3)));
    s.name = "s" + std::to_string(next_id_++);
    roll(s);
    services_[s.ns + "/" + s.name] = s;
  }

  void modify_service() {
    auto& s = std::next(services_.begin(), pick(static_cast<int>(services_.size())))->second;
    roll(s);
  }

  void roll(fake_service& s) {
    const char* keys[] = {"", "", "k1", "k2"};
    s.sharing_key = keys[pick(4)];
    s.protocol = pick(4) == 0 ? "UDP" : "TCP";
    const int ports[] = {80, 443, 53};
    s.port = ports[pick(3)];
    s.v6 = pick(5) == 0;
    // An address from Service status (MetalLB's, or a lost ledger's): in a pool that exists,
    // or in no pool ever (a pool created later over a kept address may refuse the service,
    // which would move it for a reason these worlds do not model).
    s.ingress.clear();
    s.from_pool.clear();
    if (pick(6) == 0) {
      if (s.v6) {
        s.ingress = "2001:db8::" + std::to_string(pick(4));
      } else if (pick(2) == 0 || pools_.empty()) {
        s.ingress = "192.0.2." + std::to_string(pick(4));
      } else {
        const auto& p = std::next(pools_.begin(), pick(static_cast<int>(pools_.size())))->second;
        s.ingress = p.addresses.substr(2, p.addresses.find(".0/") - 2 + 1) + std::to_string(pick(2));
      }
      if (pick(2) == 0) s.from_pool = "pool" + std::to_string(pick(50));
    }
    if (!edits_) return;
    s.dual = !s.v6 && pick(6) == 0;
    s.pool = pick(8) == 0 && !pools_.empty() ? std::next(pools_.begin(), pick(static_cast<int>(pools_.size())))->first : "";
    // Written by hand: no cluster IP, families as the API server would derive them.
    const char* families[] = {"clusterIPs: []", "clusterIPs: [], ipFamilies: [IPv6]",
                              "clusterIPs: [], ipFamilyPolicy: PreferDualStack",
                              "clusterIPs: [], ipFamilies: [IPv6, IPv4], ipFamilyPolicy: RequireDualStack",
                              "clusterIPs: [], ipFamilies: [IPv4, IPv6]"};
    s.no_cluster_ip = pick(6) == 0 ? families[pick(5)] : "";
  }

  void add_pool() {
    fake_pool p;
    const int id = next_pool_++;
    p.name = "pool" + std::to_string(pick(50));
    if (pools_.contains(p.name)) return;
    const int len = 28 + pick(4);
    const std::string v4 = "10." + std::to_string(id % 250) + ".0.0/" + std::to_string(len);
    p.addresses = "['" + v4 + "'";
    p.ranges.push_back(*model::parse_pool_addresses(v4).range);
    if (pick(3) == 0) {
      const std::string v6 = "fd00:" + std::to_string(id % 9999) + "::/125";
      p.addresses += ", '" + v6 + "'";
      p.ranges.push_back(*model::parse_pool_addresses(v6).range);
    }
    p.addresses += "]";
    std::vector<std::string> spec;
    if (pick(4) == 0) spec.push_back("avoidBuggyIPs: true");
    if (pick(5) == 0) {
      p.only_namespace = std::string(1, static_cast<char>('a' + pick(3)));
      spec.push_back("serviceAllocation: {namespaces: [" + p.only_namespace + "], priority: " + std::to_string(pick(3)) + "}");
    }
    for (const auto& s : spec) p.spec += (p.spec.empty() ? "" : ", ") + s;
    pools_[p.name] = p;
  }

  std::mt19937 rng_;
  bool edits_ = false;
  std::map<std::string, fake_pool> pools_;
  std::map<std::string, fake_service> services_;
  int next_id_ = 0;
  int next_pool_ = 0;
};

void check_invariants(const world& w, const result& r, const std::string& where) {
  std::map<model::ip_address, std::vector<const model::service_status*>> users;
  for (const auto& s : r.services) {
    for (const auto& ip : s.ingress) users[ip].push_back(&s);
    if (s.ingress.empty()) continue;
    const bool stranded = std::any_of(s.events.begin(), s.events.end(), [](const model::event& e) { return e.reason == "PoolRemoved"; });
    if (stranded) continue;
    auto it = w.pools().find(s.pool);
    ASSERT_NE(it, w.pools().end()) << where << ": " << s.ns << "/" << s.name << " in unknown pool " << s.pool;
    for (const auto& ip : s.ingress) {
      EXPECT_TRUE(std::any_of(it->second.ranges.begin(), it->second.ranges.end(), [&](const auto& rg) { return rg.contains(ip); }))
          << where << ": " << ip.to_string() << " outside pool " << s.pool;
    }
    if (!it->second.only_namespace.empty()) {
      EXPECT_EQ(s.ns, it->second.only_namespace) << where;
    }
  }
  for (const auto& [ip, list] : users) {
    if (list.size() < 2) continue;
    std::set<std::pair<std::string, int>> ports;
    for (const auto* s : list) {
      const auto& f = w.services().at(s->ns + "/" + s->name);
      EXPECT_FALSE(f.sharing_key.empty()) << where << ": " << ip.to_string() << " shared without a key";
      EXPECT_EQ(f.sharing_key, w.services().at(list[0]->ns + "/" + list[0]->name).sharing_key) << where;
      EXPECT_TRUE(ports.insert({f.protocol, f.port}).second) << where << ": port clash on " << ip.to_string();
    }
  }
}

TEST(property, random_edit_sequences) {
  int runs = 0;
  for (unsigned seed = 1; seed <= 150; ++seed) {
    world w(seed);
    model::ledger ledger;
    std::map<std::string, std::vector<model::ip_address>> before;
    for (int step = 0; step < 25; ++step) {
      w.random_edit();
      const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
      const auto snap = snapshot_of(w.manifests());
      options o;
      o.now = 1000 + step * 100;  // hold-down of 300 s spans three steps
      const auto r = allocate(snap, ledger, o);
      ++runs;
      check_invariants(w, r, where);
      if (::testing::Test::HasFailure()) return;

      const auto again = allocate(snap, ledger, o);
      EXPECT_EQ(render(again), render(r)) << where << ": same inputs, same output";
      const auto restarted = allocate(snap, r.ledger, o);
      EXPECT_EQ(restarted.ledger.entries, r.ledger.entries) << where << ": a restart moved an address";

      std::map<std::string, std::vector<model::ip_address>> now;
      for (const auto& s : r.services) {
        const std::string key = s.ns + "/" + s.name;
        now[key] = s.ingress;
        auto it = before.find(key);
        if (it != before.end() && !it->second.empty()) {
          EXPECT_EQ(s.ingress, it->second) << where << ": " << key << " moved";
        }
      }
      before = std::move(now);
      ledger = r.ledger;
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_EQ(runs, 150 * 25);
}

}  // namespace
}  // namespace controller::test

namespace controller::test {
namespace {

// incremental_allocator == allocate(): after every random edit, re-running only what the
// change set touches gives exactly the full pass's result (services, events, ledger with
// revision and holds, pool status), hold-downs expiring as time passes.
TEST(property, incremental_equals_full) {
  int runs = 0;
  std::size_t rerun = 0;
  std::size_t services = 0;
  for (unsigned seed = 1; seed <= 150; ++seed) {
    world w(seed * 7919, true);
    model::ledger ledger;
    std::optional<incremental_allocator> inc;
    model::snapshot before;
    options o;
    if (seed % 5 == 0) o.hold_down = std::chrono::seconds{0};
    for (int step = 0; step < 40; ++step) {
      w.random_edit();
      const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
      auto snap = snapshot_of(w.manifests());
      o.now = 1000 + step * 70;  // a 300 s hold-down spans four to five steps
      const auto full = allocate(snap, ledger, o);
      if (!inc) {
        inc.emplace(snap, ledger, o);
      } else {
        const auto& d = inc->apply(snap, model::diff(before, snap), o.now);
        if (!d.full) rerun += d.rerun;
        services += full.services.size();
      }
      const auto got = inc->current();
      ++runs;
      EXPECT_EQ(render(got), render(full)) << where;
      EXPECT_EQ(render_ledger(got.ledger), render_ledger(full.ledger)) << where;
      EXPECT_EQ(render_pools(got), render_pools(full)) << where;
      EXPECT_EQ(got.ledger, full.ledger) << where;
      if (::testing::Test::HasFailure()) return;
      ledger = full.ledger;
      before = std::move(snap);
    }
  }
  EXPECT_EQ(runs, 150 * 40);
  // Not a proof of cost (these worlds are tiny and mostly exhausted, so many services wait
  // and re-run), but a guard against re-running everything every time.
  EXPECT_LT(rerun, services) << "incremental passes re-ran " << rerun << " of " << services;
}

// The pass after a first allocation drops its one-shot IPAllocated events. A service that
// reported only that, uses its addresses alone and has every family it needs is settled
// without a re-run; the rest run again. Either way the result is the full pass's.
TEST(property, the_pass_after_an_allocation_reruns_only_what_it_must) {
  const std::string dual = "clusterIPs: [10.96.0.1, 'fd00:96::1'], ipFamilyPolicy: PreferDualStack";
  const std::string shared = "annotations: {metallb.io/allow-shared-ip: k}";
  const std::string m = pool("p", "[10.0.0.0/28]") + svc("a", "plain1") + svc("a", "plain2") +
                        svc("a", "deprecated", "", "annotations: {metallb.universe.tf/address-pool: p}") +
                        svc("a", "share1", "loadBalancerIP: 10.0.0.9", shared) +
                        svc("a", "share2", "loadBalancerIP: 10.0.0.9, ports: [{port: 443}]", shared) +
                        svc("a", "dual", dual) + svc("b", "plain3");
  const auto snap = snapshot_of(m);
  options o;
  o.now = 100;
  incremental_allocator inc(snap, {}, o);
  const auto first = inc.current();
  for (const auto& st : first.services) EXPECT_FALSE(st.events.empty()) << st.ns << "/" << st.name;

  const auto& d = inc.apply(snap, {}, 110);
  EXPECT_EQ(d.rerun, 4u) << "deprecated, share1, share2 and dual run again; the plain ones do not";
  EXPECT_EQ(d.services.size(), 7u) << "every status lost an event";
  EXPECT_FALSE(d.ledger);
  o.now = 110;
  const auto full = allocate(snap, first.ledger, o);
  const auto got = inc.current();
  EXPECT_EQ(render(got), render(full));
  EXPECT_EQ(got.ledger, full.ledger);
  EXPECT_EQ(render_pools(got), render_pools(full));
  for (const auto& st : got.services) {
    if (st.name.starts_with("plain")) {
      EXPECT_TRUE(st.events.empty()) << st.name;
    }
  }

  // Named by the change set: run again like any changed service.
  model::change_set touched;
  touched.modified.push_back({model::kind::service, "a", "plain1"});
  EXPECT_EQ(inc.apply(snap, touched, 120).rerun, 2u) << "plain1, and dual, which still waits for an IPv6 address";
}

}  // namespace
}  // namespace controller::test
