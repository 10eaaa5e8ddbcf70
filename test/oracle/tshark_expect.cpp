// Typed BGP message -> the fields Wireshark 4.0's BGP dissector (packet-bgp.c) shows for
// it. Field names are tshark's (`tshark -G fields`); values are numbers or strings the
// checker compares after normalising (0x.. and decimal, IP text forms).
#include "tshark_expect.hpp"

#include <bgp/iana.hpp>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <bit>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

namespace oracle {
namespace json = boost::json;

namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

void declare(json::object& f, std::initializer_list<std::string_view> names) {
  for (const auto name : names)
    if (!f.contains(name)) f[name] = json::array{};
}

void add(json::object& f, std::string_view name, json::value v) {
  json::value& slot = f[name];
  if (slot.is_null()) slot = json::array{};
  slot.as_array().push_back(std::move(v));
}

void add(json::object& f, std::string_view name, const std::string& text) {
  add(f, name, json::value(json::string(text)));
}

std::string dotted_quad(std::uint32_t host_order) {
  return bgp::ip_address::v4(host_order).to_string();
}

// ---------------------------------------------------------------- OPEN

json::object open_fields(const bgp::open_message& m) {
  json::object f{
      {"bgp.open.version", json::array{m.version}},
      {"bgp.open.myas", json::array{m.my_as}},
      {"bgp.open.holdtime", json::array{m.hold_time}},
      {"bgp.open.identifier", json::array{dotted_quad(m.bgp_id)}},
  };
  declare(f, {"bgp.cap.type", "bgp.cap.mp.afi", "bgp.cap.mp.safi", "bgp.cap.4as",
              "bgp.cap.enh.afi", "bgp.cap.enh.safi", "bgp.cap.enh.nhafi",
              "bgp.cap.gr.timers.restart_flag", "bgp.cap.gr.timers.notification_flag",
              "bgp.cap.gr.timers.restart_time", "bgp.cap.gr.afi", "bgp.cap.gr.safi",
              "bgp.cap.gr.flag.pfs", "bgp.cap.ap.afi", "bgp.cap.ap.safi",
              "bgp.cap.ap.sendreceive", "bgp.cap.orf.fqdn.hostname",
              "bgp.cap.orf.fqdn.domain_name"});
  for (const auto& cap : m.capabilities) {
    add(f, "bgp.cap.type", bgp::capability_code(cap));
    std::visit(
        overloaded{
            [&](const bgp::cap_multiprotocol& c) {
              add(f, "bgp.cap.mp.afi", c.fam.afi);
              add(f, "bgp.cap.mp.safi", c.fam.safi);
            },
            [&](const bgp::cap_four_octet_as& c) { add(f, "bgp.cap.4as", c.as); },
            [&](const bgp::cap_extended_next_hop& c) {
              for (const auto& e : c.entries) {
                add(f, "bgp.cap.enh.afi", e.nlri_afi);
                add(f, "bgp.cap.enh.safi", e.nlri_safi);
                add(f, "bgp.cap.enh.nhafi", e.next_hop_afi);
              }
            },
            [&](const bgp::cap_graceful_restart& c) {
              add(f, "bgp.cap.gr.timers.restart_flag", c.restarting ? 1 : 0);
              add(f, "bgp.cap.gr.timers.notification_flag", c.notification ? 1 : 0);
              add(f, "bgp.cap.gr.timers.restart_time", c.restart_time);
              for (const auto& e : c.entries) {
                add(f, "bgp.cap.gr.afi", e.fam.afi);
                add(f, "bgp.cap.gr.safi", e.fam.safi);
                add(f, "bgp.cap.gr.flag.pfs", e.forwarding_preserved ? 1 : 0);
              }
            },
            [&](const bgp::cap_add_path& c) {
              for (const auto& e : c.entries) {
                add(f, "bgp.cap.ap.afi", e.fam.afi);
                add(f, "bgp.cap.ap.safi", e.fam.safi);
                add(f, "bgp.cap.ap.sendreceive", static_cast<unsigned>(e.dir));
              }
            },
            [&](const bgp::cap_fqdn& c) {
              add(f, "bgp.cap.orf.fqdn.hostname", c.hostname);
              add(f, "bgp.cap.orf.fqdn.domain_name", c.domain);
            },
            [](const auto&) {},  // no value (route refresh, extended message, ...)
        },
        cap);
  }
  return f;
}

// ---------------------------------------------------------------- UPDATE

struct attribute_expect {
  std::uint8_t code;
  std::uint8_t flags;
  json::object fields;
};

void add_prefixes(json::object& f, std::string_view prefix_field,
                  const std::vector<bgp::nlri>& routes, bool path_ids) {
  for (const auto& r : routes) {
    add(f, prefix_field, r.route.address.to_string());
    add(f, "bgp.prefix_length", r.route.length);
    if (path_ids) add(f, "bgp.nlri_path_id", r.path_id);
  }
}

json::object as_path_fields(const bgp::as_path& path, bool four_octet) {
  constexpr std::string_view prefix = "bgp.update.path_attribute.as_path_segment.";
  const std::string as_field = std::string(prefix) + (four_octet ? "as4" : "as2");
  json::object f;
  declare(f, {std::string(prefix) + "type", std::string(prefix) + "length", as_field});
  for (const auto& s : path) {
    add(f, std::string(prefix) + "type", static_cast<unsigned>(s.type));
    add(f, std::string(prefix) + "length", s.asns.size());
    for (const std::uint32_t as : s.asns) add(f, as_field, as);
  }
  return f;
}

json::object aggregator_fields(const bgp::aggregator_info& a) {
  return json::object{
      {"bgp.update.path_attribute.aggregator_as", json::array{a.as}},
      {"bgp.update.path_attribute.aggregator_origin", json::array{dotted_quad(a.address)}},
  };
}

// Wireshark shows 0x0000xxxx and 0xFFFFxxxx as one "well-known" value, the rest as
// AS:value (packet-bgp.c, BGPTYPE_COMMUNITIES).
json::object community_fields(const std::vector<std::uint32_t>& communities) {
  constexpr std::string_view p = "bgp.update.path_attribute.";
  json::object f;
  declare(f, {std::string(p) + "community_wellknown", std::string(p) + "community_as",
              std::string(p) + "community_value"});
  for (const std::uint32_t c : communities) {
    if ((c >> 16) == 0 || (c >> 16) == 0xffff) {
      add(f, std::string(p) + "community_wellknown", c);
    } else {
      add(f, std::string(p) + "community_as", c >> 16);
      add(f, std::string(p) + "community_value", c & 0xffff);
    }
  }
  return f;
}

// Only the two-octet-AS types are modelled (route target, link bandwidth, ...); a sample
// using another type must extend this first.
json::object ext_community_fields(const std::vector<std::uint64_t>& communities) {
  json::object f;
  declare(f, {"bgp.ext_com.type", "bgp.ext_com.stype_tr_as2", "bgp.ext_com.stype_ntr_as2",
              "bgp.ext_com.value_as2", "bgp.ext_com.value_an4", "bgp.ext_com.value_link_bw"});
  for (const std::uint64_t c : communities) {
    const auto type = static_cast<std::uint8_t>(c >> 56);
    const auto subtype = static_cast<std::uint8_t>(c >> 48);
    const auto as = static_cast<std::uint16_t>(c >> 32);
    const auto low = static_cast<std::uint32_t>(c);
    add(f, "bgp.ext_com.type", type);
    if (type == bgp::iana::ext_community::type_two_octet_as) {
      add(f, "bgp.ext_com.stype_tr_as2", subtype);
    } else if (type == bgp::iana::ext_community::type_non_transitive_two_octet_as) {
      add(f, "bgp.ext_com.stype_ntr_as2", subtype);
    } else {
      throw std::invalid_argument("tshark_expect: extended community type not modelled");
    }
    add(f, "bgp.ext_com.value_as2", as);
    if (type == bgp::iana::ext_community::type_non_transitive_two_octet_as &&
        subtype == bgp::iana::ext_community::subtype_link_bandwidth)
      add(f, "bgp.ext_com.value_link_bw", static_cast<double>(std::bit_cast<float>(low)));
    else
      add(f, "bgp.ext_com.value_an4", low);
  }
  return f;
}

json::object mp_reach_fields(const bgp::mp_reach& r, const bgp::session_context& ctx) {
  constexpr std::string_view p = "bgp.update.path_attribute.mp_reach_nlri.";
  json::object f{
      {std::string(p) + "afi", json::array{r.fam.afi}},
      {std::string(p) + "safi", json::array{r.fam.safi}},
  };
  declare(f, {std::string(p) + "next_hop.ipv4", std::string(p) + "next_hop.ipv6",
              std::string(p) + "next_hop.ipv6.link_local", "bgp.prefix_length",
              "bgp.nlri_path_id"});
  for (std::size_t i = 0; i < r.next_hops.size(); ++i) {
    const auto& h = r.next_hops[i];
    const char* field = h.is_v4() ? "next_hop.ipv4"
                        : i == 0  ? "next_hop.ipv6"
                                  : "next_hop.ipv6.link_local";
    add(f, std::string(p) + field, h.to_string());
  }
  const char* prefix_field = r.fam.afi == 1 ? "bgp.mp_reach_nlri_ipv4_prefix"
                                            : "bgp.mp_reach_nlri_ipv6_prefix";
  declare(f, {prefix_field});
  add_prefixes(f, prefix_field, r.routes, ctx.add_path(r.fam));
  return f;
}

json::object mp_unreach_fields(const bgp::mp_unreach& u, const bgp::session_context& ctx) {
  constexpr std::string_view p = "bgp.update.path_attribute.mp_unreach_nlri.";
  json::object f{
      {std::string(p) + "afi", json::array{u.fam.afi}},
      {std::string(p) + "safi", json::array{u.fam.safi}},
  };
  const char* prefix_field = u.fam.afi == 1 ? "bgp.mp_unreach_nlri_ipv4_prefix"
                                            : "bgp.mp_unreach_nlri_ipv6_prefix";
  declare(f, {prefix_field, "bgp.prefix_length", "bgp.nlri_path_id"});
  add_prefixes(f, prefix_field, u.routes, ctx.add_path(u.fam));
  return f;
}

bool needs_four_octets(const bgp::as_path& path) {
  for (const auto& s : path)
    for (const std::uint32_t as : s.asns)
      if (as > 0xffff) return true;
  return false;
}

// RFC 6793 §4.2.2: towards an OLD (two-octet) speaker, non-mappable ASNs become
// AS_TRANS and the real ones travel in AS4_PATH / AS4_AGGREGATOR.
bgp::path_attributes for_session(bgp::path_attributes a, const bgp::session_context& ctx) {
  if (ctx.four_octet_as) return a;
  if (a.path && needs_four_octets(*a.path)) {
    for (const auto& s : *a.path)
      if (s.type == bgp::segment_type::confed_sequence ||
          s.type == bgp::segment_type::confed_set)
        throw std::invalid_argument("tshark_expect: confederation + AS4_PATH not modelled");
    if (!a.as4_path) a.as4_path = a.path;
    for (auto& s : *a.path)
      for (auto& as : s.asns)
        if (as > 0xffff) as = bgp::iana::as_trans;
  }
  if (a.aggregator && a.aggregator->as > 0xffff) {
    if (!a.as4_aggregator) a.as4_aggregator = a.aggregator;
    a.aggregator->as = bgp::iana::as_trans;
  }
  return a;
}

// RFC 7606 §5.1: MP_REACH_NLRI / MP_UNREACH_NLRI first; then RFC 4271 §5: ascending
// type code order.
std::vector<attribute_expect> attribute_list(const bgp::update_message& u,
                                             const bgp::session_context& ctx) {
  namespace code = bgp::iana::attr;
  constexpr std::uint8_t well_known = bgp::iana::attr_flag::transitive;
  constexpr std::uint8_t optional = bgp::iana::attr_flag::optional;
  constexpr std::uint8_t optional_transitive = optional | bgp::iana::attr_flag::transitive;
  constexpr std::string_view p = "bgp.update.path_attribute.";
  const bgp::path_attributes a = for_session(u.attrs, ctx);
  std::vector<attribute_expect> out;
  const auto one = [](std::string_view name, json::value v) {
    return json::object{{name, json::array{std::move(v)}}};
  };

  if (u.reach) out.push_back({code::mp_reach_nlri, optional, mp_reach_fields(*u.reach, ctx)});
  if (u.unreach)
    out.push_back({code::mp_unreach_nlri, optional, mp_unreach_fields(*u.unreach, ctx)});
  if (a.origin)
    out.push_back({code::origin, well_known,
                   one(std::string(p) + "origin", static_cast<unsigned>(*a.origin))});
  if (a.path)
    out.push_back({code::as_path, well_known, as_path_fields(*a.path, ctx.four_octet_as)});
  if (a.next_hop)
    out.push_back({code::next_hop, well_known,
                   one(std::string(p) + "next_hop", json::string(a.next_hop->to_string()))});
  if (a.med)
    out.push_back(
        {code::multi_exit_disc, optional, one(std::string(p) + "multi_exit_disc", *a.med)});
  if (a.local_pref)
    out.push_back(
        {code::local_pref, well_known, one(std::string(p) + "local_pref", *a.local_pref)});
  if (a.atomic_aggregate) out.push_back({code::atomic_aggregate, well_known, {}});
  if (a.aggregator)
    out.push_back({code::aggregator, optional_transitive, aggregator_fields(*a.aggregator)});
  if (!a.communities.empty())
    out.push_back({code::communities, optional_transitive, community_fields(a.communities)});
  if (a.originator_id)
    out.push_back(
        {code::originator_id, optional,
         one(std::string(p) + "originator_id", json::string(dotted_quad(*a.originator_id)))});
  if (!a.cluster_list.empty()) {
    json::object f{{"bgp.path_attribute.cluster_id", json::array{}}};
    for (const std::uint32_t id : a.cluster_list)
      add(f, "bgp.path_attribute.cluster_id", dotted_quad(id));
    out.push_back({code::cluster_list, optional, std::move(f)});
  }
  if (!a.extended_communities.empty())
    out.push_back({code::extended_communities, optional_transitive,
                   ext_community_fields(a.extended_communities)});
  if (a.as4_path)
    out.push_back({code::as4_path, optional_transitive, as_path_fields(*a.as4_path, true)});
  if (a.as4_aggregator)
    out.push_back(
        {code::as4_aggregator, optional_transitive, aggregator_fields(*a.as4_aggregator)});
  if (!a.large_communities.empty()) {
    json::object f;
    declare(f, {"bgp.large_communities.ga", "bgp.large_communities.ldp1",
                "bgp.large_communities.ldp2"});
    for (const auto& c : a.large_communities) {
      add(f, "bgp.large_communities.ga", c.global_admin);
      add(f, "bgp.large_communities.ldp1", c.local_data1);
      add(f, "bgp.large_communities.ldp2", c.local_data2);
    }
    out.push_back({code::large_community, optional_transitive, std::move(f)});
  }
  // RFC 4271 §5: unrecognized optional transitive attributes are passed on with the
  // Partial bit set; unrecognized non-transitive ones are not passed on.
  for (const auto& x : a.unknown)
    if ((x.flags & optional_transitive) == optional_transitive)
      out.push_back(
          {x.code, static_cast<std::uint8_t>(x.flags | bgp::iana::attr_flag::partial), {}});
  return out;
}

json::object expectation(int type, json::object fields,
                         const std::vector<attribute_expect>& attributes = {}) {
  json::array list;
  for (const auto& a : attributes)
    list.push_back(json::object{{"type_code", a.code}, {"flags", a.flags}, {"fields", a.fields}});
  return json::object{
      {"type", type}, {"fields", std::move(fields)}, {"attributes", std::move(list)}};
}

json::object update_fields(const bgp::update_message& u, const bgp::session_context& ctx) {
  const bool path_ids = ctx.add_path_ipv4;
  json::object f;
  declare(f, {"bgp.withdrawn_prefix", "bgp.nlri_prefix", "bgp.prefix_length", "bgp.nlri_path_id"});
  add_prefixes(f, "bgp.withdrawn_prefix", u.withdrawn, path_ids);
  add_prefixes(f, "bgp.nlri_prefix", u.routes, path_ids);
  return f;
}

// ---------------------------------------------------------------- the rest

json::object notification_fields(const bgp::notification_message& n) {
  namespace ec = bgp::iana::error_code;
  const char* minor = "bgp.notify.minor_error_unknown";
  switch (n.code) {
    case ec::message_header: minor = "bgp.notify.minor_error"; break;
    case ec::open_message: minor = "bgp.notify.minor_error_open"; break;
    case ec::update_message: minor = "bgp.notify.minor_error_update"; break;
    case ec::hold_timer_expired: minor = "bgp.notify.minor_error_expired"; break;
    case ec::fsm: minor = "bgp.notify.minor_error_state"; break;
    case ec::cease: minor = "bgp.notify.minor_error_cease"; break;
    default: break;
  }
  json::object f{
      {"bgp.notify.major_error", json::array{n.code}},
      {minor, json::array{n.subcode}},
  };
  declare(f, {"bgp.notify.communication", "bgp.notify.minor_data"});
  if (const auto text = n.shutdown_message()) {
    add(f, "bgp.notify.communication", *text);
  } else if (!n.data.empty()) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;  // Wireshark's FT_BYTES form, "aa:bb:cc"
    for (const std::uint8_t b : n.data) {
      if (!hex.empty()) hex.push_back(':');
      hex.push_back(digits[b >> 4]);
      hex.push_back(digits[b & 0xf]);
    }
    add(f, "bgp.notify.minor_data", hex);
  }
  return f;
}

}  // namespace

