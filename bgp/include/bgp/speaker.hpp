// bgp::speaker — the BGP speaker library the bgplb speaker process uses: peers,
// routes to announce, per-peer state and events. One speaker runs on one
// boost::asio::io_context thread; every member function must be called on that
// thread (post to it from elsewhere). Destroy the speaker only once that io_context
// is no longer run: its peers' coroutines refer to it.
//
// The speaker announces; it does not route. Routes received from peers are counted and,
// with peer_config::keep_received, kept for inspection (Adj-RIB-In); a maximum-prefix
// limit protects memory.
#pragma once

#include <bgp/message.hpp>
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

enum class peer_state : std::uint8_t { idle, connect, active, open_sent, open_confirm, established };
std::string_view to_string(peer_state s);

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
  std::optional<std::uint32_t> max_prefixes;  // RFC 4486 Cease 1 beyond this
  bool keep_received = false;               // keep received routes' attributes (Adj-RIB-In)
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

// A route to announce. The speaker derives each peer's attributes: own AS prepended
// and no LOCAL_PREF toward eBGP; LOCAL_PREF (default 100) toward iBGP; next hop self
// unless `next_hop` is set.
struct route {
  prefix destination;
  std::optional<ip_address> next_hop;
  origin_type origin = origin_type::igp;
  std::vector<std::uint32_t> as_path;       // after our own AS (eBGP)
  std::vector<std::uint32_t> communities;
  std::vector<large_community> large_communities;
  std::vector<std::uint64_t> extended_communities;
  std::optional<std::uint32_t> med;
  std::optional<std::uint32_t> local_pref;  // iBGP only

  friend bool operator==(const route&, const route&) = default;
};

struct peer_counters {
  std::uint64_t messages_sent = 0, messages_received = 0;
  std::uint64_t updates_sent = 0, updates_received = 0;
  std::uint64_t notifications_sent = 0, notifications_received = 0;
  std::uint64_t keepalives_sent = 0, keepalives_received = 0;
  std::uint64_t route_refreshes_received = 0;
  std::uint64_t established_transitions = 0;
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
  std::uint64_t sent_prefixes = 0, received_prefixes = 0;
  peer_counters counters;
  std::string last_down_reason;
  std::chrono::steady_clock::time_point since;  // time of the last state change
  std::optional<ip_address> local_address;
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
