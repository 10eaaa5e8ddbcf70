// bgp::speaker — the BGP speaker library the bgplb speaker process uses: peers,
// routes to announce, per-peer state and events. One speaker runs on one
// boost::asio::io_context thread; every member function must be called on that
// thread (post to it from elsewhere). Destroy the speaker only once that io_context
// is no longer run: its peers' coroutines refer to it.
//
// The speaker announces; it does not route. What peers send is counted and forgotten;
// with peer_config::keep_received it is also kept for inspection (Adj-RIB-In), within a
// maximum-prefix limit (default_max_received_prefixes).
#pragma once

#include <bgp/message.hpp>
#include <bgp/route.hpp>
#include <bgp/state.hpp>
#include <bgp/types.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bgp {

// The default for peer_config::max_prefixes: what a kept Adj-RIB-In may hold per family
// (RFC 4486). Received routes are held only with keep_received; without it this limit
// has nothing to guard and does not apply. 10,000 is more than a top-of-rack router
// sends a node (a default route, the fabric's node and pod prefixes) and keeps a kept
// Adj-RIB-In under 5 MB a family even when every route comes with attributes of its
// own (about 480 octets a route then, 50 when UPDATEs share them; adj_rib_in_test);
// a full Internet table ends the session instead of taking hundreds of MB.
inline constexpr std::uint32_t default_max_received_prefixes = 10000;

struct peer_config {
  ip_address address;
  std::uint16_t port = 179;
  std::uint32_t peer_as = 0;
  std::optional<ip_address> local_address;  // source address of our connection
  bool passive = false;                     // never connect; wait for the peer
  std::uint16_t hold_time = 90;             // 0, or at least 3
  std::uint16_t keepalive = 0;              // 0: hold time / 3
  std::uint16_t connect_retry = 5;          // first back-off, seconds; doubles to 60
  std::string password;                     // TCP MD5 (RFC 2385); never reported back
  std::uint8_t ebgp_multihop_ttl = 1;       // eBGP TTL; iBGP uses 255
  bool gtsm = false;                        // RFC 5082: send 255, accept >= 255 - hops + 1
  bool add_path_send = false;               // RFC 7911: offer to send path identifiers
  // RFC 4486 Cease 1 when the routes kept from the peer (keep_received) pass this, per
  // family; nullopt: no limit.
  std::optional<std::uint32_t> max_prefixes = default_max_received_prefixes;
  // Keep every route the peer sends, with its attributes (Adj-RIB-In, for inspection).
  // Off: the prefixes in its UPDATEs are only counted (peer_counters), nothing is held.
  bool keep_received = false;
  std::optional<ip_address> next_hop_ipv4;  // next-hop-self overrides per family
  std::optional<ip_address> next_hop_ipv6;
  bool ipv4_unicast = true;
  bool ipv6_unicast = true;
  std::string description;

  friend bool operator==(const peer_config&, const peer_config&) = default;
};

struct speaker_config {
  std::uint32_t asn = 0;
  std::uint32_t router_id = 0;  // host byte order
  std::optional<ip_address> listen_address;  // none: do not listen
  std::uint16_t listen_port = 179;
  bool graceful_restart = true;              // RFC 4724, restarting speaker and helper
  std::uint16_t restart_time = 120;
  std::chrono::milliseconds shutdown_drain{5000};  // RFC 8326 drain before withdrawing
  std::string hostname;                            // FQDN capability, when not empty
};

struct peer_counters {
  std::uint64_t messages_sent = 0, messages_received = 0;
  std::uint64_t updates_sent = 0, updates_received = 0;
  std::uint64_t notifications_sent = 0, notifications_received = 0;
  std::uint64_t keepalives_sent = 0, keepalives_received = 0;
  std::uint64_t route_refreshes_received = 0;
  std::uint64_t established_transitions = 0;
  // Prefixes in the UPDATEs received, whether or not they are kept: announced (each
  // announcement, a replacement counting again) and withdrawn (explicitly, or as
  // treat-as-withdraw, RFC 7606).
  std::uint64_t prefixes_announced = 0, prefixes_withdrawn = 0;
};

struct peer_status {
  ip_address address;
  std::uint32_t peer_as = 0;
  std::string description;
  peer_state state = peer_state::idle;
  std::optional<open_message> peer_open;    // the peer's capabilities
  std::uint16_t hold_time = 0, keepalive = 0;  // negotiated
  bool four_octet_as = false, extended_message = false, add_path_send = false;
  std::vector<family> families;             // negotiated
  std::uint64_t sent_prefixes = 0;
  std::uint64_t received_prefixes = 0;  // routes held (keep_received); counts in `counters`
  peer_counters counters;
  std::string last_down_reason;
  std::chrono::steady_clock::time_point since;  // time of the last state change
  std::optional<ip_address> local_address;
  // Established, with the initial update held until set_initial_routes_ready(true).
  bool awaiting_initial_routes = false;
};

// routes_sent: every change announced or withdrawn so far toward the peer has been
// written to its socket (for change-to-wire latency).
struct speaker_event {
  enum class kind : std::uint8_t { peer_state, peer_down, routes_received, routes_sent } what;
  ip_address peer;
  peer_state state = peer_state::idle;
  std::string reason;
  const update_message* update = nullptr;  // with routes_received, valid during the call
};

