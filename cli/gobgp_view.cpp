// GoBGP client rendering (see gobgp_view.hpp). Function by function this follows
// cmd/gobgp/neighbor.go (showNeighbors, showNeighbor, showRoute, showNeighborRib),
// global.go (showGlobalConfig) and monitor.go, GoBGP 3.10.
#include "gobgp_view.hpp"

#include "gobgp_json.hpp"

#include "attribute.pb.h"
#include "capability.pb.h"

#include <bgp/types.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

namespace bgplbctl::gobgp {

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

// Go's net.IP.String(): an IPv4-mapped IPv6 address prints as IPv4.
std::string go_ip(const std::string& s) {
  if (s.starts_with("::ffff:") && s.find('.') != std::string::npos) return s.substr(7);
  if (auto a = bgp::ip_address::parse(s)) return a->to_string();
  return s;
}

std::string family_name(std::uint32_t afi, std::uint32_t safi) {
  static const std::map<std::pair<std::uint32_t, std::uint32_t>, const char*> names = {
      {{1, 1}, "ipv4-unicast"},         {{2, 1}, "ipv6-unicast"},        {{1, 2}, "ipv4-multicast"},
      {{2, 2}, "ipv6-multicast"},       {{1, 4}, "ipv4-labelled-unicast"}, {{2, 4}, "ipv6-labelled-unicast"},
      {{1, 128}, "l3vpn-ipv4-unicast"}, {{2, 128}, "l3vpn-ipv6-unicast"}, {{25, 70}, "l2vpn-evpn"},
      {{1, 133}, "ipv4-flowspec"},      {{2, 133}, "ipv6-flowspec"},     {{1, 132}, "rtc"},
  };
  auto it = names.find({afi, safi});
  return it != names.end() ? it->second : "unknown";
}

std::string community_text(std::uint32_t v) {
  static const std::map<std::uint32_t, const char*> names = {
      {0x00000000, "internet"},    {0xffff0000, "planned-shut"},
      {0xffff0001, "accept-own"},  {0xffff0002, "route-filter-translated-v4"},
      {0xffff0003, "route-filter-v4"}, {0xffff0004, "route-filter-translated-v6"},
      {0xffff0005, "route-filter-v6"}, {0xffff0006, "llgr-stale"},
      {0xffff0007, "no-llgr"},     {0xffff029a, "blackhole"},
      {0xffffff01, "no-export"},   {0xffffff02, "no-advertise"},
      {0xffffff03, "no-export-subconfed"}, {0xffffff04, "no-peer"},
  };
  auto it = names.find(v);
  if (it != names.end()) return it->second;
  return std::to_string(v >> 16) + ":" + std::to_string(v & 0xffff);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string as_path_text(const apipb::AsPathAttribute& a) {
  std::string s;
  for (int i = 0; i < a.segments_size(); ++i) {
    const auto& seg = a.segments(i);
    if (i) s += ' ';
    const char* sep = " ";
    const char* close = "";
    switch (seg.type()) {
      case apipb::AsSegment::AS_CONFED_SEQUENCE: s += '('; close = ")"; break;
      case apipb::AsSegment::AS_CONFED_SET: s += '['; sep = ","; close = "]"; break;
      case apipb::AsSegment::AS_SET: s += '{'; sep = ","; close = "}"; break;
      default: break;
    }
    for (int j = 0; j < seg.numbers_size(); ++j) s += (j ? sep : "") + std::to_string(seg.numbers(j));
    s += close;
  }
  return s;
}

std::string prefix_of(const google::protobuf::Any& nlri) {
  apipb::IPAddressPrefix p;
  if (!nlri.UnpackTo(&p)) return "";
  return go_ip(p.prefix()) + "/" + std::to_string(p.prefix_len());
}

// Bytes of a destination's prefix address, for the client's sort.
std::vector<std::uint8_t> prefix_bytes(const std::string& prefix) {
  auto p = bgp::prefix::parse(prefix);
  if (!p) return {};
  return {p->address.octets.begin(), p->address.octets.begin() + static_cast<std::ptrdiff_t>(p->address.size())};
}

std::optional<native_attr> decode_attr(const google::protobuf::Any& a, native_path& n) {
  native_attr out;
  apipb::OriginAttribute origin;
  apipb::AsPathAttribute path;
  apipb::NextHopAttribute nh;
  apipb::MultiExitDiscAttribute med;
  apipb::LocalPrefAttribute lp;
  apipb::AtomicAggregateAttribute atomic;
  apipb::AggregatorAttribute aggr;
  apipb::CommunitiesAttribute comm;
  apipb::OriginatorIdAttribute orig;
  apipb::ClusterListAttribute cluster;
  apipb::MpReachNLRIAttribute mp;
  apipb::LargeCommunitiesAttribute large;
  if (a.UnpackTo(&origin)) {
    const char* t = origin.origin() == 0 ? "i" : origin.origin() == 1 ? "e" : origin.origin() == 2 ? "?" : "-";
    out = {1, fmt("{Origin: %s}", t), fmt("{\"type\":1,\"value\":%u}", origin.origin())};
  } else if (a.UnpackTo(&path)) {
    std::string j = "{\"type\":2,\"as_paths\":[";
    for (int i = 0; i < path.segments_size(); ++i) {
      const auto& s = path.segments(i);
      std::vector<std::string> asns;
      for (auto x : s.numbers()) asns.push_back(std::to_string(x));
      j += (i ? "," : "") + fmt("{\"segment_type\":%d,\"num\":%d,\"asns\":[", static_cast<int>(s.type()), s.numbers_size()) +
           join(asns, ",") + "]}";
    }
    out = {2, "", j + "]}"};
    n.as_path = as_path_text(path);
  } else if (a.UnpackTo(&nh)) {
    n.next_hop = go_ip(nh.next_hop());
    std::string j = "{\"type\":3,\"nexthop\":";
    append_json_string(j, n.next_hop);
    out = {3, "", j + "}"};
  } else if (a.UnpackTo(&med)) {
    out = {4, fmt("{Med: %u}", med.med()), fmt("{\"type\":4,\"metric\":%u}", med.med())};
  } else if (a.UnpackTo(&lp)) {
    out = {5, fmt("{LocalPref: %u}", lp.local_pref()), fmt("{\"type\":5,\"value\":%u}", lp.local_pref())};
  } else if (a.UnpackTo(&atomic)) {
    out = {6, "{AtomicAggregate}", "{\"type\":6}"};
  } else if (a.UnpackTo(&aggr)) {
    out = {7, fmt("{Aggregate: {AS: %u, Address: %s}}", aggr.asn(), aggr.address().c_str()),
           fmt("{\"type\":7,\"as\":%u,\"address\":\"%s\"}", aggr.asn(), aggr.address().c_str())};
  } else if (a.UnpackTo(&comm)) {
    std::vector<std::string> t, j;
    for (auto v : comm.communities()) {
      t.push_back(community_text(v));
      j.push_back(std::to_string(v));
    }
    out = {8, "{Communities: " + join(t, ", ") + "}", "{\"type\":8,\"communities\":[" + join(j, ",") + "]}"};
  } else if (a.UnpackTo(&orig)) {
    out = {9, "{Originator: " + orig.id() + "}", "{\"type\":9,\"value\":\"" + orig.id() + "\"}"};
  } else if (a.UnpackTo(&cluster)) {
    std::vector<std::string> ids(cluster.ids().begin(), cluster.ids().end()), q;
    for (const auto& i : ids) q.push_back("\"" + i + "\"");
    out = {10, "{ClusterList: [" + join(ids, ", ") + "]}", "{\"type\":10,\"value\":[" + join(q, ",") + "]}"};
  } else if (a.UnpackTo(&mp)) {
    if (mp.next_hops_size() > 0) n.next_hop = go_ip(mp.next_hops(0));
    std::string j = "{\"type\":14,\"nexthop\":";
    append_json_string(j, mp.next_hops_size() > 0 ? n.next_hop : std::string("<nil>"));
    j += fmt(",\"afi\":%d,\"safi\":%d,\"value\":[", static_cast<int>(mp.family().afi()), static_cast<int>(mp.family().safi()));
    for (int i = 0; i < mp.nlris_size(); ++i) j += (i ? "," : "") + std::string("{\"prefix\":\"") + prefix_of(mp.nlris(i)) + "\"}";
    out = {14, "", j + "]}"};
  } else if (a.UnpackTo(&large)) {
    std::vector<std::string> t, j;
    for (const auto& c : large.communities()) {
      t.push_back(fmt("%u:%u:%u", c.global_admin(), c.local_data1(), c.local_data2()));
      j.push_back(fmt("{\"ASN\":%u,\"LocalData1\":%u,\"LocalData2\":%u}", c.global_admin(), c.local_data1(), c.local_data2()));
    }
    out = {32, "{LargeCommunity: [ " + join(t, ", ") + "]}", "{\"type\":32,\"value\":[" + join(j, ",") + "]}"};
  } else {
    return std::nullopt;
  }
  return out;
}

std::string symbols(const apipb::Path& p, bool show_best) {
  std::string s;
  if (p.stale()) s += "S";
  switch (p.validation().state()) {
    case apipb::Validation::STATE_NOT_FOUND: s += "N"; break;
    case apipb::Validation::STATE_VALID: s += "V"; break;
    case apipb::Validation::STATE_INVALID: s += "I"; break;
    default: break;
  }
  if (show_best) s += (p.best() && !p.is_nexthop_invalid()) ? "*>" : "* ";
  return s;
}

std::string pad_left(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string pad_right(const std::string& s, std::size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

void counters(const apipb::Peer& p, const apipb::Family* family, std::uint64_t& received, std::uint64_t& accepted,
              std::uint64_t& advertised) {
  received = accepted = advertised = 0;
  for (const auto& a : p.afi_safis()) {
    if (family && (a.state().family().afi() != family->afi() || a.state().family().safi() != family->safi())) continue;
    received += a.state().received();
    accepted += a.state().accepted();
    advertised += a.state().advertised();
  }
}

std::string state_name(apipb::PeerState::SessionState s) { return apipb::PeerState::SessionState_Name(s); }

// A capability as the client compares them: by code, multiprotocol also by family.
struct capability {
  int code = 0;
  google::protobuf::Any any;
  std::uint32_t afi = 0, safi = 0;
};

std::vector<capability> capabilities(const google::protobuf::RepeatedPtrField<google::protobuf::Any>& list) {
  std::vector<capability> out;
  for (const auto& a : list) {
    capability c{0, a};
    apipb::MultiProtocolCapability mp;
    apipb::UnknownCapability unknown;
    const std::string& t = a.type_url();
    const auto is = [&](const char* name) { return t.ends_with(std::string(".") + name); };
    if (a.UnpackTo(&mp)) {
      c.code = 1;
      c.afi = mp.family().afi();
      c.safi = mp.family().safi();
    } else if (is("RouteRefreshCapability")) c.code = 2;
    else if (is("CarryingLabelInfoCapability")) c.code = 4;
    else if (is("ExtendedNexthopCapability")) c.code = 5;
    else if (is("GracefulRestartCapability")) c.code = 64;
    else if (is("FourOctetASNCapability")) c.code = 65;
    else if (is("AddPathCapability")) c.code = 69;
    else if (is("EnhancedRouteRefreshCapability")) c.code = 70;
    else if (is("LongLivedGracefulRestartCapability")) c.code = 71;
    else if (is("FqdnCapability")) c.code = 73;
    else if (is("RouteRefreshCiscoCapability")) c.code = 128;
    else if (a.UnpackTo(&unknown)) c.code = static_cast<int>(unknown.code());
    else return {};  // the client drops them all when one cannot be read
    out.push_back(c);
  }
  return out;
}

const capability* lookup(const capability& c, const std::vector<capability>& list) {
  for (const auto& v : list)
    if (v.code == c.code && (c.code != 1 || (v.afi == c.afi && v.safi == c.safi))) return &v;
  return nullptr;
}

std::string capability_name(int code) {
  switch (code) {
    case 1: return "multiprotocol";
    case 2: return "route-refresh";
    case 4: return "carrying-label-info";
    case 5: return "extended-nexthop";
    case 64: return "graceful-restart";
    case 65: return "4-octet-as";
    case 69: return "add-path";
    case 70: return "enhanced-route-refresh";
    case 71: return "long-lived-graceful-restart";
    case 73: return "fqdn";
    case 128: return "cisco-route-refresh";
    default: return "UnknownCapability(" + std::to_string(code) + ")";
  }
}

std::string graceful_restart_text(const apipb::GracefulRestartCapability& g) {
  std::string s;
  if (g.tuples_size() > 0) s += fmt("restart time %u sec", g.time());
  if (g.flags() & 0x08) s += (s.empty() ? "" : ", ") + std::string("restart flag set");
  if (g.flags() & 0x04) s += (s.empty() ? "" : ", ") + std::string("notification flag set");
  if (!s.empty()) s += "\n";
  for (const auto& t : g.tuples()) {
    s += "\t    " + family_name(t.family().afi(), t.family().safi());
    if (t.flags() == 0x80) s += ", forward flag set";
    s += "\n";
  }
  return s;
}

std::string long_lived_text(const apipb::LongLivedGracefulRestartCapability& g) {
  std::string s;
  for (const auto& t : g.tuples()) {
    s += "\t    " + family_name(t.family().afi(), t.family().safi()) + fmt(", restart time %u sec", t.time());
    if (t.flags() == 0x80) s += ", forward flag set";
    s += "\n";
  }
  return s;
}

std::string extended_next_hop_text(const apipb::ExtendedNexthopCapability& e) {
  std::vector<std::string> lines;
  for (const auto& t : e.tuples()) {
    const auto nh = t.nexthop_family().afi();
    const std::string nhafi = nh == 1 ? "ipv4" : nh == 2 ? "ipv6" : std::to_string(nh);
    lines.push_back("nlri: " + family_name(t.nlri_family().afi(), t.nlri_family().safi()) + ", nexthop: " + nhafi);
  }
  return join(lines, "\n");
}

// The local and the remote side of one capability, each when it says something.
template <class M, class F>
void local_remote(std::ostream& out, const capability* l, const capability* r, F text, const char* local,
                  const char* remote, const char* end) {
  M m;
  if (l && l->any.UnpackTo(&m))
    if (auto s = text(m); !s.empty()) out << local << s << end;
  if (r && r->any.UnpackTo(&m))
    if (auto s = text(m); !s.empty()) out << remote << s << end;
}

std::string add_path_mode(apipb::AddPathCapabilityTuple::Mode m) {
  switch (m) {
    case apipb::AddPathCapabilityTuple::NONE: return "none";
    case apipb::AddPathCapabilityTuple::RECEIVE: return "receive";
    case apipb::AddPathCapabilityTuple::SEND: return "send";
    case apipb::AddPathCapabilityTuple::BOTH: return "receive/send";
    default: return "unknown(" + std::to_string(static_cast<int>(m)) + ")";
  }
}

void print_capabilities(std::ostream& out, const apipb::PeerState& st) {
  const auto lcaps = capabilities(st.local_cap());
  const auto rcaps = capabilities(st.remote_cap());
  std::vector<capability> caps = lcaps;
  for (const auto& c : rcaps)
    if (!lookup(c, caps)) caps.push_back(c);
  std::stable_sort(caps.begin(), caps.end(), [](const auto& a, const auto& b) { return a.code < b.code; });
  bool first_mp = true;
  for (const auto& c : caps) {
    std::string support;
    const capability* l = lookup(c, lcaps);
    const capability* r = lookup(c, rcaps);
    if (l) support += "advertised";
    if (r) support += (support.empty() ? "" : " and ") + std::string("received");
    const std::string head = "    " + capability_name(c.code) + ":\t" + support + "\n";
    switch (c.code) {
      case 1:
        if (first_mp) {
          out << "    multiprotocol:\n";
          first_mp = false;
        }
        out << "        " << family_name(c.afi, c.safi) << ":\t" << support << "\n";
        break;
      case 64:
        out << head;
        local_remote<apipb::GracefulRestartCapability>(out, l, r, graceful_restart_text, "        Local: ",
                                                       "        Remote: ", "");
        break;
      case 71:
        out << head;
        local_remote<apipb::LongLivedGracefulRestartCapability>(out, l, r, long_lived_text, "        Local:\n",
                                                                "        Remote:\n", "");
        break;
      case 5:
        out << head;
        local_remote<apipb::ExtendedNexthopCapability>(out, l, r, extended_next_hop_text, "        Local:  ",
                                                       "        Remote: ", "\n");
        break;
      case 69: {
        out << head;
        apipb::AddPathCapability a;
        if (l && l->any.UnpackTo(&a)) {
          out << "      Local:\n";
          for (const auto& t : a.tuples())
            out << "         " << family_name(t.family().afi(), t.family().safi()) << ":\t" << add_path_mode(t.mode()) << "\n";
        }
        if (r && r->any.UnpackTo(&a)) {
          out << "      Remote:\n";
          for (const auto& t : a.tuples())
            out << "         " << family_name(t.family().afi(), t.family().safi()) << ":\t" << add_path_mode(t.mode()) << "\n";
        }
        break;
      }
      case 73: {
        out << head;
        apipb::FqdnCapability f;
        if (l && l->any.UnpackTo(&f)) out << "      Local:\n         name: " << f.host_name() << ", domain: " << f.domain_name() << "\n";
        if (r && r->any.UnpackTo(&f)) out << "      Remote:\n         name: " << f.host_name() << ", domain: " << f.domain_name() << "\n";
        break;
      }
      default: out << head;
    }
  }
}

std::string asn_of(const apipb::Peer& p) { return p.state().peer_asn() > 0 ? std::to_string(p.state().peer_asn()) : "*"; }

}  // namespace

std::string timedelta(std::int64_t then, std::int64_t now) {
  std::int64_t d = now - then;
  std::uint64_t u = d < 0 ? static_cast<std::uint64_t>(-d) : static_cast<std::uint64_t>(d);
  const auto secs = u % 60;
  u /= 60;
  const auto mins = u % 60;
  u /= 60;
  const auto hours = u % 24;
  const auto days = u / 24;
  const std::string hms = fmt("%02llu:%02llu:%02llu", static_cast<unsigned long long>(hours),
                              static_cast<unsigned long long>(mins), static_cast<unsigned long long>(secs));
  return days == 0 ? hms : fmt("%llud ", static_cast<unsigned long long>(days)) + hms;
}

native_path decode_path(const apipb::Path& p) {
  native_path n;
  n.nlri = prefix_of(p.nlri());
  for (const auto& a : p.pattrs()) {
    auto attr = decode_attr(a, n);
    if (!attr) {
      native_path lost;
      lost.nlri = n.nlri;
      return lost;
    }
    n.attrs.push_back(std::move(*attr));
  }
  return n;
}

std::string attrs_text(const native_path& n) {
  std::vector<std::string> s;
  for (const auto& a : n.attrs)
    if (a.type != 3 && a.type != 14 && a.type != 2 && a.type != 17) s.push_back(a.text);
  return "[" + join(s, " ") + "]";
}

std::string path_json(const apipb::Path& p, const native_path& n) {
  std::string j = "{\"nlri\":{\"prefix\":";
  append_json_string(j, n.nlri);
  j += "},\"age\":" + std::to_string(p.age().seconds()) + ",\"best\":" + (p.best() ? "true" : "false") + ",\"attrs\":[";
  for (std::size_t i = 0; i < n.attrs.size(); ++i) j += (i ? "," : "") + n.attrs[i].json;
  j += std::string("],\"stale\":") + (p.stale() ? "true" : "false");
  if (p.is_withdraw()) j += ",\"withdrawal\":true";
  if (auto a = bgp::ip_address::parse(p.source_id())) j += ",\"source-id\":\"" + a->to_string() + "\"";
  if (auto a = bgp::ip_address::parse(p.neighbor_ip())) j += ",\"neighbor-ip\":\"" + a->to_string() + "\"";
  return j + "}";
}

void print_global(std::ostream& out, const apipb::Global& g) {
  out << "AS:        " << g.asn() << "\n";
  out << "Router-ID: " << g.router_id() << "\n";
  if (g.listen_addresses_size() > 0) {
    std::vector<std::string> a(g.listen_addresses().begin(), g.listen_addresses().end());
    out << "Listening Port: " << g.listen_port() << ", Addresses: " << join(a, ", ") << "\n";
  }
  if (g.use_multiple_paths()) out << "Multipath: enabled";
}

void print_neighbors(std::ostream& out, std::vector<apipb::Peer> peers, const apipb::Family* family, std::int64_t now) {
  const auto key = [](const apipb::Peer& p) {
    auto a = bgp::ip_address::parse(p.conf().neighbor_address());
    return a ? std::pair{!a->is_v4(), a->octets} : std::pair{true, std::array<std::uint8_t, 16>{}};
  };
  std::stable_sort(peers.begin(), peers.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
  std::size_t maxaddr = 0, maxas = 2, maxtime = 7;
  std::vector<std::string> times;
  for (const auto& n : peers) {
    if (n.conf().neighbor_interface().size() > maxaddr) maxaddr = n.conf().neighbor_interface().size();
    else if (n.state().neighbor_address().size() > maxaddr) maxaddr = n.state().neighbor_address().size();
    maxas = std::max(maxas, asn_of(n).size());
    std::string t = "never";
    if (n.timers().state().has_uptime()) {
      const auto& ts = n.state().session_state() == apipb::PeerState::ESTABLISHED ? n.timers().state().uptime()
                                                                                  : n.timers().state().downtime();
      t = timedelta(ts.seconds(), now);
    }
    maxtime = std::max(maxtime, t.size());
    times.push_back(t);
  }
  const auto line = [&](const std::string& a, const std::string& as, const std::string& t, const std::string& st,
                        const std::string& r, const std::string& acc) {
    out << pad_left(a, maxaddr) << ' ' << pad_right(as, maxas) << ' ' << pad_right(t, maxtime) << ' ' << pad_left(st, 11)
        << " |" << pad_right(r, 9) << ' ' << pad_right(acc, 9) << "\n";
  };
  line("Peer", "AS", "Up/Down", "State", "#Received", "Accepted");
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const auto& n = peers[i];
    std::string st;
    if (n.state().admin_state() == apipb::PeerState::DOWN) st = "Idle(Admin)";
    else if (n.state().admin_state() == apipb::PeerState::PFX_CT) st = "Idle(PfxCt)";
    else {
      switch (n.state().session_state()) {
        case apipb::PeerState::UNKNOWN: st = "Unknown"; break;
        case apipb::PeerState::IDLE: st = "Idle"; break;
        case apipb::PeerState::CONNECT: st = "Connect"; break;
        case apipb::PeerState::ACTIVE: st = "Active"; break;
        case apipb::PeerState::OPENSENT: st = "Sent"; break;
        case apipb::PeerState::OPENCONFIRM: st = "Confirm"; break;
        case apipb::PeerState::ESTABLISHED: st = "Establ"; break;
        default: st = std::to_string(static_cast<int>(n.state().session_state()));
      }
    }
    std::uint64_t rcv, acc, adv;
    counters(n, family, rcv, acc, adv);
    const std::string addr = n.conf().neighbor_interface().empty() ? n.state().neighbor_address() : n.conf().neighbor_interface();
    line(addr, asn_of(n), times[i], st, std::to_string(rcv), std::to_string(acc));
  }
}

void print_neighbor(std::ostream& out, const apipb::Peer& p, const apipb::Family* family, std::int64_t now) {
  out << "BGP neighbor is " << p.state().neighbor_address() << ", remote AS " << asn_of(p);
  if (p.route_reflector().route_reflector_client()) out << ", route-reflector-client\n";
  else if (p.route_server().route_server_client()) out << ", route-server-client\n";
  else out << "\n";
  out << "  BGP version 4, remote router ID " << (p.state().router_id().empty() ? "unknown" : p.state().router_id()) << "\n";
  out << "  BGP state = " << state_name(p.state().session_state());
  if (p.timers().state().has_uptime()) out << ", up for " << timedelta(p.timers().state().uptime().seconds(), now) << "\n";
  else out << "\n";
  out << "  BGP OutQ = " << p.state().queues().output() << ", Flops = " << p.state().flops() << "\n";
  out << "  Hold time is " << p.timers().state().negotiated_hold_time() << ", keepalive interval is "
      << p.timers().state().keepalive_interval() << " seconds\n";
  out << "  Configured hold time is " << p.timers().config().hold_time() << ", keepalive interval is "
      << p.timers().config().keepalive_interval() << " seconds\n";
  std::vector<std::string> elems;
  if (p.conf().allow_own_asn() > 0) elems.push_back("Allow Own AS: " + std::to_string(p.conf().allow_own_asn()));
  if (p.conf().remove_private() == apipb::REMOVE_ALL) elems.push_back("Remove private AS: all");
  if (p.conf().remove_private() == apipb::REPLACE) elems.push_back("Remove private AS: replace");
  if (p.conf().replace_peer_asn()) elems.push_back("Replace peer AS: enabled");
  out << "  " << join(elems, ", ") << "\n";
  out << "  Neighbor capabilities:\n";
  print_capabilities(out, p.state());
  std::uint64_t rcv, acc, adv;
  counters(p, family, rcv, acc, adv);
  const auto& s = p.state().messages().sent();
  const auto& r = p.state().messages().received();
  const auto row = [&](const char* name, std::uint64_t a, std::uint64_t b) {
    out << fmt("    %-15s%10llu %10llu\n", name, static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
  };
  out << "  Message statistics:\n";
  out << "                         Sent       Rcvd\n";
  row("Opens:", s.open(), r.open());
  row("Notifications:", s.notification(), r.notification());
  row("Updates:", s.update(), r.update());
  row("Keepalives:", s.keepalive(), r.keepalive());
  row("Route Refresh:", s.refresh(), r.refresh());
  row("Discarded:", s.discarded(), r.discarded());
  row("Total:", s.total(), r.total());
  out << "  Route statistics:\n";
  out << fmt("    Advertised:    %10llu\n", static_cast<unsigned long long>(adv));
  out << fmt("    Received:      %10llu\n", static_cast<unsigned long long>(rcv));
  out << fmt("    Accepted:      %10llu\n", static_cast<unsigned long long>(acc));
}

void print_rib(std::ostream& out, std::vector<apipb::Destination> dsts, bool show_age, bool show_best, id_column id,
               std::int64_t now) {
  std::stable_sort(dsts.begin(), dsts.end(),
                   [](const auto& a, const auto& b) { return prefix_bytes(a.prefix()) < prefix_bytes(b.prefix()); });
  std::size_t wp = 20, wn = 20, wa = 20;
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : dsts)
    for (const auto& p : d.paths()) {
      const auto n = decode_path(p);
      std::vector<std::string> row{symbols(p, show_best)};
      if (id == id_column::received) row.push_back(std::to_string(p.identifier()));
      if (id == id_column::sent) row.push_back(std::to_string(p.local_identifier()));
      row.push_back(n.nlri);
      row.push_back(n.next_hop);
      row.push_back(n.as_path);
      if (show_age) row.push_back(timedelta(p.age().seconds(), now));
      row.push_back(attrs_text(n));
      wp = std::max(wp, n.nlri.size());
      wn = std::max(wn, n.next_hop.size());
      wa = std::max(wa, n.as_path.size());
      rows.push_back(std::move(row));
    }
  const auto print = [&](const std::vector<std::string>& r) {
    std::size_t k = 0;
    out << pad_left(r[k++], 3);
    if (id != id_column::none) out << pad_left(r[k++], 3) << ' ';
    out << pad_left(r[k++], wp) << ' ';
    out << pad_left(r[k], wn) << ' ';
    ++k;
    out << pad_left(r[k++], wa) << ' ';
    if (show_age) out << pad_left(r[k++], 10) << ' ';
    out << r[k] << "\n";
  };
  std::vector<std::string> header{""};
  if (id != id_column::none) header.push_back("ID");
  header.insert(header.end(), {"Network", "Next Hop", "AS_PATH"});
  if (show_age) header.push_back("Age");
  header.push_back("Attrs");
  print(header);
  for (const auto& r : rows) print(r);
}

std::string rib_json(const std::vector<apipb::Destination>& dsts) {
  std::map<std::string, std::string> by_prefix;
  for (const auto& d : dsts) {
    std::string list = "[";
    for (int i = 0; i < d.paths_size(); ++i) list += (i ? "," : "") + path_json(d.paths(i), decode_path(d.paths(i)));
    by_prefix[d.prefix()] = list + "]";
  }
  std::string j = "{";
  bool first = true;
  for (const auto& [k, v] : by_prefix) {
    if (!first) j += ',';
    first = false;
    append_json_string(j, k);
    j += ':' + v;
  }
  return j + "}";
}

std::string family_text(const apipb::Family& f) {
  return "afi:" + apipb::Family::Afi_Name(f.afi()) + " safi:" + apipb::Family::Safi_Name(f.safi());
}

void print_table_summary(std::ostream& out, const apipb::Family& f, const apipb::GetTableResponse& t) {
  out << "Table " << family_text(f) << "\n";
  out << "Destination: " << t.num_destination() << ", Path: " << t.num_path() << "\n";
}

void print_monitor_paths(std::ostream& out, const google::protobuf::RepeatedPtrField<apipb::Path>& paths,
                         const std::string& utc_now) {
  for (const auto& p : paths) {
    const auto n = decode_path(p);
    out << utc_now << " [" << (p.is_withdraw() ? "DELROUTE" : "ROUTE") << "] " << n.nlri << " via " << n.next_hop
        << " aspath [" << n.as_path << "] attrs " << attrs_text(n) << "\n";
  }
}

std::string monitor_paths_json(const google::protobuf::RepeatedPtrField<apipb::Path>& paths) {
  std::string j = "[";
  for (int i = 0; i < paths.size(); ++i) j += (i ? "," : "") + path_json(paths[i], decode_path(paths[i]));
  return j + "]";
}

void print_monitor_peer(std::ostream& out, const apipb::Peer& p, const std::string& utc_now) {
  std::string addr = p.conf().neighbor_address();
  if (!p.conf().neighbor_interface().empty()) addr += "(" + p.conf().neighbor_interface() + ")";
  out << utc_now << " [NEIGH] " << addr << " fsm: " << state_name(p.state().session_state())
      << " admin: " << apipb::PeerState::AdminState_Name(p.state().admin_state()) << "\n";
}

}  // namespace bgplbctl::gobgp
