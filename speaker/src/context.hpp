// The node-wide facts a service's plan depends on, computed once per full re-plan: this
// node's labels and conditions, the BGPPeers that select it, which advertisements apply
// to each pool, community aliases and Calico's service ranges.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "speaker/plan.hpp"

namespace speaker::detail {

struct advert {
  std::string name;
  // Copies, not pointers: the context outlives the snapshot it was built from.
  std::vector<model::label_selector> service_selectors;
  bool selects_node = false;
  route_plan attrs;                // communities resolved, local_pref
  std::vector<std::string> peers;  // selected peers it goes to (name order)
  unsigned length_v4 = 32, length_v6 = 128;
  bool weighted = false;
};

struct pool_adverts {
  std::string pool;
  std::vector<model::ip_range> ranges;
  std::vector<advert> adverts;  // advertisement name order
};

struct calico_range {
  model::cidr range;
  route_plan attrs;
};

struct node_facts {
  std::string name;
  model::label_map labels;
  bool excluded = false;
  bool network_unavailable = false;
  std::optional<model::ip_address> internal_ipv4;
  // Calico's view of the node (Calico Node, else the v1 Node's projectcalico.org annotations).
  std::optional<model::ip_address> calico_ipv4, calico_ipv6;
  std::optional<std::uint32_t> calico_asn;
};

// calico_peers.cpp: Calico's BGPPeers as this node's sessions.
// Fills node's calico_* facts and adds the Calico Node's labels; errors for annotations
// that do not parse.
void add_calico_facts(const model::snapshot& s, node_facts& node, std::vector<model::error>& errors);
// Appends a session for each Calico BGPPeer with a peerIP that selects this node; errors for
// those it cannot run (a name or address another peer of the node has, a missing password).
void add_calico_peers(const model::snapshot& s, const node_facts& node, std::vector<peer_plan>& peers,
                      std::vector<model::error>& errors);

}  // namespace speaker::detail

namespace speaker {

struct planner::context {
  detail::node_facts node;
  std::vector<peer_plan> peers;
  std::vector<model::error> errors;
  std::vector<detail::pool_adverts> pools;  // pool name order
  // Calico: every configured service range (announced as a whole) and the three kinds.
  std::vector<detail::calico_range> cluster_ranges, external_ranges, lb_ranges;
  std::vector<std::pair<model::cidr, route_plan>> prefix_attrs;  // prefixAdvertisements
  bool calico = false;

  const detail::pool_adverts* pool_for(const model::ip_address& a) const;
  // The peer of that name (peers is in name order), or null.
  const peer_plan* peer(const std::string& name) const;
  route_plan calico_attrs(const model::cidr& c) const;
};

std::shared_ptr<const planner::context> make_context(const model::snapshot& s, const std::string& node);

namespace detail {

// What one service (or, under node_wide, Calico's service ranges) gives the plan.
struct contribution {
  struct route {
    std::string peer;
    model::cidr prefix;
    route_plan attrs;
    std::uint32_t address = 0;  // index of the announced address it was made for
  };
  std::vector<route> routes;
  std::vector<announced_address> announced;  // address order
  std::vector<withheld_address> withheld;    // address order
};

// The node-wide Calico ranges are planned under this key; no Service has an empty namespace.
inline const model::name_key node_wide{"", ""};

// plan.cpp: the rules for one key (a Service, or node_wide) in the snapshot.
contribution plan_one(const planner::context& ctx, const model::snapshot& s, const model::assignments& ips,
                      const model::name_key& k);

}  // namespace detail

}  // namespace speaker
