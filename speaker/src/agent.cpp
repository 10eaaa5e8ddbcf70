// speaker::agent: peers and per-peer routes from the planner onto bgp::speaker sessions,
// and each peer's BFD session tied to its BGP session.
#include "speaker/agent.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

namespace speaker {

namespace {

// Link bandwidth per ready local endpoint, in bytes per second (1 Gbit/s): only the
// ratio between nodes matters to the router's weighted ECMP.
constexpr float bandwidth_per_endpoint = 125'000'000.0F;

boost::asio::ip::address to_asio(const model::ip_address& a) {
  return boost::asio::ip::make_address(a.to_string());
}

bfd::session_key bfd_key(const peer_plan& p) {
  return {to_asio(p.address), p.source_address ? std::optional(to_asio(*p.source_address)) : std::nullopt, "",
          p.ebgp_multihop ? bfd::hop_mode::multi_hop : bfd::hop_mode::single_hop};
}

}  // namespace

bgp::ip_address to_bgp(const model::ip_address& a) {
  if (a.family() == model::ip_family::v4) return bgp::ip_address::v4(static_cast<std::uint32_t>(a.value()));
  std::array<std::uint8_t, 16> o{};
  for (int i = 0; i < 16; ++i) o[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(a.value() >> (8 * (15 - i)));
  return bgp::ip_address::v6(o);
}

bgp::prefix to_bgp(const model::cidr& c) {
  return bgp::prefix::make(to_bgp(c.network()), static_cast<std::uint8_t>(c.prefix_length()));
}

bgp::route to_route(const model::cidr& prefix, const route_plan& r, std::uint32_t my_asn) {
  bgp::route out;
  out.destination = to_bgp(prefix);
  out.communities.assign(r.communities.begin(), r.communities.end());
  for (const auto& l : r.large_communities) out.large_communities.push_back({l.global, l.local1, l.local2});
  out.local_pref = r.local_pref;
  if (r.link_bandwidth_endpoints) {
    // draft-ietf-idr-link-bandwidth: non-transitive two-octet-AS type 0x40, subtype 0x04,
    // the AS (AS_TRANS when it needs four octets), bandwidth as an IEEE 754 float.
    const std::uint64_t as16 = my_asn <= 0xFFFF ? my_asn : 23456;
    const float bw = bandwidth_per_endpoint * static_cast<float>(*r.link_bandwidth_endpoints);
    out.extended_communities.push_back(std::uint64_t{0x40} << 56 | std::uint64_t{0x04} << 48 | as16 << 32 |
                                       std::bit_cast<std::uint32_t>(bw));
  }
  return out;
}

agent::agent(boost::asio::io_context& io, agent_options opts, const route_table& routes)
    : io_(io), options_(std::move(opts)), desired_(routes), bfd_(io_, options_.bfd) {
  // State changes are posted to the io_context; one may arrive after the agent is gone.
  bfd_.subscribe([this, token = std::weak_ptr<char>(alive_)](const bfd::state_change& c) {
    if (!token.expired()) on_bfd(c);
  });
}

agent::~agent() = default;

agent::identity agent::identity_of(const peer_plan& p) const {
  std::uint32_t rid = 0;
  if (p.router_id && p.router_id->family() == model::ip_family::v4) rid = static_cast<std::uint32_t>(p.router_id->value());
  else if (options_.router_id && options_.router_id->family() == model::ip_family::v4)
    rid = static_cast<std::uint32_t>(options_.router_id->value());
  return {p.my_asn, rid, p.graceful_restart};
}

bgp::speaker& agent::group(const identity& id) {
  auto it = groups_.find(id);
  if (it != groups_.end()) return *it->second;
  bgp::speaker_config c;
  c.asn = std::get<0>(id);
  c.router_id = std::get<1>(id);
  c.graceful_restart = std::get<2>(id);
  c.shutdown_drain = options_.shutdown_drain;
  c.hostname = options_.hostname;
  auto s = std::make_unique<bgp::speaker>(io_, c);
  s->subscribe([this, id](const bgp::speaker_event& e) {
    auto n = names_.find({id, e.peer});
    if (n == names_.end()) return;
    for (const auto& h : handlers_) h(n->second, e);
  });
  s->start();
  return *groups_.emplace(id, std::move(s)).first->second;
}

void agent::add(const peer_plan& p) {
  const identity id = identity_of(p);
  bgp::peer_config c;
  c.address = to_bgp(p.address);
  c.port = p.port;
  c.peer_as = p.peer_asn;
  if (p.source_address) c.local_address = to_bgp(*p.source_address);
  c.hold_time = static_cast<std::uint16_t>(p.hold_time.count());
  c.keepalive = p.keepalive ? static_cast<std::uint16_t>(p.keepalive->count()) : 0;
  if (p.connect_time) c.connect_retry = static_cast<std::uint16_t>(p.connect_time->count());
  c.password = p.password;
  c.ebgp_multihop_ttl = p.ebgp_multihop ? 255 : 1;
  c.description = p.name;
  c.ipv4_unicast = carries(p, model::ip_family::v4);
  c.ipv6_unicast = carries(p, model::ip_family::v6);
  c.keep_received = options_.keep_received;
  c.max_prefixes = options_.max_received;
  auto& s = group(id);
  names_[{id, c.address}] = p.name;
  const bool fresh = !s.peer(c.address);
  s.set_peer(c);
  auto& e = peers_[p.name];
  e.plan = p;
  e.id = id;
  set_bfd(e);
  // A reset of the peer (a new BGP session) forgets that BFD held it down.
  if (e.bfd_down) s.set_peer_bfd_down(c.address, true, "BFD session down");
  if (fresh)
    if (auto d = desired_.find(p.name); d != desired_.end())
      for (const auto& [prefix, r] : d->second) s.announce_to(c.address, to_route(prefix, r, p.my_asn));
}

// RFC 5882 §4.3: one BFD session per BGP session, with the BGPPeer's profile. A new
// profile on the same key is renegotiated by the manager (Poll Sequence) without a flap.
void agent::set_bfd(peer_entry& e) {
  std::optional<bfd::session_key> want;
  if (e.plan.bfd) want = bfd_key(e.plan);
  if (e.bfd && e.bfd != want) {
    bfd_.remove_session(*e.bfd);  // AdminDown to the peer
    e.bfd.reset();
    if (e.bfd_down) hold_bgp(e, false, "");
  }
  if (!want) return;
  bfd::session_config c;
  c.key = *want;
  c.timers = e.plan.bfd->timers;
  c.peer_port = options_.bfd_peer_port;
  if (auto err = bfd_.set_session(c); !err.empty()) {
    emit({e.plan.name, std::nullopt, err});
    return;
  }
  e.bfd = want;
}

void agent::hold_bgp(peer_entry& e, bool down, const std::string& reason) {
  e.bfd_down = down;
  groups_.at(e.id)->set_peer_bfd_down(to_bgp(e.plan.address), down, reason);
  if (down) watch_held();
}

// RFC 5882 §3.2 once more: a router that turns BFD off while our session is already Down
// sends AdminDown without our state changing, so no state change tells; look once a
// second while a session is held.
void agent::watch_held() {
  if (held_timer_armed_) return;
  held_timer_armed_ = true;
  held_timer_.expires_after(std::chrono::seconds(1));
  held_timer_.async_wait([this, token = std::weak_ptr<char>(alive_)](boost::system::error_code ec) {
    if (ec || token.expired()) return;
    held_timer_armed_ = false;
    bool still = false;
    for (auto& [name, e] : peers_) {
      if (!e.bfd_down || !e.bfd) continue;
      const auto st = bfd_.status(*e.bfd);
      if (!st || st->remote_state != bfd::state::admin_down) {
        still = true;
        continue;
      }
      hold_bgp(e, false, "");
      bfd_event ev{name, bfd::state_change{*e.bfd, st->local_state, st->local_state, st->local_diag, st->remote_diag,
                                           st->remote_state}, {}};
      ev.bgp_released = true;
      emit(ev);
    }
    if (still) watch_held();
  });
}

// RFC 5882 §3.2: a session that leaves Up takes the BGP session down at once, unless
// the peer said AdminDown (BFD was turned off there, the path may be fine); BGP stays
// down until BFD is Up again. The peer's AdminDown also lets a held session go.
void agent::on_bfd(const bfd::state_change& c) {
  auto it = std::find_if(peers_.begin(), peers_.end(), [&](const auto& p) { return p.second.bfd == c.key; });
  if (it == peers_.end()) return;  // removed or re-keyed since
  peer_entry& e = it->second;
  bfd_event ev{it->first, c, {}};
  const bool peer_admin_down = c.remote_state == bfd::state::admin_down;
  if (c.from == bfd::state::up && c.to != bfd::state::up && !peer_admin_down && !e.bfd_down) {
    hold_bgp(e, true, "BFD session down: " + std::string(bfd::to_string(c.diag)));
    ev.bgp_down = true;
  } else if (e.bfd_down && (c.to == bfd::state::up || peer_admin_down)) {
    hold_bgp(e, false, "");
    ev.bgp_released = true;
  }
  emit(ev);
}

void agent::emit(const bfd_event& ev) {
  for (const auto& h : bfd_handlers_) h(ev);
}

std::string agent::bfd_peer(const bfd::session_key& key) const {
  for (const auto& [name, e] : peers_)
    if (e.bfd == key) return name;
  return "";
}

bool agent::bfd_holds_down(const std::string& peer) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && it->second.bfd_down;
}

void agent::remove(const std::string& name) {
  auto it = peers_.find(name);
  if (it == peers_.end()) return;
  const auto address = to_bgp(it->second.plan.address);
  if (it->second.bfd) bfd_.remove_session(*it->second.bfd);  // AdminDown to the peer
  groups_.at(it->second.id)->remove_peer(address);
  names_.erase({it->second.id, address});
  peers_.erase(it);
}

void agent::set_peers(const std::vector<peer_plan>& peers) {
  std::map<std::string, const peer_plan*> want;
  for (const auto& p : peers) want.emplace(p.name, &p);
  std::vector<std::string> gone;
  for (const auto& [name, e] : peers_) {
    auto w = want.find(name);
    // Another local identity or address is another session: take this one down first.
    if (w == want.end() || identity_of(*w->second) != e.id || w->second->address != e.plan.address) gone.push_back(name);
  }
  for (const auto& n : gone) remove(n);
  for (const auto& p : peers) {
    auto e = peers_.find(p.name);
    if (e != peers_.end() && e->second.plan == p) continue;
    add(p);
  }
}

void agent::apply(const std::vector<route_change>& changes) {
  for (const auto& c : changes) {
    auto e = peers_.find(c.peer);
    if (e == peers_.end()) continue;
    auto& s = *groups_.at(e->second.id);
    const auto address = to_bgp(e->second.plan.address);
    if (c.route) s.announce_to(address, to_route(c.prefix, *c.route, e->second.plan.my_asn));
    else s.withdraw_from(address, to_bgp(c.prefix));
  }
}

std::vector<session_view> agent::sessions() const {
  std::vector<session_view> out;
  for (const auto& [name, e] : peers_) {
    auto st = groups_.at(e.id)->peer(to_bgp(e.plan.address));
    if (!st) continue;
    auto d = desired_.find(name);
    out.push_back({name, std::move(*st), d == desired_.end() ? 0 : d->second.size()});
  }
  return out;
}

std::vector<bgp::speaker*> agent::speakers() const {
  std::vector<bgp::speaker*> out;
  for (const auto& [id, s] : groups_) out.push_back(s.get());
  return out;
}

void agent::skip_drain() {
  for (auto& [id, s] : groups_) s->skip_drain();
}

void agent::shutdown(std::string text, std::function<void()> done) {
  // Once the BGP sessions are closed, every BFD session says AdminDown (RFC 5880 §6.8.16):
  // the routers see a shutdown, not a failure.
  auto finish = std::make_shared<std::function<void()>>([this, done = std::move(done)] {
    for (auto& [name, e] : peers_)
      if (e.bfd) bfd_.remove_session(*std::exchange(e.bfd, std::nullopt));
    if (done) done();
  });
  if (groups_.empty()) {
    (*finish)();
    return;
  }
  auto left = std::make_shared<std::size_t>(groups_.size());
  for (auto& [id, s] : groups_)
    s->shutdown(text, [left, finish] {
      if (--*left == 0) (*finish)();
    });
}

}  // namespace speaker
