// speaker::plan: what one node announces, as a pure function of a snapshot, the service
// addresses the controller assigned, and the node's name. MetalLB's announce rules for
// LoadBalancer IPs (BGPAdvertisement × BGPPeer × node, ShouldAnnounce's order) and
// Calico's service-range advertisement (BGPConfiguration). The result is per BGPPeer, so
// adverts limited to some peers and per-peer attributes need no special case downstream.
//
// planner keeps each service's contribution, so an event that touches a few services
// re-plans only those (O(k log n)); anything else (pools, adverts, peers, this node,
// communities, BGPConfiguration) re-plans everything. plan() is the reference. It holds
// each route once (src/route_book.hpp) and a service's addresses without copies of its
// name: about 0.5 KiB per service with one peer (docs/memory.md).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <bfd/profile.hpp>

#include "model/assignments.hpp"
#include "model/error.hpp"
#include "model/ip.hpp"
#include "model/snapshot.hpp"

namespace speaker {

// The BGPPeer's bfdProfile, resolved: MetalLB's defaults (bfd::profile) for the fields
// the BFDProfile leaves unset.
struct bfd_plan {
  std::string profile;  // BFDProfile metadata.name
  bfd::profile timers;
  friend bool operator==(const bfd_plan&, const bfd_plan&) = default;
};

// One BGP session this node runs (a BGPPeer whose nodeSelectors select it).
struct peer_plan {
  std::string name;  // BGPPeer metadata.name
  std::uint32_t my_asn = 0;
  std::uint32_t peer_asn = 0;
  model::ip_address address;
  std::uint16_t port = 179;
  std::chrono::seconds hold_time{90};
  std::optional<std::chrono::seconds> keepalive;  // unset: hold time / 3
  std::optional<std::chrono::seconds> connect_time;
  std::optional<model::ip_address> source_address;
  std::optional<model::ip_address> router_id;  // BGPPeer routerID, else the node's InternalIP
  std::string password;                        // password, or the passwordSecret's key
  bool ebgp_multihop = false;
  bool graceful_restart = false;
  // MetalLB's dualStackAddressFamily: the session carries both families; otherwise only
  // the family of the peer's address.
  bool dual_stack = false;
  std::optional<bfd_plan> bfd;  // a BFD session tied to this one (spec.bfdProfile)
  friend bool operator==(const peer_plan&, const peer_plan&) = default;
};

// Whether routes of family `f` go on this session.
inline bool carries(const peer_plan& p, model::ip_family f) { return p.dual_stack || p.address.family() == f; }

struct large_community {
  std::uint32_t global = 0, local1 = 0, local2 = 0;
  friend auto operator<=>(const large_community&, const large_community&) = default;
};

// A sorted set kept in a vector: a route's communities are a handful or none, and a
// std::set costs 48 bytes even empty, in every route the planner holds (docs/memory.md).
template <class T>
class small_set {
 public:
  small_set() = default;
  small_set(std::initializer_list<T> values) { insert(values.begin(), values.end()); }
  void insert(const T& v) {
    auto it = std::lower_bound(v_.begin(), v_.end(), v);
    if (it == v_.end() || !(*it == v)) v_.insert(it, v);
  }
  template <class It>
  void insert(It first, It last) {
    for (; first != last; ++first) insert(*first);
  }
  auto begin() const { return v_.begin(); }
  auto end() const { return v_.end(); }
  bool empty() const { return v_.empty(); }
  std::size_t size() const { return v_.size(); }
  friend bool operator==(const small_set&, const small_set&) = default;

