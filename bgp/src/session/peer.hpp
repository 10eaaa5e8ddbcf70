// One BGP peer: its FSM session, TCP connection, timers and Adj-RIB-Out, driven by
// one Boost.Asio coroutine (run) on the speaker's io_context thread.
#pragma once

#include "fsm/fsm.hpp"
#include "rib/adj_rib_in.hpp"
#include "rib/adj_rib_out.hpp"
#include "session/link.hpp"

#include <bgp/codec.hpp>
#include <bgp/speaker.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace bgp::session {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

class peer : public std::enable_shared_from_this<peer> {
 public:
  peer(speaker::impl& owner, peer_config config);

  void start();
  // Orderly stop: NOTIFICATION `n`, then Idle; `remove` ends the coroutine for good.
  void stop(notification_message n, std::string reason, bool remove);
  // Close without a NOTIFICATION and end, as a crash would.
  void abort();
  // An incoming connection from this peer's address (RFC 4271 §6.8 collisions).
  void offer(tcp::socket s);

  // The route for p (speaker-wide or this peer's own) was added, changed or removed.
  void route_changed(const prefix& p);
  // Re-derive every route's attributes (graceful shutdown on/off).
  void refresh_routes();
  // The speaker's owner has its first complete set of routes: an Established session
  // that was waiting for them gets its initial update and End-of-RIB.
  void initial_routes_ready();
  void withdraw_everything();

  peer_status status() const;
  const peer_config& config() const { return cfg_; }
  // A change the live session can absorb: only the description and the prefix limit.
  bool absorbs(const peer_config& c) const {
    auto same = c;
    same.description = cfg_.description;
    same.max_prefixes = cfg_.max_prefixes;
    same.keep_received = cfg_.keep_received;
    return same == cfg_;
  }
  // Turning keep_received on asks the peer for its routes again (ROUTE-REFRESH) so the
  // Adj-RIB-In fills; turning it off drops the kept attributes.
  void set_soft_config(const peer_config& c);
  bool established() const { return fsm_.st == fsm::state::established; }
  bool finished() const { return finished_; }
  // Operator control and inspection (speaker_inspect.cpp).
  void hard_reset(std::string communication);
  void soft_reset(soft_reset_direction d);
  void set_admin_down(bool down, std::string communication);
  bool admin_down() const { return admin_down_; }
  // RFC 9384: Cease 6/10 and no connection until cleared (speaker::set_peer_bfd_down).
  void set_bfd_down(bool down, std::string reason);
  open_message local_open() const { return make_open(); }
  std::pair<std::uint16_t, std::uint16_t> ports() const;  // local, remote
  std::vector<std::pair<family, std::uint64_t>> received_counts() const;
  std::vector<advertised_route> received_routes(family f) const;  // kept ones only
  std::uint64_t advertised_count(family f) const { return rib_.sent(f); }
  std::size_t received_count() const { return received_.size(); }  // routes held
  // What the peer is given for family f (its Adj-RIB-Out as desired, RFC 4271 §3.2).
  std::vector<advertised_route> advertised(family f) const;

  // Routes or bytes still to go out on an established session.
  bool sending() const {
    return fsm_.st == fsm::state::established && (rib_.pending() || (link_ && !link_->idle()));
  }

 private:
  asio::awaitable<void> run();
  asio::awaitable<void> connect_phase();
  asio::awaitable<void> session_phase();
  // Carry on over `s`, now connected: a link (and its writer) of its own.
  void use_connection(tcp::socket s);
  asio::awaitable<void> sleep_until(clock::time_point t);
  asio::awaitable<void> screen_incoming(std::shared_ptr<tcp::socket> s);
  // `received` holds the connection's OPEN (its first `open_length` octets) and what
  // followed it.
  void incoming_open(tcp::socket& s, bytes received, std::size_t open_length);
  // A connection collision (RFC 4271 §6.8): an incoming connection's OPEN is in
  // (replacement_); the FSM decides. False when there is none.
  bool collide();
  void take_incoming();                  // action take_incoming
  static void reject_connection(tcp::socket s);  // Cease 7, then close

