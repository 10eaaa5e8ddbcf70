// The peer's side of the FSM: feeding events, carrying out actions, what is negotiated
// at Established, the OPEN we send, and the attributes each route gets toward this peer.
#include "session/peer.hpp"

#include "session/speaker_impl.hpp"

#include <bgp/iana.hpp>

#include <algorithm>

namespace bgp::session {

using fsm::action_kind;
using fsm::event_kind;

void peer::handle(const fsm::event& e) {
  const auto before = fsm_.st;
  auto r = fsm::step(fsm_, e, fsm_cfg_);
  fsm_ = std::move(r.next);
  for (const auto& a : r.actions) apply(a);
  if (fsm_.st != before) {
    since_ = clock::now();
    owner_.emit(speaker_event{speaker_event::kind::peer_state, cfg_.address,
                              fsm_.st, {}, nullptr});
  }
}

void peer::apply(const fsm::action& a) {
  const auto in = [](std::uint32_t s) { return clock::now() + std::chrono::seconds(s); };
  switch (a.kind) {
    case action_kind::connect: want_connect_ = true; break;
    case action_kind::close:
      // With a NOTIFICATION queued, the link closes once it is out (bounded).
      if (link_ && link_->urgent().empty()) link_->abort();
      if (link_) link_->retire(std::chrono::seconds(1));
      close_socket();
      break;
    case action_kind::send_open: send(make_open()); break;
    case action_kind::send_keepalive: send(keepalive_message{}); break;
    case action_kind::send_notification: send(a.notification); break;
    case action_kind::arm_connect_retry: connect_retry_at_ = clock::now() + next_backoff(); break;
    case action_kind::stop_connect_retry: connect_retry_at_.reset(); break;
    case action_kind::arm_hold:
      hold_at_ = a.seconds ? std::optional(in(a.seconds)) : std::nullopt;
      break;
    case action_kind::arm_keepalive:
      keepalive_at_ = a.seconds ? std::optional(in(a.seconds)) : std::nullopt;
      break;
    case action_kind::established: on_established(); break;
    case action_kind::deliver_update:
    case action_kind::answer_route_refresh:
      break;  // done by receive(), which has the message
    case action_kind::down: on_down(a.reason); break;
    case action_kind::take_incoming: take_incoming(); break;
    case action_kind::reject_incoming:
      if (replacement_) reject_connection(std::move(replacement_->socket));
      break;
  }
}

void peer::on_down(const std::string& reason) {
  last_down_reason_ = reason;
  forget_derived();
  owner_.emit(speaker_event{speaker_event::kind::peer_down, cfg_.address, peer_state::idle, reason, nullptr});
  rib_ = rib::adj_rib_out{};
  received_.clear();
  families_.clear();
  tx_ctx_ = rx_ctx_ = session_context{};
  hold_at_.reset();
  keepalive_at_.reset();
  awaiting_initial_routes_ = false;
}

open_message peer::make_open() const {
  open_message o;
  o.my_as = static_cast<std::uint16_t>(owner_.cfg.asn > 0xFFFF ? iana::as_trans : owner_.cfg.asn);
  o.hold_time = cfg_.hold_time;
  o.bgp_id = owner_.cfg.router_id;
  std::vector<family> fams;
  if (cfg_.ipv4_unicast) fams.push_back(ipv4_unicast);
  if (cfg_.ipv6_unicast) fams.push_back(ipv6_unicast);
  for (auto f : fams) o.capabilities.push_back(cap_multiprotocol{f});
  o.capabilities.push_back(cap_route_refresh{});
  o.capabilities.push_back(cap_enhanced_route_refresh{});
  o.capabilities.push_back(cap_extended_message{});
  // RFC 8950: offer IPv4 NLRI with IPv6 next hops on IPv6 transport.
  if (!cfg_.address.is_v4() && cfg_.ipv4_unicast)
    o.capabilities.push_back(cap_extended_next_hop{{{1, 1, 2}}});
  if (owner_.cfg.graceful_restart) {
    // RFC 4724 §3: our forwarding (the node's dataplane) survives a speaker restart.
    cap_graceful_restart gr;
    gr.restart_time = owner_.cfg.restart_time;
    gr.notification = true;  // RFC 8538
    for (auto f : fams) gr.entries.push_back({f, true});
    o.capabilities.push_back(gr);
  }
  o.capabilities.push_back(cap_four_octet_as{owner_.cfg.asn});
  if (cfg_.add_path_send) {
    cap_add_path ap;
    for (auto f : fams) ap.entries.push_back({f, cap_add_path::direction::send});
    o.capabilities.push_back(ap);
  }
  if (!owner_.cfg.hostname.empty()) o.capabilities.push_back(cap_fqdn{owner_.cfg.hostname, {}});
  return o;
}

void peer::on_established() {
  const open_message& theirs = fsm_.peer_open;
  const open_message ours = make_open();
  ++counters_.established_transitions;
  backoff_ = std::chrono::seconds(fsm_cfg_.connect_retry);

  // RFC 4760 §8: a family is used when both sides announced it; a peer that announced
  // no multiprotocol capability at all speaks IPv4 unicast only.
  bool any_mp = false;
  for (const auto& c : theirs.capabilities) any_mp = any_mp || std::holds_alternative<cap_multiprotocol>(c);
  families_.clear();
  for (const auto& c : ours.capabilities)
    if (const auto* mp = std::get_if<cap_multiprotocol>(&c)) {
      bool theirs_too = !any_mp && mp->fam == ipv4_unicast;
      for (const auto& t : theirs.capabilities)
        if (const auto* tmp = std::get_if<cap_multiprotocol>(&t); tmp && tmp->fam == mp->fam) theirs_too = true;
      if (theirs_too) families_.push_back(mp->fam);
    }

  const bool four = theirs.find<cap_four_octet_as>() != nullptr;
  const bool ext_msg = theirs.find<cap_extended_message>() != nullptr;
  const bool ebgp = cfg_.peer_as != owner_.cfg.asn;
  tx_ctx_ = session_context{};
  tx_ctx_.four_octet_as = four;
  tx_ctx_.extended_message = ext_msg;
  tx_ctx_.ebgp = ebgp;
  rx_ctx_ = tx_ctx_;
  rx_ctx_.local_id = owner_.cfg.router_id;
  rx_ctx_.local_address = local_address_;
  // RFC 7911 §4: we send path ids for a family when we offered send and it offered
  // receive. We never offer receive, so the peer never sends them to us.
  if (cfg_.add_path_send)
    if (const auto* ap = theirs.find<cap_add_path>())
      for (const auto& e : ap->entries)
        if (e.dir != cap_add_path::direction::send) {
          if (e.fam == ipv4_unicast) tx_ctx_.add_path_ipv4 = true;
          if (e.fam == ipv6_unicast) tx_ctx_.add_path_ipv6 = true;
        }
  extended_next_hop_ = false;
  if (const auto* enh = theirs.find<cap_extended_next_hop>())
    for (const auto& e : enh->entries)
      if (e.nlri_afi == 1 && e.nlri_safi == 1 && e.next_hop_afi == 2) extended_next_hop_ = true;

  rib_ = rib::adj_rib_out{};
  forget_derived();
  withdrawn_all_ = false;
  // Until the speaker's owner has its first complete set of routes, the session waits
  // with them (and with End-of-RIB, which tells a restarting peer's helper that our
  // routes are complete, RFC 4724 §4).
  awaiting_initial_routes_ = !owner_.initial_routes_ready;
  if (!awaiting_initial_routes_) start_initial_update();
}

void peer::start_initial_update() {
  // Every route, looked at in slices by the session loop, so that the first UPDATEs
  // leave while the rest is still being looked at.
  rib_.recheck(carried_prefixes(), false);
  // RFC 4724 §4: End-of-RIB after the initial update, for every family.
  send_end_of_rib_ = true;
  if (!rib_.pending()) {
    for (auto f : families_) send(end_of_rib(f));
    send_end_of_rib_ = false;
  }
  wake();
}

void peer::initial_routes_ready() {
  if (!awaiting_initial_routes_ || fsm_.st != fsm::state::established) return;
  awaiting_initial_routes_ = false;
  start_initial_update();
}

const rib::attr_ref* peer::attributes_for(rib::route_pool::id route_attrs, family f) const {
  // Bulk announcements mostly share a few attribute sets: derive each once.
  if (derived_generation_ != owner_.route_attrs.generation() ||
      derived_graceful_shutdown_ != owner_.graceful_shutdown) {
    forget_derived();
    derived_generation_ = owner_.route_attrs.generation();
    derived_graceful_shutdown_ = owner_.graceful_shutdown;
  }
  auto& memo = derived_[f == ipv4_unicast ? 0 : 1];
  if (memo.size() <= route_attrs) memo.resize(route_attrs + 1);
  auto& slot = memo[route_attrs];
  if (!slot) slot = derive_attributes(owner_.route_attrs.get(route_attrs), f).value_or(nullptr);
  return &*slot;
}

const rib::attr_ref* peer::desired(const rib::route_table* own, const prefix& p) const {
  if (withdrawn_all_) return nullptr;
  const auto id = owner_.route_for(own, p);
  if (!id) return nullptr;
  return attributes_for(*id, p.is_v4() ? ipv4_unicast : ipv6_unicast);
}

std::vector<prefix> peer::carried_prefixes() const {
  const bool v4 = std::find(families_.begin(), families_.end(), ipv4_unicast) != families_.end();
  const bool v6 = std::find(families_.begin(), families_.end(), ipv6_unicast) != families_.end();
  std::vector<prefix> out;
  const auto* own = owner_.own_routes(cfg_.address);
  out.reserve(owner_.routes.size() + (own ? own->size() : 0));
  owner_.for_each_route_of(cfg_.address, [&](const prefix& p, rib::route_pool::id) {
    if (p.is_v4() ? v4 : v6) out.push_back(p);
  });
  return out;
}

std::size_t peer::flush_routes(std::size_t budget) {
  const rib::route_table* own = owner_.own_routes(cfg_.address);
  const rib::adj_rib_out::lookup lookup = [this, own](const prefix& p) { return desired(own, p); };
  if (!link_) return 0;
  const std::size_t n = rib_.flush(link_->queue(), tx_ctx_, families_, lookup, budget);
  counters_.updates_sent += n;
  counters_.messages_sent += n;
  return n;
}

void peer::resend_all() {
  if (!routes_flow()) return;  // the initial update, still to come, sends everything
  rib_.recheck(carried_prefixes(), true);
  wake();
}

std::vector<advertised_route> peer::advertised(family f) const {
  std::vector<advertised_route> out;
  if (!routes_flow() || withdrawn_all_ || std::find(families_.begin(), families_.end(), f) == families_.end())
    return out;
  const std::uint32_t path_id = tx_ctx_.add_path(f) ? 1u : 0u;
  owner_.for_each_route_of(cfg_.address, [&](const prefix& p, rib::route_pool::id id) {
    if ((p.is_v4() ? ipv4_unicast : ipv6_unicast) != f) return;
    if (const auto* a = attributes_for(id, f); a && *a)
      out.push_back(advertised_route{nlri{p, path_id}, (*a)->attrs, (*a)->next_hops});
  });
  return out;
}

std::optional<rib::attr_ref> peer::derive_attributes(const route& r, family f) const {
  const bool ebgp = cfg_.peer_as != owner_.cfg.asn;
  rib::attribute_set s;
  auto& a = s.attrs;
  a.origin = r.origin;
  a.path = as_path{};
  std::vector<std::uint32_t> seq;
  if (ebgp) seq.push_back(owner_.cfg.asn);
  seq.insert(seq.end(), r.as_path.begin(), r.as_path.end());
  if (!seq.empty()) a.path->push_back(path_segment{segment_type::as_sequence, std::move(seq)});
  a.med = r.med;
  a.communities = r.communities;
  a.large_communities = r.large_communities;
  a.extended_communities = r.extended_communities;
  if (!ebgp) a.local_pref = r.local_pref.value_or(100);
  if (owner_.graceful_shutdown) {
    // RFC 8326 §4: GRACEFUL_SHUTDOWN, and the lowest LOCAL_PREF inside the AS.
    if (std::find(a.communities.begin(), a.communities.end(), iana::community::graceful_shutdown) == a.communities.end())
      a.communities.push_back(iana::community::graceful_shutdown);
    if (!ebgp) a.local_pref = 0;
  }
  // Next hop: the route's own when it fits the family, else ours on this session.
  std::optional<ip_address> nh;
  if (r.next_hop) nh = r.next_hop;
  else if (f == ipv4_unicast) nh = cfg_.next_hop_ipv4 ? cfg_.next_hop_ipv4 : local_address_;
  else nh = cfg_.next_hop_ipv6 ? cfg_.next_hop_ipv6 : local_address_;
  if (!nh) return std::nullopt;
  if (f == ipv6_unicast && nh->is_v4()) return std::nullopt;  // no IPv6 next hop to give
  if (f == ipv4_unicast && !nh->is_v4() && !extended_next_hop_) return std::nullopt;
  s.next_hops.push_back(*nh);
  return owner_.pool.intern(std::move(s));
}

void peer::route_changed(const prefix& p) {
  if (!routes_flow()) return;  // the initial update will carry it
  const family f = p.is_v4() ? ipv4_unicast : ipv6_unicast;
  if (std::find(families_.begin(), families_.end(), f) == families_.end()) return;
  rib_.changed(p);
  wake();
}

void peer::refresh_routes() {
  if (!routes_flow()) return;
  rib_.recheck(carried_prefixes(), false);  // attributes_for() sees the new setting
  wake();
}

void peer::withdraw_everything() {
  withdrawn_all_ = true;
  rib_.recheck_sent();
  wake();
}

peer_status peer::status() const {
  peer_status s;
  s.address = cfg_.address;
  s.peer_as = cfg_.peer_as;
  s.description = cfg_.description;
  s.state = fsm_.st;
  if (fsm_.st == fsm::state::open_confirm || fsm_.st == fsm::state::established) s.peer_open = fsm_.peer_open;
  s.hold_time = fsm_.hold_time;
  s.keepalive = fsm_.keepalive;
  s.four_octet_as = tx_ctx_.four_octet_as && fsm_.st == fsm::state::established;
  s.extended_message = tx_ctx_.extended_message;
  s.add_path_send = tx_ctx_.add_path_ipv4 || tx_ctx_.add_path_ipv6;
  s.families = families_;
  for (auto f : families_) s.sent_prefixes += rib_.sent(f);
  s.received_prefixes = received_.size();
  s.counters = counters_;
  s.last_down_reason = last_down_reason_;
  s.since = since_;
  s.local_address = local_address_;
  s.awaiting_initial_routes = awaiting_initial_routes_ && fsm_.st == fsm::state::established;
  return s;
}

}  // namespace bgp::session
