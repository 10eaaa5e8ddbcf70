// bgp:: values to apipb messages and back (see convert.hpp).
#include "convert.hpp"

#include "capability.hpp"

#include "attribute.pb.h"

#include <utility>

namespace api::convert {

namespace {

std::string dotted(std::uint32_t host_order) { return bgp::ip_address::v4(host_order).to_string(); }

// Attributes are collected with their type code so that they go out in one order.
using attribute_list = std::vector<std::pair<int, google::protobuf::Any>>;

template <class M>
void add(attribute_list& out, int code, const M& m) {
  google::protobuf::Any a;
  a.PackFrom(m);
  out.emplace_back(code, std::move(a));
}

void add_common(attribute_list& out, const bgp::path_attributes& a, bool always_as_path) {
  apipb::OriginAttribute o;
  o.set_origin(static_cast<std::uint32_t>(a.origin.value_or(bgp::origin_type::igp)));
  add(out, 1, o);
  if (a.path && (always_as_path || !a.path->empty())) {
    apipb::AsPathAttribute p;
    for (const auto& seg : *a.path) {
      auto* s = p.add_segments();
      s->set_type(static_cast<apipb::AsSegment::Type>(seg.type));
      for (auto n : seg.asns) s->add_numbers(n);
    }
    add(out, 2, p);
  }
  if (a.med) {
    apipb::MultiExitDiscAttribute m;
    m.set_med(*a.med);
    add(out, 4, m);
  }
  if (a.local_pref) {
    apipb::LocalPrefAttribute l;
    l.set_local_pref(*a.local_pref);
    add(out, 5, l);
  }
  if (a.atomic_aggregate) add(out, 6, apipb::AtomicAggregateAttribute{});
  if (a.aggregator) {
    apipb::AggregatorAttribute g;
    g.set_asn(a.aggregator->as);
    g.set_address(dotted(a.aggregator->address));
    add(out, 7, g);
  }
  if (!a.communities.empty()) {
    apipb::CommunitiesAttribute c;
    for (auto v : a.communities) c.add_communities(v);
    add(out, 8, c);
  }
  if (a.originator_id) {
    apipb::OriginatorIdAttribute g;
    g.set_id(dotted(*a.originator_id));
    add(out, 9, g);
  }
  if (!a.cluster_list.empty()) {
    apipb::ClusterListAttribute c;
    for (auto v : a.cluster_list) c.add_ids(dotted(v));
    add(out, 10, c);
  }
  // Extended communities are not shown: GoBGP wants one typed message per sub-type,
  // and one it cannot read makes the client drop every attribute of the path.
  if (!a.large_communities.empty()) {
    apipb::LargeCommunitiesAttribute l;
    for (const auto& v : a.large_communities) {
      auto* c = l.add_communities();
      c->set_global_admin(v.global_admin);
      c->set_local_data1(v.local_data1);
      c->set_local_data2(v.local_data2);
    }
    add(out, 32, l);
  }
}

void set_prefix(apipb::IPAddressPrefix* out, const bgp::prefix& p) {
  out->set_prefix_len(p.length);
  out->set_prefix(p.address.to_string());
}

// IPv4: NEXT_HOP; IPv6: MP_REACH_NLRI carrying the next hop(s) and the NLRI.
void add_next_hop(attribute_list& out, const bgp::prefix& p, const std::vector<bgp::ip_address>& next_hops) {
  if (p.is_v4()) {
    apipb::NextHopAttribute n;
    n.set_next_hop(next_hops.empty() ? "0.0.0.0" : next_hops.front().to_string());
    add(out, 3, n);
    return;
  }
  apipb::MpReachNLRIAttribute m;
  set_family(m.mutable_family(), bgp::ipv6_unicast);
  if (next_hops.empty()) m.add_next_hops("::");
  for (const auto& nh : next_hops) m.add_next_hops(nh.to_string());
  apipb::IPAddressPrefix n;
  set_prefix(&n, p);
  m.add_nlris()->PackFrom(n);
  add(out, 14, m);
}

void finish_path(apipb::Path* out, const bgp::prefix& p, attribute_list attrs, wall_time age) {
  apipb::IPAddressPrefix n;
  set_prefix(&n, p);
  out->mutable_nlri()->PackFrom(n);
  for (auto& [code, a] : attrs) *out->add_pattrs() = std::move(a);
  set_time(out->mutable_age(), age);
  out->mutable_validation();
  set_family(out->mutable_family(), p.is_v4() ? bgp::ipv4_unicast : bgp::ipv6_unicast);
}

void set_message_counts(apipb::Message* m, std::uint64_t total, std::uint64_t updates, std::uint64_t notifications,
                        std::uint64_t keepalives, std::uint64_t refreshes) {
  m->set_update(updates);
  m->set_notification(notifications);
  m->set_keepalive(keepalives);
  m->set_refresh(refreshes);
  // OPENs are not counted apart: what is left of the total.
  const std::uint64_t known = updates + notifications + keepalives + refreshes;
  m->set_open(total > known ? total - known : 0);
  m->set_total(total);
}

void set_policies(apipb::ApplyPolicy* p) {
  p->mutable_export_policy()->set_direction(apipb::EXPORT);
  p->mutable_import_policy()->set_direction(apipb::IMPORT);
}

}  // namespace

void set_family(apipb::Family* out, bgp::family f) {
  out->set_afi(static_cast<apipb::Family::Afi>(f.afi));
  out->set_safi(static_cast<apipb::Family::Safi>(f.safi));
}

std::optional<bgp::family> family_of(const apipb::Family& f) {
  if (f.safi() != apipb::Family::SAFI_UNICAST) return std::nullopt;
  if (f.afi() == apipb::Family::AFI_IP) return bgp::ipv4_unicast;
  if (f.afi() == apipb::Family::AFI_IP6) return bgp::ipv6_unicast;
  return std::nullopt;
}

apipb::PeerState::SessionState session_state(bgp::peer_state s) {
  switch (s) {
    case bgp::peer_state::idle: return apipb::PeerState::IDLE;
    case bgp::peer_state::connect: return apipb::PeerState::CONNECT;
    case bgp::peer_state::active: return apipb::PeerState::ACTIVE;
    case bgp::peer_state::open_sent: return apipb::PeerState::OPENSENT;
    case bgp::peer_state::open_confirm: return apipb::PeerState::OPENCONFIRM;
    case bgp::peer_state::established: return apipb::PeerState::ESTABLISHED;
  }
  return apipb::PeerState::UNKNOWN;
}

// Whole seconds, as gobgpd reports times.
void set_time(google::protobuf::Timestamp* out, wall_time t) {
  out->set_seconds(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

void peer(apipb::Peer* out, const bgp::peer_inspection& p, std::uint32_t local_asn, bool with_advertised) {
  const auto& cfg = p.config;
  const auto& st = p.status;
  const bool ebgp = cfg.peer_as != local_asn;
  const auto type = ebgp ? apipb::EXTERNAL : apipb::INTERNAL;
  set_policies(out->mutable_apply_policy());

  auto* conf = out->mutable_conf();  // auth_password is never filled
  conf->set_description(cfg.description);
  conf->set_local_asn(local_asn);
  conf->set_neighbor_address(cfg.address.to_string());
  conf->set_peer_asn(cfg.peer_as);
  conf->set_type(type);
  conf->set_admin_down(p.admin_down);

  auto* hop = out->mutable_ebgp_multihop();
  if (ebgp && cfg.ebgp_multihop_ttl > 1) {
    hop->set_enabled(true);
    hop->set_multihop_ttl(cfg.ebgp_multihop_ttl);
  }
  out->mutable_route_reflector();

  auto* state = out->mutable_state();
  auto* msgs = state->mutable_messages();
  const auto& c = st.counters;
  set_message_counts(msgs->mutable_received(), c.messages_received, c.updates_received, c.notifications_received,
                     c.keepalives_received, c.route_refreshes_received);
  set_message_counts(msgs->mutable_sent(), c.messages_sent, c.updates_sent, c.notifications_sent, c.keepalives_sent, 0);
  state->set_neighbor_address(cfg.address.to_string());
  state->set_peer_asn(cfg.peer_as);
  state->set_type(type);
  state->mutable_queues();
  state->set_session_state(session_state(st.state));
  state->set_admin_state(p.admin_down ? apipb::PeerState::DOWN : apipb::PeerState::UP);
  state->set_flops(static_cast<std::uint32_t>(c.established_transitions > 0 ? c.established_transitions - 1 : 0));
  if (st.peer_open) {
    add_capabilities(state->mutable_remote_cap(), st.peer_open->capabilities);
    state->set_router_id(dotted(st.peer_open->bgp_id));
  }
  add_capabilities(state->mutable_local_cap(), p.local_open.capabilities);

  auto* timers = out->mutable_timers();
  auto* tc = timers->mutable_config();
  tc->set_connect_retry(cfg.connect_retry);
  tc->set_hold_time(cfg.hold_time);
  tc->set_keepalive_interval(cfg.keepalive ? cfg.keepalive : cfg.hold_time / 3);
  auto* ts = timers->mutable_state();
  ts->set_keepalive_interval(st.keepalive);
  ts->set_negotiated_hold_time(st.hold_time);
  if (p.uptime) set_time(ts->mutable_uptime(), *p.uptime);
  set_time(ts->mutable_downtime(), p.downtime);

  auto* tr = out->mutable_transport();
  if (st.local_address) tr->set_local_address(st.local_address->to_string());
  else if (cfg.local_address) tr->set_local_address(cfg.local_address->to_string());
  tr->set_passive_mode(cfg.passive);
  tr->set_remote_port(cfg.port);

  out->mutable_route_server();
  out->mutable_graceful_restart();

  const auto count = [](const auto& list, bgp::family f) -> std::uint64_t {
    for (const auto& [g, n] : list)
      if (g == f) return n;
    return 0;
  };
  for (auto [on, f] : {std::pair{cfg.ipv4_unicast, bgp::ipv4_unicast}, std::pair{cfg.ipv6_unicast, bgp::ipv6_unicast}}) {
    if (!on) continue;
    auto* a = out->add_afi_safis();
    a->mutable_mp_graceful_restart()->mutable_config();
    a->mutable_mp_graceful_restart()->mutable_state();
    set_family(a->mutable_config()->mutable_family(), f);
    a->mutable_config()->set_enabled(true);
    auto* as = a->mutable_state();
    set_family(as->mutable_family(), f);
    as->set_enabled(true);
    as->set_received(count(p.received, f));
    as->set_accepted(count(p.received, f));
    if (with_advertised) as->set_advertised(count(p.advertised, f));
    set_policies(a->mutable_apply_policy());
    a->mutable_route_selection_options()->mutable_config();
    auto* mp = a->mutable_use_multiple_paths();
    mp->mutable_config();
    mp->mutable_ebgp()->mutable_config();
    mp->mutable_ibgp()->mutable_config();
    a->mutable_route_target_membership()->mutable_config();
    a->mutable_long_lived_graceful_restart()->mutable_config();
    a->mutable_add_paths()->mutable_config();
  }
  auto* ttl = out->mutable_ttl_security();
  if (cfg.gtsm) {
    ttl->set_enabled(true);
    ttl->set_ttl_min(256 - cfg.ebgp_multihop_ttl);
  }
}

void peer_event(apipb::Peer* out, const bgp::peer_inspection& p, std::uint32_t local_asn) {
  auto* conf = out->mutable_conf();
  conf->set_local_asn(local_asn);
  conf->set_neighbor_address(p.config.address.to_string());
  conf->set_peer_asn(p.config.peer_as);
  auto* state = out->mutable_state();
  state->set_local_asn(local_asn);
  state->set_neighbor_address(p.config.address.to_string());
  state->set_peer_asn(p.config.peer_as);
  state->set_session_state(session_state(p.status.state));
  state->set_admin_state(p.admin_down ? apipb::PeerState::DOWN : apipb::PeerState::UP);
  state->set_router_id(p.status.peer_open ? dotted(p.status.peer_open->bgp_id) : "<nil>");
  auto* tr = out->mutable_transport();
  if (p.status.local_address) tr->set_local_address(p.status.local_address->to_string());
  tr->set_local_port(p.local_port);
  tr->set_remote_port(p.remote_port ? p.remote_port : p.config.port);
}

void originated_path(apipb::Path* out, const bgp::route& r, wall_time age) {
  bgp::path_attributes a;
  a.origin = r.origin;
  if (!r.as_path.empty()) a.path = bgp::as_path{bgp::path_segment{bgp::segment_type::as_sequence, r.as_path}};
  a.med = r.med;
  a.local_pref = r.local_pref;
  a.communities = r.communities;
  a.large_communities = r.large_communities;
  attribute_list attrs;
  add_common(attrs, a, false);
  std::vector<bgp::ip_address> nh;
  if (r.next_hop) nh.push_back(*r.next_hop);
  add_next_hop(attrs, r.destination, nh);  // GoBGP puts a local path's next hop last
  finish_path(out, r.destination, std::move(attrs), age);
  out->set_best(true);
}

void advertised_path(apipb::Path* out, const bgp::advertised_route& r, bgp::family f, wall_time age) {
  attribute_list attrs;
  add_common(attrs, r.attrs, true);
  add_next_hop(attrs, r.destination.route, r.next_hops);
  if (f == bgp::ipv4_unicast)  // NEXT_HOP in its place by type code
    std::stable_sort(attrs.begin(), attrs.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  finish_path(out, r.destination.route, std::move(attrs), age);
  out->set_local_identifier(r.destination.path_id);
}

std::optional<bgp::route> route_of(const apipb::Path& p, std::string& error) {
  apipb::IPAddressPrefix n;
  if (!p.nlri().UnpackTo(&n)) {
    error = "only IPAddressPrefix NLRI (ipv4/ipv6 unicast) can be added";
    return std::nullopt;
  }
  const auto addr = bgp::ip_address::parse(n.prefix());
  if (!addr || n.prefix_len() > (addr->is_v4() ? 32u : 128u)) {
    error = "invalid prefix " + n.prefix() + "/" + std::to_string(n.prefix_len());
    return std::nullopt;
  }
  if (p.has_family()) {
    const auto f = family_of(p.family());
    if (!f || (*f == bgp::ipv4_unicast) != addr->is_v4()) {
      error = "only ipv4-unicast and ipv6-unicast paths can be added, matching the prefix";
      return std::nullopt;
    }
  }
  bgp::route r;
  r.destination = bgp::prefix::make(*addr, static_cast<std::uint8_t>(n.prefix_len()));
  const auto set_next_hop = [&](const std::string& text) {
    auto a = bgp::ip_address::parse(text);
    if (!a) {
      error = "invalid next hop " + text;
      return false;
    }
    if (*a != bgp::ip_address{} && *a != bgp::ip_address::v6({})) r.next_hop = *a;
    return true;
  };
  for (const auto& any : p.pattrs()) {
    apipb::OriginAttribute o;
    apipb::AsPathAttribute path;
    apipb::NextHopAttribute nh;
    apipb::MpReachNLRIAttribute mp;
    apipb::MultiExitDiscAttribute med;
    apipb::LocalPrefAttribute lp;
    apipb::CommunitiesAttribute comm;
    apipb::LargeCommunitiesAttribute large;
    if (any.UnpackTo(&o)) {
      if (o.origin() > 2) {
        error = "invalid origin " + std::to_string(o.origin());
        return std::nullopt;
      }
      r.origin = static_cast<bgp::origin_type>(o.origin());
    } else if (any.UnpackTo(&path)) {
      for (const auto& s : path.segments()) {
        if (s.type() != apipb::AsSegment::AS_SEQUENCE) {
          error = "only AS_SEQUENCE segments can be added";
          return std::nullopt;
        }
        r.as_path.insert(r.as_path.end(), s.numbers().begin(), s.numbers().end());
      }
    } else if (any.UnpackTo(&nh)) {
      if (!set_next_hop(nh.next_hop())) return std::nullopt;
    } else if (any.UnpackTo(&mp)) {
      if (mp.next_hops_size() > 0 && !set_next_hop(mp.next_hops(0))) return std::nullopt;
    } else if (any.UnpackTo(&med)) {
      r.med = med.med();
    } else if (any.UnpackTo(&lp)) {
      r.local_pref = lp.local_pref();
    } else if (any.UnpackTo(&comm)) {
      r.communities.assign(comm.communities().begin(), comm.communities().end());
    } else if (any.UnpackTo(&large)) {
      for (const auto& c : large.communities())
        r.large_communities.push_back({c.global_admin(), c.local_data1(), c.local_data2()});
    } else {
      error = "attribute " + any.type_url() + " is not supported by bgplb";
      return std::nullopt;
    }
  }
  if (r.next_hop && r.next_hop->is_v4() != r.destination.is_v4()) {
    error = "next hop " + r.next_hop->to_string() + " does not fit " + r.destination.to_string();
    return std::nullopt;
  }
  return r;
}

}  // namespace api::convert