boost::json::object tshark_expect(const bgp::message& m, const bgp::session_context& ctx) {
  return std::visit(
      overloaded{
          [](const bgp::open_message& x) { return expectation(1, open_fields(x)); },
          [&](const bgp::update_message& x) {
            return expectation(2, update_fields(x, ctx), attribute_list(x, ctx));
          },
          [](const bgp::notification_message& x) {
            return expectation(3, notification_fields(x));
          },
          [](const bgp::keepalive_message&) { return expectation(4, {}); },
          [](const bgp::route_refresh_message& x) {
            return expectation(5, json::object{{"bgp.route_refresh.afi", json::array{x.fam.afi}},
                                               {"bgp.route_refresh.safi", json::array{x.fam.safi}},
                                               {"bgp.route_refresh.subtype",
                                                json::array{x.subtype}}});
          },
      },
      m);
}

boost::json::object tshark_expect_packed(const bgp::path_attributes& attrs,
                                         const bgp::ip_address& next_hop,
                                         std::span<const bgp::nlri> routes,
                                         const bgp::session_context& ctx) {
  bgp::update_message u;
  u.attrs = attrs;
  u.attrs.next_hop = next_hop;
  u.routes.assign(routes.begin(), routes.end());
  return expectation(2, update_fields(u, ctx), attribute_list(u, ctx));
}

}  // namespace oracle
