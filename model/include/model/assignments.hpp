// model::assignments: the addresses the controller assigned to services, as every consumer
// reads them. One owner and one conversion: the controller publishes a ledger (model/ledger.hpp),
// a datastore reads it back (the file backend's ledger.json; Service status in Kubernetes;
// the ledger keys in etcd), and the speaker, `bgplb plan` and bgplbctl all turn it into this
// map with the functions below.
//
// A persistent sorted map (model::basic_table, the snapshot's tables): a copy shares every
// node and costs O(1), an edit makes a new version in O(log n) and leaves the copies as they
// were. A datastore keeps one, edits the services that moved and hands each update its own
// immutable version without copying the other n entries (the Kubernetes datastore's cold
// start delivers a change every ~100 ms while the controller's writes come back; a std::map
// copied whole each time made it quadratic: test/bench/speaker_e2e/README.md).
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/ip.hpp"
#include "model/ledger.hpp"
#include "model/snapshot.hpp"
#include "model/table.hpp"

namespace model {

// Service -> its addresses, one per family, in allocation order. Services without
// addresses are absent. Iteration is in namespace/name order and yields (key, addresses)
// pairs, find() an iterator whose ->first and ->second read as a std::map's.
class assignments {
 public:
  using addresses = std::vector<ip_address>;
  using entry = std::pair<name_key, addresses>;
  using const_iterator = basic_table<name_key, addresses>::const_iterator;
  using iterator = const_iterator;
  using value_type = basic_table<name_key, addresses>::value_type;

  assignments() = default;
  // Entries in any order (a later one for the same service wins; empty addresses: absent).
  assignments(std::initializer_list<entry> entries);
  explicit assignments(const std::map<name_key, addresses>& m);

  const_iterator begin() const { return table_.begin(); }
  const_iterator end() const { return table_.end(); }
  std::size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }
  const_iterator find(const name_key& k) const { return table_.find(k); }
  const addresses* get(const name_key& k) const { return table_.get(k); }
  bool contains(const name_key& k) const { return table_.contains(k); }
  // Throws std::out_of_range when the service has no addresses.
  const addresses& at(const name_key& k) const;

  // Edits: each one makes a new version of this map; copies taken before keep theirs.
  // Empty addresses erase. apply() takes many at once in O(k log n), in any order (the last
  // of one service wins).
  void set(const name_key& k, addresses ips);
  bool erase(const name_key& k);
  void apply(std::vector<entry> edits);

  friend bool operator==(const assignments& a, const assignments& b);

 private:
  basic_table<name_key, addresses> table_;
};

// The ledger's entries (a ledger holds exactly the services that have addresses).
assignments assignments_from(const ledger& l);

// What Services' status.loadBalancer.ingress says, for LoadBalancer services of the given
// spec.loadBalancerClass (unset: services without a class): the assignments when no
// ledger is published (MetalLB wrote them before a migration, or another controller).
assignments assignments_from_status(const snapshot& s, const std::optional<std::string>& load_balancer_class);

// The services whose addresses differ between two assignments (name order).
std::vector<name_key> changed_services(const assignments& before, const assignments& after);

}  // namespace model
