// The allocator's state and one pass over a set of services (see incremental.hpp).
// allocate() is a fresh engine that runs every service; incremental_allocator keeps the
// engine and re-runs only the services a change can affect. Allocation rules live in
// allocate.cpp, the bookkeeping between passes in engine.cpp.
#pragma once

#include <absl/container/btree_set.h>

#include <deque>
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

// Up to two addresses (a service has at most one per family), in allocation order,
// stored inline: most services have one. 36 bytes, 4-byte aligned, so a slot is 48.
class ip_pair {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  model::ip_address operator[](std::size_t i) const;
  void push_back(model::ip_address ip);  // aborts on a third address
  void clear() { *this = {}; }
  bool contains(model::ip_address ip) const;
  std::vector<model::ip_address> vector() const;

  struct iterator {
    const ip_pair* pair;
    std::size_t i;
    model::ip_address operator*() const { return (*pair)[i]; }
    iterator& operator++() {
      ++i;
      return *this;
    }
    bool operator==(const iterator&) const = default;
  };
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, size_}; }

 private:
  std::uint32_t words_[2][4] = {};  // most significant word first; IPv4 uses [i][3]
  std::uint8_t size_ = 0;
  std::uint8_t v6_ = 0;  // bit i: address i is IPv6
};

// One LoadBalancer service this controller serves, as the last pass left it: its ledger
// entry (when it has addresses). Its key is engine::names_[id], its events (mostly
// none) engine::events_[id].
struct slot {
  std::int64_t since = 0;
  std::uint32_t pool = 0;  // engine::pool_names_ index; 0 = ""
  ip_pair ips;
};
static_assert(sizeof(slot) <= 48);

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

// Orders service ids by namespace/name (engine::ids_); also finds an id by service_key().
struct by_name {
  using is_transparent = void;
  const std::deque<std::string>* names;

  std::string_view view(std::uint32_t id) const { return (*names)[id]; }
  static std::string_view view(std::string_view key) { return key; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return view(a) < view(b);
  }
};

class engine {
 public:
  engine(const model::snapshot& s, const model::ledger& previous, const options& opts);
  engine(const engine&) = delete;  // usage_ and ids_ refer to names_
  engine& operator=(const engine&) = delete;
  // Whether `changes` touch what every service depends on (pools, namespaces).
  bool needs_full_pass(const model::change_set& changes) const;
  incremental_allocator::delta apply(const model::snapshot& s, const model::change_set& changes,
                                            std::int64_t now);
  result current() const;

 private:
  // engine.cpp: bookkeeping
  bool ours(const model::service& s) const;
  std::size_t new_slot(const model::name_ref& key);
  void release(std::size_t id);
  void expire_holds();
  void run(std::vector<work> items, const std::vector<std::pair<model::name_key, held_entry>>& gone);
  bool settles_unchanged(const model::snapshot& s, std::size_t id, const model::name_key& key) const;
  void settle_holds(const std::vector<work>& items, const std::vector<std::pair<model::name_key, held_entry>>& gone);
  void use_ip(std::size_t id, model::ip_address ip);
  void drop_ip(std::size_t id, model::ip_address ip);
  void count(model::ip_address ip, const std::string& pool, int delta);
  void add_hold(const model::ledger_hold& h);
  void drop_hold(model::ip_address ip);
  void touch_pool(const std::string& name);
  model::service_status status_of(std::size_t id) const;
  bool same_ledger(const model::ledger& l) const;
  model::name_key key_of(std::size_t id) const;
  std::uint32_t pool_id(const std::string& name);
  const std::string& pool_name(const slot& e) const { return pool_names_[e.pool]; }
  std::vector<model::event>& events_of(std::size_t id) { return events_[static_cast<std::uint32_t>(id)]; }
  void add_events(std::size_t id, std::vector<model::event> events);

  // allocate.cpp: MetalLB's rules for one service
  void restore(work& w);
  void allocate_new(work& w);
  void add_missing_family(work& w, const pool& p);
  std::string assign_requested(const work& w, const std::vector<model::ip_address>& ips, const pool*& p);
  std::string from_pool(const work& w, const pool& p, std::vector<model::ip_address>& out);
  std::string from_any_pool(const work& w, std::vector<model::ip_address>& out, const pool*& chosen);
  std::string no_available_ips(const work& w, const std::vector<const pool*>& considered) const;
  void additional_failed(const work& w, const pool& p);
  void take(std::size_t id, const std::vector<model::ip_address>& ips, const std::string& pool_name);
  void event(std::size_t id, std::string_view type, std::string_view why, std::string message);
  std::string name_of(std::size_t id) const { return display_name(names_[id]); }  // for messages

  options opts_;
  pool_table pools_;
  // By slot id (deques: no spare capacity, and growth never copies).
  std::deque<slot> slots_;
  std::deque<std::string> names_;  // service_key(); usage_ and ids_ read it
  std::vector<std::size_t> free_slots_;
  absl::btree_set<std::uint32_t, by_name> ids_{by_name{&names_}};  // the services we serve, by namespace/name
  std::map<std::uint32_t, std::vector<model::event>> events_;      // services with events only
  std::vector<std::string> pool_names_{""};                         // slot::pool
  std::map<std::string, std::uint32_t, std::less<>> pool_ids_{{"", 0}};
  usage usage_{names_};
  std::map<model::ip_address, model::ledger_hold> holds_;  // the ledger's holds
  std::set<std::pair<std::int64_t, model::ip_address>> expiry_;  // holds by release time
  // Holds by their owner's service_key(), as the pass began.
  std::map<std::string, std::set<model::ip_address>, std::less<>> held_for_;
  std::set<std::size_t> unsettled_;
  std::map<std::string, model::pool_status> pool_status_;
  std::map<model::ip_address, std::string> stranded_;  // address -> pool it is counted against
  std::uint64_t revision_ = 0;
  bool ledger_changed_ = false;
  incremental_allocator::delta delta_;
  std::map<std::string, std::optional<model::pool_status>> pools_before_;  // touched in this pass
};

}  // namespace controller::detail
