// speaker::agent: carries a node's plan out on BGP sessions. It keeps one bgp::speaker per
// local identity (myASN, router ID, graceful restart), since BGPPeers of one node may use
// different local ASNs; routes go per peer (bgp::speaker::announce_to), so adverts limited
// to some peers and per-peer attributes need nothing special. Runs on the io_context's
// thread like bgp::speaker; the planner's deltas are applied as they come, and only the
// changed (peer, prefix) pairs reach the sessions. The routes themselves are the plan's
// table, which the caller owns (the planner's, kept once): the agent reads it when a peer
// comes and announces none of its own.
//
// A peer whose plan carries a BFD profile gets a BFD session (one bfd::manager for every
// peer) keyed by (peer address, source address, single hop or, with ebgpMultiHop,
// multihop). When that session leaves Up for any reason but the peer's AdminDown (RFC 5882
// §3.2), the BGP session goes down at once with Cease 6/10 (RFC 9384) and stays down until
// BFD is Up again. A profile change renegotiates the BFD timers and leaves BGP alone.
#pragma once

#include <bfd/manager.hpp>
#include <bgp/speaker.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "speaker/plan.hpp"

namespace speaker {

struct agent_options {
  // Used when neither the BGPPeer's routerID nor the node's InternalIP gives one.
  std::optional<model::ip_address> router_id;
  std::chrono::milliseconds shutdown_drain{5000};
  std::string hostname;  // FQDN capability
  bool keep_received = false;                 // Adj-RIB-In per session, for inspection
  // RFC 4486 Cease when a kept Adj-RIB-In passes this many prefixes of one family
  // (only with keep_received: without it nothing is held); nullopt: no limit.
  std::optional<std::uint32_t> max_received = bgp::default_max_received_prefixes;
  bfd::manager_config bfd;                    // ports, device (tests: ephemeral ports)
  std::uint16_t bfd_peer_port = 0;            // 0: RFC 5881/5883's ports (tests use others)
};

// What BFD did to a BGPPeer's sessions, for the log.
struct bfd_event {
  std::string peer;                        // BGPPeer name
  std::optional<bfd::state_change> change;  // a state change of its BFD session, or
  std::string error;                       // why its BFD session could not be set up
  bool bgp_down = false;                   // this change took the BGP session down (held)
  bool bgp_released = false;               // this change let the BGP session connect again
};

struct session_view {
  std::string name;  // BGPPeer name
  bgp::peer_status status;
  std::size_t desired_prefixes = 0;  // what the plan gives this peer
};

class agent {
 public:
  // `routes`: the plan's route table (planner::routes()), which outlives the agent and is
  // brought up to date before each apply() of the changes that made it.
  agent(boost::asio::io_context& io, agent_options opts, const route_table& routes);
  ~agent();
  agent(const agent&) = delete;
  agent& operator=(const agent&) = delete;

  // Peers first (add, change — a change the session cannot absorb resets only that peer —
  // or remove), then routes.
  void set_peers(const std::vector<peer_plan>& peers);
  void apply(const std::vector<route_change>& changes);

  std::vector<session_view> sessions() const;
  std::vector<bgp::speaker*> speakers() const;  // for the GoBGP API
  const bfd::manager& bfd() const { return bfd_; }
  // The BGPPeer a BFD session belongs to ("" if none), and whether BFD holds its BGP
  // session down.
  std::string bfd_peer(const bfd::session_key& key) const;
  bool bfd_holds_down(const std::string& peer) const;

  // Events of every session, with the BGPPeer's name.
  using handler = std::function<void(const std::string& peer, const bgp::speaker_event&)>;
  void subscribe(handler h) { handlers_.push_back(std::move(h)); }
  // BFD state changes and errors of every peer with a BFD profile.
  void subscribe_bfd(std::function<void(const bfd_event&)> h) { bfd_handlers_.push_back(std::move(h)); }

  // RFC 8326 graceful shutdown of every session, then AdminDown on every BFD session,
  // then `done`.
  void shutdown(std::string text, std::function<void()> done);
  // During shutdown(): no more drain; withdrawal and Cease at once.
  void skip_drain();

 private:
  using identity = std::tuple<std::uint32_t, std::uint32_t, bool>;  // ASN, router ID, GR
  struct peer_entry {
    peer_plan plan;
    identity id;
    std::optional<bfd::session_key> bfd;  // its BFD session, when it has one
    bool bfd_down = false;                // BFD holds the BGP session down
  };
  bgp::speaker& group(const identity& id);
  identity identity_of(const peer_plan& p) const;
  void add(const peer_plan& p);
  void remove(const std::string& name);
  void set_bfd(peer_entry& e);  // start, change or stop the peer's BFD session
  void on_bfd(const bfd::state_change& c);
  void hold_bgp(peer_entry& e, bool down, const std::string& reason);
  void watch_held();  // while BFD holds a session down: the peer's AdminDown releases it
  void emit(const bfd_event& ev);

  boost::asio::io_context& io_;
  agent_options options_;
  std::map<identity, std::unique_ptr<bgp::speaker>> groups_;  // never destroyed while io runs
  std::map<std::string, peer_entry> peers_;
  std::map<std::pair<identity, bgp::ip_address>, std::string> names_;
  const route_table& desired_;
  std::vector<handler> handlers_;
  std::vector<std::function<void(const bfd_event&)>> bfd_handlers_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // for BFD events posted late
  boost::asio::steady_timer held_timer_{io_};
  bool held_timer_armed_ = false;
  bfd::manager bfd_;  // destroyed first
};

// Conversions between the model's addresses and the BGP library's.
bgp::ip_address to_bgp(const model::ip_address& a);
bgp::prefix to_bgp(const model::cidr& c);
bgp::route to_route(const model::cidr& prefix, const route_plan& r, std::uint32_t my_asn);

}  // namespace speaker