  void wake();
  void handle(const fsm::event& e);
  void apply(const fsm::action& a);
  void on_established();
  void start_initial_update();
  // Established, and past the wait for the owner's first routes: changes are sent.
  bool routes_flow() const { return fsm_.st == fsm::state::established && !awaiting_initial_routes_; }
  void on_down(const std::string& reason);
  void receive(byte_view wire);
  void on_update(const update_message& u, const std::optional<decode_error>& err);
  void answer_route_refresh(family f);
  void send(const message& m);
  void close_socket();
  std::string prepare_socket(tcp::socket& s, bool outgoing);
  open_message make_open() const;
  // The attribute set this peer is to have for p (null: nothing), looked up in the
  // speaker's tables (`own`: this peer's own routes, or null).
  const rib::attr_ref* desired(const rib::route_table* own, const prefix& p) const;
  const rib::attr_ref* attributes_for(rib::route_pool::id route_attrs, family f) const;
  std::optional<rib::attr_ref> derive_attributes(const route& r, family f) const;
  // Every prefix this peer may carry, of the families of this session.
  std::vector<prefix> carried_prefixes() const;
  // Writes UPDATEs for the changes, looking at no more than `budget` prefixes.
  std::size_t flush_routes(std::size_t budget);
  // Route refresh or soft reset out: every route again (RFC 2918 §4).
  void resend_all();
  std::chrono::milliseconds next_backoff();

  speaker::impl& owner_;
  peer_config cfg_;
  fsm::config fsm_cfg_;
  fsm::session fsm_;
  tcp::socket socket_;           // our connection attempt, until it is connected
  std::shared_ptr<link> link_;   // the connection of the session, with its writer
  asio::steady_timer timer_;
  bytes rx_;
  std::size_t rx_begin_ = 0, rx_end_ = 0;
  session_context tx_ctx_, rx_ctx_;
  std::vector<family> families_;
  rib::adj_rib_out rib_;
  rib::adj_rib_in received_;  // holds routes only with cfg_.keep_received
  std::optional<ip_address> local_address_;
  // Derived attribute sets by route-attribute id, per family (0: IPv4, 1: IPv6); valid
  // for one route_pool generation, graceful-shutdown setting and session.
  mutable std::vector<std::optional<rib::attr_ref>> derived_[2];
  mutable std::uint64_t derived_generation_ = 0;
  mutable bool derived_graceful_shutdown_ = false;
  void forget_derived() const {
    derived_[0].clear();
    derived_[1].clear();
  }
  bool withdrawn_all_ = false;  // withdraw_everything(): the peer is to have nothing
  // Prefixes looked at per flush while the session is dumping its routes: UPDATEs
  // start leaving before the whole Adj-RIB-Out has been looked at.
  static constexpr std::size_t flush_slice = 16384;
  bool extended_next_hop_ = false;

  std::optional<clock::time_point> connect_retry_at_, hold_at_, keepalive_at_;
  std::chrono::milliseconds backoff_;
  bool want_connect_ = false;
  bool wake_pending_ = false;
  bool removed_ = false;
  bool admin_down_ = false;  // disabled by an operator: no connection until enabled
  bool bfd_down_ = false;    // BFD says the path is down: no connection until it is up
  bool held_down() const { return admin_down_ || bfd_down_; }
  bool retry_now_ = false;  // held down no more: end the back-off, connect now
  void release();
  bool aborted_ = false;
  bool finished_ = false;
  bool send_end_of_rib_ = false;
  bool awaiting_initial_routes_ = false;  // Established, initial update held (owner not ready)
  bool updates_in_flight_ = false;  // UPDATEs queued since the last routes_sent event
  std::optional<tcp::socket> incoming_;
  struct replacement {
    tcp::socket socket;
    open_message open;
    bytes leftover;
  };
  std::optional<replacement> replacement_;

  peer_counters counters_;
  std::string last_down_reason_;
  clock::time_point since_ = clock::now();
};

}  // namespace bgp::session
