// Inspection and operator control of a speaker: what the GoBGP-compatible API and
// bgplbctl read (peers with timers and capabilities, originated routes, each peer's
// Adj-RIB-Out) and what they may do (hard and soft reset, enable, disable).
#include <bgp/speaker.hpp>

#include "session/peer.hpp"
#include "session/speaker_impl.hpp"

#include <bgp/iana.hpp>

#include <algorithm>
#include <set>

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
  const auto& i = *impl_;
  std::vector<route> out;
  out.reserve(i.routes.size());
  auto add = [&](const prefix& p, rib::route_pool::id a) {
    out.push_back(i.route_attrs.get(a));
    out.back().destination = p;
  };
  i.routes.for_each(add);
  // Per-peer routes (announce_to), each distinct one once.
  std::set<std::pair<prefix, rib::route_pool::id>> seen;
  for (const auto& [peer, table] : i.peer_routes)
    table.for_each([&](const prefix& p, rib::route_pool::id a) {
      if (i.routes.find(p) == a || !seen.emplace(p, a).second) return;
      add(p, a);
    });
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
  return it->second->advertised(f);
}

std::optional<std::vector<advertised_route>> speaker::adj_rib_in(const ip_address& peer, family f) const {
  auto it = impl_->peers.find(peer);
  if (it == impl_->peers.end()) return std::nullopt;
  return it->second->received_routes(f);
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
  else release();
}

void peer::soft_reset(soft_reset_direction d) {
  if (fsm_.st != fsm::state::established) return;
  if (d != soft_reset_direction::in) {
    resend_all();
  }
  // RFC 2918 §3: ask the peer to send its routes again, when it can.
  if (d != soft_reset_direction::out && fsm_.peer_open.find<cap_route_refresh>() != nullptr) {
    for (auto f : families_) send(route_refresh_message{f, iana::route_refresh_subtype::normal});
    wake();
  }
}

std::pair<std::uint16_t, std::uint16_t> peer::ports() const {
  if (!link_ || link_->closed()) return {0, 0};
  boost::system::error_code ec1, ec2;
  const auto l = link_->socket().local_endpoint(ec1);
  const auto r = link_->socket().remote_endpoint(ec2);
  return {ec1 ? std::uint16_t{0} : l.port(), ec2 ? std::uint16_t{0} : r.port()};
}

std::vector<advertised_route> peer::received_routes(family f) const {
  std::vector<advertised_route> out;
  received_.for_each(f, [&](const nlri& n, const rib::adj_rib_in::path& p) {
    out.push_back(advertised_route{n, p.attrs, p.next_hops});
  });
  return out;
}

std::vector<std::pair<family, std::uint64_t>> peer::received_counts() const { return received_.sizes(); }

}  // namespace session

}  // namespace bgp
