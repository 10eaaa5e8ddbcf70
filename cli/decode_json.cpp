// Codec values -> JSON for `bgplbctl decode`. Key names and shapes are the contract in
// docs/decode.md and are checked by test/vectors; change them only together.
#include "decode_json.hpp"

#include "hex.hpp"

#include <bgp/error.hpp>
#include <bgp/iana.hpp>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <cinttypes>
#include <cstdio>
#include <string>
#include <variant>

namespace bgplbctl {
namespace json = boost::json;

namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::string dotted_quad(std::uint32_t host_order) {
  return bgp::ip_address::v4(host_order).to_string();
}

// JSON text must be UTF-8, and peers put arbitrary bytes in hostnames and messages:
// each byte of an ill-formed sequence becomes U+FFFD.
std::string utf8_text(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      n = 1;
      cp = b;
    } else if (b >= 0xc2 && b <= 0xdf) {
      n = 2;
      cp = b & 0x1fu;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      cp = b & 0x0fu;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      cp = b & 0x07u;
    }
    bool valid = n != 0 && i + n <= in.size();
    for (std::size_t k = 1; valid && k < n; ++k) {
      const auto c = static_cast<unsigned char>(in[i + k]);
      valid = (c & 0xc0) == 0x80;
      cp = cp << 6 | (c & 0x3fu);
    }
    // overlong forms, surrogates and code points beyond U+10FFFF
    if (valid && ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                  (cp >= 0xd800 && cp <= 0xdfff)))
      valid = false;
    if (valid) {
      out.append(in.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

void put_family(json::object& o, bgp::family f) {
  o["afi"] = f.afi;
  o["safi"] = f.safi;
}

// ---------------------------------------------------------------- capabilities

std::string_view direction_name(bgp::cap_add_path::direction d) {
  switch (d) {
    case bgp::cap_add_path::direction::receive: return "receive";
    case bgp::cap_add_path::direction::send: return "send";
    case bgp::cap_add_path::direction::both: return "both";
  }
  return "invalid";
}

json::object capability_json(const bgp::capability& cap) {
  json::object o;
  o["code"] = bgp::capability_code(cap);
  std::visit(
      overloaded{
          [&](const bgp::cap_multiprotocol& c) {
            o["name"] = "multiprotocol";
            put_family(o, c.fam);
          },
          [&](const bgp::cap_route_refresh& c) {
            o["name"] = c.code == bgp::iana::capability::route_refresh_cisco
                            ? "route_refresh_cisco"
                            : "route_refresh";
          },
          [&](const bgp::cap_enhanced_route_refresh&) { o["name"] = "enhanced_route_refresh"; },
          [&](const bgp::cap_extended_message&) { o["name"] = "extended_message"; },
          [&](const bgp::cap_extended_next_hop& c) {
            o["name"] = "extended_next_hop";
            json::array entries;
            for (const auto& e : c.entries)
              entries.push_back(json::object{{"nlri_afi", e.nlri_afi},
                                             {"nlri_safi", e.nlri_safi},
                                             {"next_hop_afi", e.next_hop_afi}});
            o["entries"] = std::move(entries);
          },
          [&](const bgp::cap_graceful_restart& c) {
            o["name"] = "graceful_restart";
            o["restart_time"] = c.restart_time;
            o["restarting"] = c.restarting;
            o["notification"] = c.notification;
            json::array families;
            for (const auto& e : c.entries)
              families.push_back(json::object{{"afi", e.fam.afi},
                                              {"safi", e.fam.safi},
                                              {"forwarding", e.forwarding_preserved}});
            o["families"] = std::move(families);
          },
          [&](const bgp::cap_four_octet_as& c) {
            o["name"] = "four_octet_as";
            o["as"] = c.as;
          },
          [&](const bgp::cap_add_path& c) {
            o["name"] = "add_path";
            json::array families;
            for (const auto& e : c.entries)
              families.push_back(json::object{{"afi", e.fam.afi},
                                              {"safi", e.fam.safi},
                                              {"send_receive", direction_name(e.dir)}});
            o["families"] = std::move(families);
          },
          [&](const bgp::cap_fqdn& c) {
            o["name"] = "fqdn";
            o["hostname"] = utf8_text(c.hostname);
            o["domain"] = utf8_text(c.domain);
          },
          [&](const bgp::cap_unknown& c) {
            o["name"] = "unknown";
            o["hex"] = to_hex(c.value);
          },
      },
      cap);
  return o;
}

json::object open_json(const bgp::open_message& m) {
  json::array caps;
  for (const auto& c : m.capabilities) caps.push_back(capability_json(c));
  return json::object{
      {"type", "open"},
      {"version", m.version},
      {"my_as", m.my_as},
      {"hold_time", m.hold_time},
      {"bgp_id", dotted_quad(m.bgp_id)},
      {"capabilities", std::move(caps)},
  };
}

// ---------------------------------------------------------------- UPDATE

std::string_view origin_name(bgp::origin_type o) {
  switch (o) {
    case bgp::origin_type::igp: return "igp";
    case bgp::origin_type::egp: return "egp";
    case bgp::origin_type::incomplete: return "incomplete";
  }
  return "invalid";
}

std::string_view segment_name(bgp::segment_type t) {
  switch (t) {
    case bgp::segment_type::as_set: return "set";
    case bgp::segment_type::as_sequence: return "sequence";
    case bgp::segment_type::confed_sequence: return "confed_sequence";
    case bgp::segment_type::confed_set: return "confed_set";
  }
  return "invalid";
}

json::array as_path_json(const bgp::as_path& path) {
  json::array segments;
  for (const auto& s : path) {
    json::array asns;
    for (const std::uint32_t as : s.asns) asns.push_back(as);
    segments.push_back(json::object{{"type", segment_name(s.type)}, {"asns", std::move(asns)}});
  }
  return segments;
}

json::object aggregator_json(const bgp::aggregator_info& a) {
  return json::object{{"as", a.as}, {"address", dotted_quad(a.address)}};
}

json::array routes_json(const std::vector<bgp::nlri>& routes, bool with_path_id) {
  json::array out;
  for (const auto& r : routes) {
    if (with_path_id)
      out.push_back(json::object{{"prefix", r.route.to_string()}, {"path_id", r.path_id}});
    else
      out.push_back(json::string(r.route.to_string()));
  }
  return out;
}

// RFC 4760: only the unicast families are decoded by the codec; the rest stay opaque.
bool decoded_family(bgp::family f) { return f == bgp::ipv4_unicast || f == bgp::ipv6_unicast; }

json::object mp_reach_json(const bgp::mp_reach& r, const bgp::session_context& ctx) {
  json::object o;
  put_family(o, r.fam);
  if (decoded_family(r.fam)) {
    json::array hops;
    for (const auto& h : r.next_hops) hops.push_back(json::string(h.to_string()));
    o["next_hops"] = std::move(hops);
    o["nlri"] = routes_json(r.routes, ctx.add_path(r.fam));
  } else {
    o["next_hop_hex"] = to_hex(r.raw_next_hop);
    o["nlri_hex"] = to_hex(r.raw_nlri);
  }
  return o;
}

json::object mp_unreach_json(const bgp::mp_unreach& u, const bgp::session_context& ctx) {
  json::object o;
  put_family(o, u.fam);
  if (decoded_family(u.fam))
    o["withdrawn"] = routes_json(u.routes, ctx.add_path(u.fam));
  else
    o["withdrawn_hex"] = to_hex(u.raw_nlri);
  return o;
}

std::string two_part(std::uint32_t v) {
  return std::to_string(v >> 16) + ":" + std::to_string(v & 0xffff);
}

std::string ext_community_hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// Keys in attribute type code order; a key is present only when the attribute is.
json::object attributes_json(const bgp::update_message& u, const bgp::session_context& ctx) {
  const bgp::path_attributes& a = u.attrs;
  json::object o;
  if (a.origin) o["origin"] = origin_name(*a.origin);
  if (a.path) o["as_path"] = as_path_json(*a.path);
  if (a.next_hop) o["next_hop"] = a.next_hop->to_string();
  if (a.med) o["med"] = *a.med;
  if (a.local_pref) o["local_pref"] = *a.local_pref;
  if (a.atomic_aggregate) o["atomic_aggregate"] = true;
  if (a.aggregator) o["aggregator"] = aggregator_json(*a.aggregator);
  if (!a.communities.empty()) {
    json::array list;
    for (const std::uint32_t c : a.communities) list.push_back(json::string(two_part(c)));
    o["communities"] = std::move(list);
  }
  if (a.originator_id) o["originator_id"] = dotted_quad(*a.originator_id);
  if (!a.cluster_list.empty()) {
    json::array list;
    for (const std::uint32_t id : a.cluster_list) list.push_back(json::string(dotted_quad(id)));
    o["cluster_list"] = std::move(list);
  }
  if (u.reach) o["mp_reach"] = mp_reach_json(*u.reach, ctx);
  if (u.unreach) o["mp_unreach"] = mp_unreach_json(*u.unreach, ctx);
  if (!a.extended_communities.empty()) {
    json::array list;
    for (const std::uint64_t c : a.extended_communities)
      list.push_back(json::string(ext_community_hex(c)));
    o["extended_communities"] = std::move(list);
  }
  if (a.as4_path) o["as4_path"] = as_path_json(*a.as4_path);
  if (a.as4_aggregator) o["as4_aggregator"] = aggregator_json(*a.as4_aggregator);
  if (!a.large_communities.empty()) {
    json::array list;
    for (const auto& c : a.large_communities)
      list.push_back(json::string(std::to_string(c.global_admin) + ":" +
                                  std::to_string(c.local_data1) + ":" +
                                  std::to_string(c.local_data2)));
    o["large_communities"] = std::move(list);
  }
  if (!a.unknown.empty()) {
    json::array list;
    for (const auto& x : a.unknown)
      list.push_back(json::object{{"code", x.code}, {"flags", x.flags}, {"hex", to_hex(x.value)}});
    o["unknown"] = std::move(list);
  }
  return o;
}

json::object update_json(const bgp::update_message& u, const bgp::session_context& ctx) {
  const bool path_ids = ctx.add_path(bgp::ipv4_unicast);
  json::object o{
      {"type", "update"},
      {"withdrawn", routes_json(u.withdrawn, path_ids)},
      {"attributes", attributes_json(u, ctx)},
      {"nlri", routes_json(u.routes, path_ids)},
  };
  if (const auto eor = u.end_of_rib()) {
    json::object f;
    put_family(f, *eor);
    o["end_of_rib"] = std::move(f);
  }
  return o;
}

// ---------------------------------------------------------------- the rest

json::object notification_json(const bgp::notification_message& n) {
  json::object o{
      {"type", "notification"},
      {"code", n.code},
      {"subcode", n.subcode},
      {"data", to_hex(n.data)},
      {"description", bgp::describe_notification(n.code, n.subcode)},
  };
  if (const auto text = n.shutdown_message()) o["message"] = utf8_text(*text);
  return o;
}

json::object route_refresh_json(const bgp::route_refresh_message& r) {
  return json::object{
      {"type", "route_refresh"},
      {"afi", r.fam.afi},
      {"safi", r.fam.safi},
      {"subtype", r.subtype},
  };
}

}  // namespace

json::object message_json(const bgp::message& m, const bgp::session_context& ctx) {
  return std::visit(
      overloaded{
          [](const bgp::open_message& x) { return open_json(x); },
          [&](const bgp::update_message& x) { return update_json(x, ctx); },
          [](const bgp::notification_message& x) { return notification_json(x); },
          [](const bgp::keepalive_message&) { return json::object{{"type", "keepalive"}}; },
          [](const bgp::route_refresh_message& x) { return route_refresh_json(x); },
      },
      m);
}

json::object error_json(const bgp::decode_error& e) {
  json::object o{
      {"type", "error"},
      {"code", e.code},
      {"subcode", e.subcode},
      {"action", bgp::to_string(e.action)},
      {"reason", utf8_text(e.reason)},
      {"data", to_hex(e.data)},
      {"description", bgp::describe_notification(e.code, e.subcode)},
  };
  if (e.action == bgp::error_action::afi_safi_disable) put_family(o, e.afi_safi);
  return o;
}

json::object input_error_json(std::string_view reason) {
  return json::object{
      {"type", "error"},
      {"code", 0},
      {"subcode", 0},
      {"action", bgp::to_string(bgp::error_action::session_reset)},
      {"reason", utf8_text(reason)},
      {"data", ""},
  };
}

json::object decode_result_json(const bgp::decode_result& r, const bgp::session_context& ctx) {
  if (!r.msg) {
    if (r.error) return error_json(*r.error);
    return input_error_json("codec returned neither a message nor an error");
  }
  json::object o = message_json(*r.msg, ctx);
  if (r.error) {
    o["rfc7606"] = json::object{
        {"action", bgp::to_string(r.error->action)},
        {"code", r.error->code},
        {"subcode", r.error->subcode},
        {"reason", utf8_text(r.error->reason)},
        {"data", to_hex(r.error->data)},
    };
  }
  return o;
}

}  // namespace bgplbctl