 private:
  std::vector<T> v_;
};

// Attributes of one announced prefix toward one peer.
struct route_plan {
  small_set<std::uint32_t> communities;
  small_set<large_community> large_communities;
  std::optional<std::uint32_t> local_pref;  // applied by the BGP library toward iBGP only
  // RFC 4360 link bandwidth (bgplb.io/weighted-ecmp): bytes/s as IEEE float, per ready
  // local endpoint; empty when the advertisement does not ask for it.
  std::optional<std::uint32_t> link_bandwidth_endpoints;
  friend bool operator==(const route_plan&, const route_plan&) = default;
};

// A service address this node does not announce, and why (for logs, metrics, plan).
struct withheld_address {
  std::string ns, name;
  model::ip_address ip;
  std::string reason;
  friend bool operator==(const withheld_address&, const withheld_address&) = default;
};

// One announced service address (metallb_speaker_announced, bgplbctl services).
struct announced_address {
  std::string ns, name;
  model::ip_address ip;
  std::vector<std::string> peers;
  friend bool operator==(const announced_address&, const announced_address&) = default;
};

using route_table = std::map<std::string, std::map<model::cidr, route_plan>>;  // peer name -> prefix -> attributes

struct node_plan {
  std::vector<peer_plan> peers;  // name order
  route_table routes;
  std::vector<announced_address> announced;  // namespace/name, then address order
  std::vector<withheld_address> withheld;    // namespace/name, then address order
  std::vector<model::error> errors;  // peers this node cannot run (missing secret, ...)
  friend bool operator==(const node_plan&, const node_plan&) = default;
};

// The reference: everything from scratch.
node_plan plan(const model::snapshot& s, const model::assignments& ips, const std::string& node);

// A change of one peer's route for one prefix; `route` empty means withdraw.
struct route_change {
  std::string peer;
  model::cidr prefix;
  std::optional<route_plan> route;
  friend bool operator==(const route_change&, const route_change&) = default;
};

// Services by name, sorted and each once. A vector, not a std::set: after a cold start
// the update that gives every Service its addresses names all of them (docs/memory.md).
using service_names = std::vector<model::name_key>;
// `into` with `more`'s names added, still sorted and each once.
void merge_names(service_names& into, service_names more);

class planner {
 public:
  explicit planner(std::string node);
  ~planner();
  planner(const planner&) = delete;
  planner& operator=(const planner&) = delete;

  struct delta {
    bool full = false;                    // the whole node was re-planned
    bool peers_changed = false;           // peers() differ from before
    std::vector<route_change> routes;     // (peer, prefix) order
    std::vector<withheld_address> newly_withheld;  // for the log: services that stopped or never started
    std::vector<model::name_key> started_announcing;  // services that announce an address now and did not before (name order)
  };

  // Re-plan for a new snapshot. `changes` is the snapshot's change set against the one
  // last given; `moved` names services whose assigned addresses changed (name order, each
  // once: store::change::moved). The first call plans everything.
  delta update(std::shared_ptr<const model::snapshot> s, const model::change_set& changes, const model::assignments& ips,
               const std::vector<model::name_key>& moved);
  delta update_all(std::shared_ptr<const model::snapshot> s, const model::assignments& ips);

  // The current plan, as plan() would return it.
  node_plan current() const;
  // The services this node announces at least one address of (name order): the
  // services of current().announced, without building the plan.
  std::vector<model::name_key> announcing() const;
  // Each address of current().announced and of current().withheld (with the reason), in
  // that order, without building the plan: what /metrics lists, one line per address.
  using announced_visitor = std::function<void(const model::name_key&, const model::ip_address&)>;
  using withheld_visitor =
      std::function<void(const model::name_key&, const model::ip_address&, const std::string& reason)>;
  void visit_announced(const announced_visitor& f) const;
  void visit_withheld(const withheld_visitor& f) const;
  // The same in parts (a scrape renders them between the core's other work): from the
  // service after `after` (the first when nullopt), whole services, at least one, then
  // while `go_on()` holds before each; returns the last service visited when it stopped
  // early, nullopt at the end. Parts resumed after changes list each service once, as it
  // was at its part.
  std::optional<model::name_key> visit_announced(const std::optional<model::name_key>& after, const announced_visitor& f,
                                                 const std::function<bool()>& go_on) const;
  std::optional<model::name_key> visit_withheld(const std::optional<model::name_key>& after, const withheld_visitor& f,
                                                const std::function<bool()>& go_on) const;
  const std::vector<peer_plan>& peers() const;
  const std::vector<model::error>& errors() const;  // current().errors
  // The merged routes (current().routes), kept up to date in place: the agent holds it.
  const route_table& routes() const;

  struct context;  // node-wide facts (src/context.hpp)

 private:
  struct state;  // src/planner.cpp
  std::unique_ptr<state> state_;
};

// `bgplb plan --node`: {"sessions":[{"name","address","port","my_asn","peer_asn",
// "hold_time","keepalive","router_id","source_address","ebgp_multihop","graceful_restart",
// "password"}],"announcements":[{"prefix","peers","communities","large_communities",
// "local_pref"}],"withheld":[{"namespace","name","ip","reason"}]} members, as JSON text
// fragments the caller splices into its object ("password": whether one is set).
std::string sessions_json(const node_plan& p);
std::string announcements_json(const node_plan& p);
std::string withheld_json(const node_plan& p);

std::string to_string(const large_community& c);
std::string community_string(std::uint32_t c);

}  // namespace speaker
