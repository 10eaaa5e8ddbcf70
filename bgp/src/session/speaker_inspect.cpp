// Inspection and operator control of a speaker: what the GoBGP-compatible API and
// bgplbctl read (peers with timers and capabilities, originated routes, each peer's
// Adj-RIB-Out) and what they may do (hard and soft reset, enable, disable).
#include <bgp/speaker.hpp>

#include "session/peer.hpp"
#include "session/speaker_impl.hpp"

#include <bgp/iana.hpp>

#include <algorithm>

namespace bgp {

namespace {

// Steady-clock times to wall-clock ones with one offset taken once, so that a time
// reads the same on every call.
std::chrono::system_clock::time_point wall_time_of(std::chrono::steady_clock::time_point t) {
  static const auto offset = std::chrono::system_clock::now().time_since_epoch() -
                             std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 std::chrono::steady_clock::now().time_since_epoch());
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(t.time_since_epoch()) + offset);
}

peer_inspection inspect(const session::peer& p) {
  peer_inspection in;
  in.config = p.config();
  in.config.password.clear();
  in.status = p.status();
  in.admin_down = p.admin_down();
  in.local_open = p.local_open();
  const auto at = wall_time_of(in.status.since);
  in.downtime = at;
  // An established session is up since its last state change; one that was up once
  // keeps an uptime until an operator disables it (as GoBGP shows it).
  if (in.status.state == peer_state::established ||
      (in.status.counters.established_transitions > 0 && !in.admin_down))
    in.uptime = at;
  std::tie(in.local_port, in.remote_port) = p.ports();
  in.received = p.received_counts();
  for (auto f : in.status.families) in.advertised.emplace_back(f, p.advertised_count(f));
  return in;
}

}  // namespace

const speaker_config& speaker::configuration() const { return impl_->cfg; }

std::vector<route> speaker::originated_routes() const {
  std::vector<route> out;
  out.reserve(impl_->routes.size());
  for (const auto& [p, r] : impl_->routes) out.push_back(r);
  // Per-peer routes (announce_to) too, each distinct one once.
  for (const auto& [a, table] : impl_->peer_routes)
    for (const auto& [p, r] : table) {
      auto g = impl_->routes.find(p);
      if (g != impl_->routes.end() && g->second == r) continue;
      if (std::find(out.begin() + static_cast<std::ptrdiff_t>(impl_->routes.size()), out.end(), r) == out.end())
        out.push_back(r);
    }
  return out;
}

std::vector<peer_inspection> speaker::inspect_peers() const {
  std::vector<peer_inspection> out;
  for (const auto& [a, p] : impl_->peers) out.push_back(inspect(*p));
  return out;
}

std::optional<peer_inspection> speaker::inspect_peer(const ip_address& address) const {
  auto it = impl_->peers.find(address);
  if (it == impl_->peers.end()) return std::nullopt;
  return inspect(*it->second);
}

std::optional<std::vector<advertised_route>> speaker::adj_rib_out(const ip_address& peer, family f) const {
  auto it = impl_->peers.find(peer);
  if (it == impl_->peers.end()) return std::nullopt;
  std::vector<advertised_route> out;
  it->second->for_each_advertised(f, [&](const nlri& n, const rib::attribute_set& a) {
    out.push_back(advertised_route{n, a.attrs, a.next_hops});
  });
  return out;
}

bool speaker::reset_peer(const ip_address& address, std::string communication) {
  auto it = impl_->peers.find(address);
  if (it == impl_->peers.end()) return false;
  it->second->hard_reset(std::move(communication));
  return true;
}

bool speaker::soft_reset_peer(const ip_address& address, soft_reset_direction d) {
  auto it = impl_->peers.find(address);
  if (it == impl_->peers.end()) return false;
  it->second->soft_reset(d);
  return true;
}

bool speaker::disable_peer(const ip_address& address, std::string communication) {
  auto it = impl_->peers.find(address);
  if (it == impl_->peers.end()) return false;
  it->second->set_admin_down(true, std::move(communication));
  return true;
}

bool speaker::enable_peer(const ip_address& address) {
  auto it = impl_->peers.find(address);
  if (it == impl_->peers.end()) return false;
  it->second->set_admin_down(false, {});
  return true;
}

namespace session {

// RFC 9003: the communication travels with Cease 6/4 (reset) and 6/2 (shutdown).
void peer::hard_reset(std::string communication) {
  stop(notification_message::cease(iana::cease_subcode::administrative_reset, communication),
       "reset by operator", false);
}

void peer::set_admin_down(bool down, std::string communication) {
  if (down == admin_down_) return;
  admin_down_ = down;
  if (down) stop(notification_message::cease(iana::cease_subcode::administrative_shutdown, communication),
                 "disabled by operator", false);
  else wake();
}

void peer::soft_reset(soft_reset_direction d) {
  if (fsm_.st != fsm::state::established) return;
  if (d != soft_reset_direction::in) {
    rib_.forget_sent();  // the next flush sends every route again
    wake();
  }
  // RFC 2918 §3: ask the peer to send its routes again, when it can.
  if (d != soft_reset_direction::out && fsm_.peer_open.find<cap_route_refresh>() != nullptr) {
    for (auto f : families_) send(route_refresh_message{f, iana::route_refresh_subtype::normal});
    wake();
  }
}

std::pair<std::uint16_t, std::uint16_t> peer::ports() const {
  if (!socket_.is_open()) return {0, 0};
  boost::system::error_code ec1, ec2;
  const auto l = socket_.local_endpoint(ec1);
  const auto r = socket_.remote_endpoint(ec2);
  return {ec1 ? std::uint16_t{0} : l.port(), ec2 ? std::uint16_t{0} : r.port()};
}

std::vector<std::pair<family, std::uint64_t>> peer::received_counts() const {
  std::vector<std::pair<family, std::uint64_t>> out;
  for (const auto& [f, set] : received_) out.emplace_back(f, set.size());
  return out;
}

}  // namespace session

}  // namespace bgp