// ---- Inspection and operator control (api/, bgplbctl) --------------------------
// Read and control functions for operators; implemented in
// src/session/speaker_inspect.cpp. Like the rest, call them on the io_context thread.

// One route as a peer is given it: its Adj-RIB-Out entry (RFC 4271 §3.2).
struct advertised_route {
  nlri destination;
  path_attributes attrs;
  std::vector<ip_address> next_hops;
};

enum class soft_reset_direction : std::uint8_t { in, out, both };

struct peer_inspection {
  peer_config config;  // password always empty: it is never reported back
  peer_status status;
  bool admin_down = false;  // disabled by an operator; stays Idle until enabled
  open_message local_open;  // the OPEN we send this peer
  std::optional<std::chrono::system_clock::time_point> uptime;  // last Established
  std::chrono::system_clock::time_point downtime;               // last state change otherwise
  std::uint16_t local_port = 0, remote_port = 0;                 // of the live connection
  std::vector<std::pair<family, std::uint64_t>> received, advertised;  // prefixes per family
};
// ---- end of inspection types -------------------------------------------------

class speaker {
 public:
  speaker(boost::asio::io_context& io, speaker_config config);
  ~speaker();
  speaker(const speaker&) = delete;
  speaker& operator=(const speaker&) = delete;

  // Opens the listener (if configured) and starts every peer. Throws
  // boost::system::system_error when the listener cannot be opened.
  void start();
  // The port the listener is bound to (useful with listen_port 0), or 0.
  std::uint16_t listen_port() const;

  // Add or change a peer. A change the live session can absorb (description,
  // max_prefixes) does not reset it; any other resets only that peer.
  void set_peer(peer_config config);
  void remove_peer(const ip_address& address);
  // RFC 9384: BFD found the path to the peer down. Cease 6/10 "BFD Down",
  // `reason` as the session's down reason, and no connection either way until called
  // again with false; independent of disable_peer. False when there is no such peer.
  // A set_peer that resets the peer forgets it.
  bool set_peer_bfd_down(const ip_address& address, bool down, std::string reason = {});

  // Routes for every peer.
  void announce(const route& r);
  void withdraw(const prefix& p);
  // Routes for one peer: a per-peer route replaces the speaker-wide route for the same
  // prefix toward that peer; withdrawing it falls back to the speaker-wide one. Per-peer
  // routes outlive a reset of the peer (set_peer) and are forgotten by remove_peer.
  void announce_to(const ip_address& peer, const route& r);
  void withdraw_from(const ip_address& peer, const prefix& p);

  // Cold start. While the owner does not have its first complete set of routes yet
  // (false), sessions still reach Established at once (keepalives run, what peers send
  // is received), but each is sent no route and no End-of-RIB: a peer that helps us
  // through a graceful restart keeps our previous routes until End-of-RIB (RFC 4724
  // §4.2), so it must not come before every route is there. Routes announced meanwhile
  // are held; a route refresh is answered by the initial update. Set to true, every
  // waiting session gets its initial update (every route announced so far), then
  // End-of-RIB; sessions established later get theirs at once. Call with false before
  // start() to hold the first sessions. Default: true.
  void set_initial_routes_ready(bool ready);
  bool initial_routes_ready() const;

  std::vector<peer_status> peers() const;
  std::optional<peer_status> peer(const ip_address& address) const;
  std::size_t route_count() const;

  void subscribe(std::function<void(const speaker_event&)> handler);

  // RFC 8326 graceful shutdown: re-announce everything with GRACEFUL_SHUTDOWN (and
  // LOCAL_PREF 0 toward iBGP), wait the drain time, withdraw, send Cease 6/2 with an
  // RFC 9003 message, then call `done`.
  void shutdown(std::string text, std::function<void()> done);
  // During (or before) shutdown(): end the drain now; withdrawal and Cease follow at once.
  void skip_drain();

  // Stop at once without NOTIFICATION, as a crash would (for graceful-restart tests).
  void abort();

  // ---- Inspection and operator control (speaker_inspect.cpp) -------------------
  const speaker_config& configuration() const;
  // Every route we originate: the speaker-wide ones (announce), then each distinct
  // per-peer one (announce_to) that differs from them; no particular order.
  std::vector<route> originated_routes() const;
  std::vector<peer_inspection> inspect_peers() const;
  std::optional<peer_inspection> inspect_peer(const ip_address& address) const;
  // What `peer` is given for family `f`; nullopt when there is no such peer.
  std::optional<std::vector<advertised_route>> adj_rib_out(const ip_address& peer, family f) const;
  // What `peer` sent us for family `f` and has not withdrawn, attributes as received;
  // empty unless its config has keep_received; nullopt when there is no such peer.
  std::optional<std::vector<advertised_route>> adj_rib_in(const ip_address& peer, family f) const;
  // Each returns false when there is no such peer.
  // Hard reset: Cease 6/4 with an RFC 9003 `communication`, then connect again.
  bool reset_peer(const ip_address& address, std::string communication);
  // out: send the Adj-RIB-Out again; in: ask the peer for a ROUTE-REFRESH.
  bool soft_reset_peer(const ip_address& address, soft_reset_direction d);
  // Cease 6/2 with `communication`; the peer stays Idle (admin down) until enabled.
  bool disable_peer(const ip_address& address, std::string communication);
  bool enable_peer(const ip_address& address);
  // ---- end of inspection and operator control ----------------------------------

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace bgp
