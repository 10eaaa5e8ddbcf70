// bfd::manager — the BFD sessions of one process (RFC 5880 asynchronous mode over
// RFC 5881 single-hop and RFC 5883 multihop UDP, IPv4 and IPv6), run on one
// boost::asio::io_context thread: every member function must be called on that
// thread, and the manager must be destroyed before the io_context is.
//
// Sessions are keyed by (peer address, local address, interface, hop mode) and
// configured with MetalLB's BFDProfile. One receive socket and one send socket per
// address family and hop mode serve every session; one steady_timer over a heap of
// deadlines drives transmission and detection. No thread per session.
#pragma once

#include <bfd/packet.hpp>
#include <bfd/profile.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bfd {

enum class hop_mode : std::uint8_t { single_hop, multi_hop };
std::string_view to_string(hop_mode h);  // "single-hop", "multihop"

struct session_key {
  boost::asio::ip::address peer;
  std::optional<boost::asio::ip::address> local;  // source address; none: the kernel's choice
  std::string interface;                          // single hop: the link (needed for link-local peers)
  hop_mode hops = hop_mode::single_hop;

  friend bool operator==(const session_key&, const session_key&) = default;
  friend bool operator<(const session_key& a, const session_key& b);
  std::string to_string() const;  // "10.0.0.2 single-hop from 10.0.0.1 on eth0"
};

// RFC 5880 §6.7.4 keyed SHA1 or meticulous keyed SHA1; type none: no authentication.
struct authentication {
  auth_type type = auth_type::none;
  std::uint8_t key_id = 0;
  std::string key;  // at most 20 octets
  friend bool operator==(const authentication&, const authentication&) = default;
};

struct session_config {
  session_key key;
  profile timers;
  authentication auth;
  std::uint16_t peer_port = 0;  // 0: 3784 single hop, 4784 multihop (tests use others)
  friend bool operator==(const session_config&, const session_config&) = default;
};

// Per session, under MetalLB's metric names (see metrics.hpp).
struct session_counters {
  std::uint64_t control_packet_input = 0, control_packet_output = 0;
  std::uint64_t echo_packet_input = 0, echo_packet_output = 0;  // always 0: no echo
  std::uint64_t session_up_events = 0, session_down_events = 0;
  std::uint64_t dropped = 0;  // packets for this session refused (TTL, authentication)
  std::uint64_t notifications = 0;  // state changes handed to subscribers (FRR: to zebra)
};

struct session_status {
  session_config config;
  state local_state = state::down, remote_state = state::down;
  diagnostic local_diag = diagnostic::none;     // sent in our packets
  diagnostic remote_diag = diagnostic::none;    // last received
  diagnostic last_down_diag = diagnostic::none;  // why the session last left Up
  std::uint32_t local_discriminator = 0, remote_discriminator = 0;
  // Negotiated, microseconds: our transmission interval (before jitter) and the
  // detection time; 0 while not known.
  std::uint32_t tx_interval_us = 0, detection_time_us = 0;
  std::uint32_t desired_min_tx_us = 0, required_min_rx_us = 0;  // what we send
  std::uint32_t remote_min_rx_us = 0, remote_desired_tx_us = 0;
  std::uint32_t remote_detect_mult = 0;
  bool poll_in_progress = false;
  bool echo_active = false;  // always false: the Echo function is not implemented
  bool admin_down = false;
  session_counters counters;
  std::chrono::steady_clock::time_point since;  // last state change
};

struct state_change {
  session_key key;
  state from = state::down, to = state::down;
  diagnostic diag = diagnostic::none;         // our Diag: why (detection time expired, ...)
  diagnostic remote_diag = diagnostic::none;  // the peer's last Diag
  // The peer's state. Down because the peer said AdminDown (RFC 5882 §3.2: the client
  // protocol SHOULD NOT be torn down for that) shows as to == down, remote == admin_down.
  state remote_state = state::down;
};

struct manager_config {
  std::uint16_t single_hop_port = 3784;  // RFC 5881 §4; 0 binds an ephemeral port (tests)
  std::uint16_t multi_hop_port = 4784;   // RFC 5883 §5
  std::string bind_device;               // SO_BINDTODEVICE for every socket (a VRF), or empty
  // Random numbers for discriminators, jitter and sequence numbers; default: seeded
  // from std::random_device. Tests inject their own.
  std::function<std::uint32_t()> random;
};

// Manager-wide figures: drops before a session was found, transmissions later than
// §6.8.7 allows (interval since the previous packet above the negotiated one).
struct manager_stats {
  std::array<std::uint64_t, drop_reason_count> drops{};
  std::uint64_t send_errors = 0;
  std::uint64_t late_transmissions = 0, transmissions = 0;
  std::chrono::microseconds max_lateness{0};  // worst delay beyond the deadline
  // Periodic transmissions by delay past their deadline: < 100 us, < 1 ms, < 5 ms,
  // < 20 ms, more (the timer's precision as the process sees it).
  static constexpr std::array<std::chrono::microseconds, 4> lateness_bounds{
      std::chrono::microseconds(100), std::chrono::microseconds(1000), std::chrono::microseconds(5000),
      std::chrono::microseconds(20000)};
  std::array<std::uint64_t, 5> lateness_histogram{};
};

class manager {
 public:
  explicit manager(boost::asio::io_context& io, manager_config config = {});
  ~manager();
  manager(const manager&) = delete;
  manager& operator=(const manager&) = delete;

  // Adds a session, or changes one: new intervals are negotiated with a Poll Sequence
  // (RFC 5880 §6.8.3) and the session stays Up. Returns an error text (invalid
  // profile, unknown interface, socket error), empty on success.
  std::string set_session(const session_config& config);
  // Sends AdminDown (Diag 7) once and forgets the session. False if unknown.
  bool remove_session(const session_key& key);
  // Operator disable (AdminDown, Diag 7, §6.8.16) / enable. False if unknown.
  bool set_admin_down(const session_key& key, bool down);

  std::optional<session_status> status(const session_key& key) const;
  std::vector<session_status> sessions() const;
  const manager_stats& stats() const;

  // Called (posted to the io_context) on every state change of every session.
  void subscribe(std::function<void(const state_change&)> handler);

  // The bound receive port for a family and hop mode (0 if no socket yet).
  std::uint16_t local_port(hop_mode h, bool ipv6) const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// Checks a config against MetalLB's ranges and the key's consistency (families,
// hop mode); the error text, empty if valid.
std::string validate(const session_config& c);

}  // namespace bfd
