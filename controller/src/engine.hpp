// The allocator's state and one pass over a set of services (see incremental.hpp).
// allocate() is a fresh engine that runs every service; incremental_allocator keeps the
// engine and re-runs only the services a change can affect. Allocation rules live in
// allocate.cpp, the bookkeeping between passes in engine.cpp.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/incremental.hpp"
#include "pools.hpp"
#include "service_info.hpp"
#include "usage.hpp"

namespace controller::detail {

// A ledger entry, the service's identity aside.
struct held_entry {
  std::vector<model::ip_address> ips;
  std::string pool;
  std::int64_t since = 0;
};

// One LoadBalancer service this controller serves, as the last pass left it.
struct slot {
  const model::name_key* key = nullptr;  // engine::ids_ owns it
  std::vector<model::ip_address> ips;
  std::string pool;
  std::int64_t since = 0;
  std::vector<model::event> events;
  bool settled = false;  // a rerun with unchanged inputs would give the same result
};

// A service being re-run in the current pass.
struct work {
  std::size_t id = 0;
  const model::service* svc = nullptr;
  std::optional<held_entry> previous;  // its ledger entry when the pass began
  int group = 2;                       // 0 ledger, 1 status ingress only, 2 neither
  bool pending = false;                // needs allocate_new
  bool add_family = false;             // kept, but PreferDualStack wants the other family
  family_need need;
  requested_ips request;
  std::optional<std::string> pool_annotation;
};

bool same_addresses(const std::vector<model::ip_address>& a, const std::vector<model::ip_address>& b);

class engine {
 public:
  engine(const model::snapshot& s, const model::ledger& previous, const options& opts);
  engine(const engine&) = delete;  // usage_ refers to sharers_
  engine& operator=(const engine&) = delete;
  // Whether `changes` touch what every service depends on (pools, namespaces).
  bool needs_full_pass(const model::change_set& changes) const;
  const incremental_allocator::delta& apply(const model::snapshot& s, const model::change_set& changes,
                                            std::int64_t now);
  result current() const;

 private:
  // engine.cpp: bookkeeping
  bool ours(const model::service& s) const;
  std::size_t new_slot(const model::name_key& key);
  void release(std::size_t id);
  void expire_holds();
  void run(std::vector<work> items, const std::vector<std::pair<model::name_key, held_entry>>& gone);
  void settle_holds(const std::vector<work>& items, const std::vector<std::pair<model::name_key, held_entry>>& gone);
  void use_ip(std::size_t id, model::ip_address ip);
  void drop_ip(std::size_t id, model::ip_address ip);
  void count(model::ip_address ip, const std::string& pool, int delta);
  void add_hold(const model::ledger_hold& h);
  void drop_hold(model::ip_address ip);
  void touch_pool(const std::string& name);
  model::service_status status_of(std::size_t id) const;

  // allocate.cpp: MetalLB's rules for one service
  void restore(work& w);
  void allocate_new(work& w);
  void add_missing_family(work& w, const pool& p);
  std::string assign_requested(const work& w, const std::vector<model::ip_address>& ips, const pool*& p);
  std::string from_pool(const work& w, const pool& p, std::vector<model::ip_address>& out);
  std::string from_any_pool(const work& w, std::vector<model::ip_address>& out, const pool*& chosen);
  void additional_failed(const work& w, const pool& p);
  void take(std::size_t id, const std::vector<model::ip_address>& ips, const std::string& pool_name);
  void event(std::size_t id, std::string_view type, std::string_view why, std::string message);
  const std::string& name_of(std::size_t id) const { return sharers_[id].name; }

  options opts_;
  pool_table pools_;
  std::vector<sharer> sharers_;  // by slot id; usage_ reads it
  std::vector<slot> slots_;
  std::vector<std::size_t> free_slots_;
  std::map<model::name_key, std::size_t> ids_;  // the services we serve, namespace/name order
  usage usage_;
  std::map<model::ip_address, model::ledger_hold> holds_;  // the ledger's holds
  std::set<std::pair<std::int64_t, model::ip_address>> expiry_;  // holds by release time
  std::map<std::string, std::set<model::ip_address>> held_for_;  // holds by owner, as the pass began
  std::set<std::size_t> unsettled_;
  std::map<std::string, model::pool_status> pool_status_;
  std::map<model::ip_address, std::string> stranded_;  // address -> pool it is counted against
  std::uint64_t revision_ = 0;
  bool ledger_changed_ = false;
  incremental_allocator::delta delta_;
  std::map<std::string, std::optional<model::pool_status>> pools_before_;  // touched in this pass
};

}  // namespace controller::detail
