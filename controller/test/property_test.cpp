// Randomised property test: thousands of random pools, services and edit sequences.
// Properties: no address is given twice except by the sharing rules; every address lies
// in a pool that permits the service (or is reported stranded); a restart never moves an
// address; a service that stays never moves; the same inputs give the same output.
#include <gtest/gtest.h>

#include <map>
#include <random>

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
};

class world {
 public:
  explicit world(unsigned seed) : rng_(seed) {}

  void random_edit() {
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
      if (s.v6) spec += ", clusterIP: 'fd00:96::1'";
      m += svc(s.ns, s.name, spec, s.sharing_key.empty() ? "" : "annotations: {metallb.io/allow-shared-ip: " + s.sharing_key + "}");
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
    const char* keys[] = {"", "", "k1", "k2"};
    s.sharing_key = keys[pick(4)];
    s.protocol = pick(4) == 0 ? "UDP" : "TCP";
    const int ports[] = {80, 443, 53};
    s.port = ports[pick(3)];
    s.v6 = pick(5) == 0;
    services_[s.ns + "/" + s.name] = s;
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
