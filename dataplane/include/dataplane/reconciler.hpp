// The reconciler makes the maps hold what a `desired` value says, writing only the
// difference. Per service, the order of writes keeps every intermediate state whole for
// a packet: backend slots first, then a complete new Maglev row in a free row slot, then
// one atomic swap of the service entry, then the old row and the backends no longer
// referred to are freed. Frontends appear after their service and go before it.
//
// open() reads the maps back, so a restarted process adopts the services, backend ids
// and rows of the one before it (matched by frontend) and rewrites nothing that is
// already right: established flows and Maglev rows survive a restart.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/desired.hpp"
#include "dataplane/map_ops.hpp"

namespace dataplane {

// A service the dataplane cannot express; every other service keeps working.
struct skipped_service {
  std::string name;
  std::string reason;  // "SCTP is not supported", "70000 backends do not fit a Maglev row of 65537"
  bool no_room = false;  // the maps are full (ids, Maglev slots): it fits once something leaves
  friend bool operator==(const skipped_service&, const skipped_service&) = default;
};

struct apply_report {
  std::vector<skipped_service> skipped;
  std::size_t services_changed = 0;  // services with at least one map write
  std::size_t rows_built = 0;
  std::size_t writes = 0;  // map writes issued
};

// A service as the maps hold it (bgplbctl dataplane, metrics labels).
struct programmed_service {
  std::string name;
  std::uint32_t id = 0;
  abi::service_value value{};
  std::vector<std::pair<std::uint32_t, abi::backend_value>> backends;  // take new flows, canonical order
  std::vector<abi::frontend_key> frontends;
};

class reconciler {
 public:
  using frontend_map = std::unordered_map<abi::frontend_key, abi::frontend_value, pod_hash, pod_eq>;

  static result<std::unique_ptr<reconciler>> open(map_ops& maps);

  // Everything: settings, every service, removal of the services not listed.
  result<apply_report> apply(const desired& d);
  // One service added or changed (settings of the last apply() stay).
  result<apply_report> apply_service(const service& s);
  result<apply_report> remove_service(const std::string& name);

  std::vector<programmed_service> programmed() const;
  std::size_t programmed_count() const { return live_.size(); }
  // Each programmed service's name and id, in name order, without copying what programmed() does.
  template <class F>
  void visit_programmed(F&& f) const {
    for (const auto& [name, e] : live_) f(name, e.id);
  }
  std::optional<std::uint32_t> service_id(const std::string& name) const;
  // The names of the programmed services that start with `prefix`, in name order.
  std::vector<std::string> programmed_names(const std::string& prefix) const;

 private:
  class id_pool {
   public:
    explicit id_pool(std::uint32_t limit = 0);
    void take(std::uint32_t id);
    std::optional<std::uint32_t> get();
    void put(std::uint32_t id);  // reused last: freed ids queue behind never-used ones
    bool full() const;           // get() would find none

   private:
    std::vector<bool> used_;
    std::uint32_t next_ = 1;
    std::deque<std::uint32_t> free_;
  };

  // Ranges of Maglev slots, first fit over coalesced free ranges, starting even. A freed
  // range waits in quarantine until the next operation: a packet that read the service
  // entry just before its swap may still read the old row for the microseconds a BPF
  // program runs.
  class slot_pool {
   public:
    explicit slot_pool(std::uint32_t size = 0);
    std::optional<std::uint32_t> get(std::uint32_t n);
    bool take(std::uint32_t offset, std::uint32_t n);  // read back: in use (false if not free)
    void put(std::uint32_t offset, std::uint32_t n);   // quarantined
    void put_unused(std::uint32_t offset, std::uint32_t n);  // never published: free at once
    void release();                                    // quarantine -> free
    std::uint32_t in_use() const { return in_use_; }
    std::uint32_t size() const { return size_; }

   private:
    void insert_free(std::uint32_t offset, std::uint32_t n);
    std::map<std::uint32_t, std::uint32_t> free_;  // offset -> length
    std::vector<std::pair<std::uint32_t, std::uint32_t>> quarantine_;
    std::uint32_t size_ = 0, in_use_ = 0;
  };

  // A backend as the maps hold it; an entry's backends are in canonical order (address,
  // then port: maglev::backend_key's order), one per endpoint.
  struct held_backend {
    std::uint32_t id = 0;
    abi::backend_value value{};
  };

  // What the maps hold for one service. Nothing of the desired service is kept: a service
  // applied again is planned again and compared with this, so an entry costs what the
  // maps hold (at 100,000 services a copy of every spec was most of the reconciler's memory).
  struct entry {
    std::uint32_t id = 0;
    bool has_value = false;
    abi::service_value value{};
    std::vector<held_backend> backends;
    std::vector<abi::range_key> ranges;  // sorted (pod_less), distinct
  };

  struct plan;  // one service's target map state

  explicit reconciler(map_ops& maps);
  status read_back();
  status write_settings(const desired& d, apply_report& r);
  status sync(entry& e, const plan& p, apply_report& r);
  status sync_frontends(const frontend_map& want,
                        const std::set<std::uint32_t>& scope, apply_report& r);
  status prune_ranges(entry& e, const plan& p, apply_report& r);
  status erase(entry& e, apply_report& r);
  void free_row(const abi::service_value& v);
  status count(status s, apply_report& r);
  entry* adopt(const plan& p);
  void keep_frontends(const entry& e, frontend_map& want) const;
  void set_frontend(const abi::frontend_key& k, const abi::frontend_value& v);  // frontends_ and frontends_of_
  void drop_frontend(const abi::frontend_key& k);
  const std::vector<abi::frontend_key>& frontends_of(std::uint32_t id) const;

  map_ops& maps_;
  map_limits limits_;
  id_pool service_ids_, backend_ids_;
  slot_pool slots_;
  std::map<std::string, entry> live_;
  std::map<std::uint32_t, entry> orphans_;
  frontend_map frontends_;
  // frontends_ by service id, each list sorted (pod_less): one service's frontends without
  // a pass over every one.
  std::unordered_map<std::uint32_t, std::vector<abi::frontend_key>> frontends_of_;
  std::set<abi::addr16, pod_less> peers_;
  std::uint32_t maglev_size_ = BGPLB_MAGLEV_DEFAULT;
};

}  // namespace dataplane
