// Path attributes (RFC 4271 §4.3, §5) as one descriptor row per attribute type: its
// flags, how to decode and encode it, and what RFC 7606 says to do when it is
// malformed. Decoding dispatches on the row of the type received; encoding walks the
// rows in type order. A new attribute is a new row.
//
//   0                   1
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Attr. Flags  |Attr. Type Code|  then Attribute Length: 1 octet, or 2 when the
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  Extended Length flag (0x10) is set; then value.
#include "codec/internal.hpp"

#include <algorithm>
#include <array>

namespace bgp::codec {

namespace {

namespace code = iana::attr;
namespace flag = iana::attr_flag;
namespace sub = iana::update_subcode;

constexpr std::uint8_t well_known = flag::transitive;                       // 0x40
constexpr std::uint8_t opt_transitive = flag::optional | flag::transitive;  // 0xC0
constexpr std::uint8_t opt_non_transitive = flag::optional;                 // 0x80

// A problem with one attribute; `action` none means "the row's on_malformed".
struct attr_fault {
  std::uint8_t subcode = sub::attribute_length_error;
  std::string reason;
  error_action action = error_action::none;
  bool with_data = true;  // NOTIFICATION data is the erroneous attribute
  family fam{};           // with afi_safi_disable
};
using fault = std::optional<attr_fault>;

fault length_fault(std::size_t got, const char* expected, const char* rule) {
  return attr_fault{sub::attribute_length_error,
                    "length " + std::to_string(got) + ", expected " + expected + " (" + rule + ")"};
}

std::uint32_t u32_at(byte_view v, std::size_t i) { return load_u32(v.data() + i); }

// An attribute that is dropped without being malformed: the rest of the UPDATE stands.
attr_fault discarded(std::string reason) {
  return attr_fault{sub::malformed_attribute_list, std::move(reason), error_action::attribute_discard, false};
}

// Drops the later copies of repeated values, keeping the order of the first ones.
template <class T>
void remove_repeats(std::vector<T>& v) {
  if (v.size() < 2) return;
  std::vector<T> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) return;
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<bool> seen(sorted.size());
  std::erase_if(v, [&](const T& x) {
    const auto i = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), x) - sorted.begin());
    if (seen[i]) return true;
    seen[i] = true;
    return false;
  });
}

bool has_as_zero(const as_path& path) {
  for (const auto& s : path)
    for (auto as : s.asns)
      if (as == 0) return true;
  return false;
}

// AS_PATH / AS4_PATH segments, RFC 4271 §4.3 and RFC 6793 §3:
// <segment type (1), segment length in ASes (1), ASNs (2 or 4 octets each)>*
fault parse_path(byte_view v, std::size_t asn_size, as_path& out, std::uint8_t subcode,
                 const char* rule) {
  reader r(v);
  while (!r.empty()) {
    std::uint8_t type = 0, count = 0;
    if (r.remaining() < 2)
      return attr_fault{subcode, std::string("one octet left after the last segment (") + rule + ")",
                        error_action::none, false};
    r.u8(type);
    r.u8(count);
    if (type < iana::segment::as_set || type > iana::segment::confed_set)
      return attr_fault{subcode,
                        "unrecognized segment type " + std::to_string(type) + " (" + rule + ")",
                        error_action::none, false};
    if (count == 0)
      return attr_fault{subcode, std::string("segment of length zero (") + rule + ")",
                        error_action::none, false};
    byte_view asns;
    if (!r.take(count * asn_size, asns))
      return attr_fault{subcode,
                        "segment of " + std::to_string(count) + " ASes overruns the attribute (" +
                            rule + ")",
                        error_action::none, false};
    path_segment seg;
    seg.type = static_cast<segment_type>(type);
    seg.asns.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
      seg.asns.push_back(asn_size == 4 ? load_u32(asns.data() + 4 * i)
                                       : load_u16(asns.data() + 2 * i));
    out.push_back(std::move(seg));
  }
  return std::nullopt;
}

bool confed(const path_segment& s) {
  return s.type == segment_type::confed_sequence || s.type == segment_type::confed_set;
}

// A segment holds at most 255 ASes; longer runs go out as several segments of the type.
// `skip_confed`: RFC 6793 §4.2.2, AS4_PATH never carries confederation segments.
std::size_t path_wire_size(const as_path& path, std::size_t asn_size, bool skip_confed) {
  std::size_t n = 0;
  for (const auto& seg : path) {
    if (skip_confed && confed(seg)) continue;
    const std::size_t pieces = seg.asns.empty() ? 1 : (seg.asns.size() + 254) / 255;
    n += 2 * pieces + asn_size * seg.asns.size();
  }
  return n;
}

void put_path(writer& w, const as_path& path, bool four_octet, bool skip_confed) {
  for (const auto& seg : path) {
    if (skip_confed && confed(seg)) continue;
    std::size_t i = 0;
    do {
      const std::size_t n = std::min<std::size_t>(255, seg.asns.size() - i);
      w.u8(static_cast<std::uint8_t>(seg.type));
      w.u8(static_cast<std::uint8_t>(n));
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint32_t as = seg.asns[i + k];
        if (four_octet)
          w.u32(as);
        else
          w.u16(static_cast<std::uint16_t>(as > 0xFFFF ? iana::as_trans : as));
      }
      i += n;
    } while (i < seg.asns.size());
  }
}

// Writes flags, type and a length, then the value produced by `body`; the length is
// one octet unless the value turns out longer than 255 (Extended Length). For values
// whose length is not known before they are written (MP_REACH_NLRI, MP_UNREACH_NLRI).
template <class F>
void put_attr(writer& w, std::uint8_t flags, std::uint8_t type, F&& body) {
  auto& buf = w.buffer();
  const std::size_t at = buf.size();
  w.u8(static_cast<std::uint8_t>(flags | flag::extended_length));
  w.u8(type);
  const std::size_t len_at = w.placeholder(2);
  body();
  const std::size_t len = buf.size() - len_at - 2;
  if (len <= 255) {
    buf[at] = static_cast<std::uint8_t>(flags & ~flag::extended_length);
    buf[len_at] = static_cast<std::uint8_t>(len);
    buf.erase(buf.begin() + static_cast<std::ptrdiff_t>(len_at + 1));
  } else {
    w.patch_u16(len_at, static_cast<std::uint16_t>(len));
  }
}

bool has_four_octet_asn(const as_path& path) {
  for (const auto& s : path)
    for (auto as : s.asns)
      if (as > 0xFFFF) return true;
  return false;
}

// Decoders for the MP attributes live with the NLRI logic below the table.
fault decode_mp_reach(byte_view v, update_message& m, const session_context& ctx);
fault decode_mp_unreach(byte_view v, update_message& m, const session_context& ctx);

struct descriptor;
using decode_fn = fault (*)(byte_view, update_message&, const session_context&);
// Appends the attribute, header included, when `a` carries it.
using encode_fn = void (*)(writer&, const descriptor&, const path_attributes&, const session_context&);

struct descriptor {
  std::uint8_t code;
  const char* name;
  std::uint8_t flags;  // expected Optional and Transitive bits; sent as they are
  error_action on_malformed;
  error_action on_flags;  // RFC 7606 §3(c), unless the attribute's RFC says otherwise
  decode_fn decode;
  // Null for MP_REACH_NLRI / MP_UNREACH_NLRI: they belong to the UPDATE, not to the
  // attribute set, and go first (RFC 7606 §5.1; encode_mp_reach, encode_mp_unreach).
  encode_fn encode;
};

// ---- Encoders shared by several rows.

void put_header(writer& w, const descriptor& d, std::size_t length) {
  put_attribute_header(w, d.flags, d.code, length);
}

// A four-octet value (MULTI_EXIT_DISC, LOCAL_PREF, ORIGINATOR_ID).
template <std::optional<std::uint32_t> path_attributes::*member>
void encode_u32(writer& w, const descriptor& d, const path_attributes& a, const session_context&) {
  if (!(a.*member)) return;
  put_header(w, d, 4);
  w.u32(*(a.*member));
}

void put_item(writer& w, std::uint32_t v) { w.u32(v); }
void put_item(writer& w, std::uint64_t v) { w.u64(v); }
void put_item(writer& w, const large_community& c) {
  w.u32(c.global_admin);
  w.u32(c.local_data1);
  w.u32(c.local_data2);
}

// A list of fixed-size values (COMMUNITIES, CLUSTER_LIST, EXTENDED_COMMUNITIES,
// LARGE_COMMUNITY); absent when empty.
template <auto member, std::size_t item_size>
void encode_items(writer& w, const descriptor& d, const path_attributes& a, const session_context&) {
  const auto& items = a.*member;
  if (items.empty()) return;
  put_header(w, d, items.size() * item_size);
  for (const auto& v : items) put_item(w, v);
}

void put_path_attr(writer& w, const descriptor& d, const as_path& path, bool four_octet, bool skip_confed) {
  put_header(w, d, path_wire_size(path, four_octet ? 4 : 2, skip_confed));
  put_path(w, path, four_octet, skip_confed);
}

// clang-format off
constexpr std::array<descriptor, 16> table{{
  {code::origin, "ORIGIN", well_known, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 7606 §7.1
   [](byte_view v, update_message& m, const session_context&) -> fault {
     if (v.size() != 1) return length_fault(v.size(), "1", "RFC 7606 §7.1");
     if (v[0] > 2)
       return attr_fault{sub::invalid_origin_attribute,
                         "undefined ORIGIN value " + std::to_string(v[0]) + " (RFC 4271 §6.3, RFC 7606 §7.1)"};
     m.attrs.origin = static_cast<origin_type>(v[0]);
     return std::nullopt;
   },
   [](writer& w, const descriptor& d, const path_attributes& a, const session_context&) {
     if (!a.origin) return;
     put_header(w, d, 1);
     w.u8(static_cast<std::uint8_t>(*a.origin));
   }},
  {code::as_path, "AS_PATH", well_known, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 7606 §7.2
   [](byte_view v, update_message& m, const session_context& ctx) -> fault {
     as_path path;
     if (auto f = parse_path(v, ctx.four_octet_as ? 4 : 2, path, sub::malformed_as_path, "RFC 7606 §7.2"))
       return f;
     // RFC 5065 §5.3: confederation segments never come from outside the confederation.
     if (ctx.ebgp)
       for (const auto& s : path)
         if (confed(s))
           return attr_fault{sub::malformed_as_path,
                             "confederation segment from an external peer (RFC 5065 §5.3, RFC 7606 §7.2)",
                             error_action::none, false};
     // RFC 7607 §2: AS 0 makes the AS_PATH malformed (RFC 7606 §7.2: treat-as-withdraw).
     if (has_as_zero(path))
       return attr_fault{sub::malformed_as_path, "AS 0 in the path (RFC 7607 §2, RFC 7606 §7.2)",
                         error_action::none, false};
     m.attrs.path = std::move(path);
     return std::nullopt;
   },
   [](writer& w, const descriptor& d, const path_attributes& a, const session_context& ctx) {
     // RFC 6793 §4.2.2: toward a two-octet speaker, ASes above 65535 become AS_TRANS.
     if (a.path) put_path_attr(w, d, *a.path, ctx.four_octet_as, false);
   }},
  {code::next_hop, "NEXT_HOP", well_known, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 7606 §7.3
   [](byte_view v, update_message& m, const session_context&) -> fault {
     if (v.size() != 4) return length_fault(v.size(), "4", "RFC 7606 §7.3");
     const std::uint32_t nh = u32_at(v, 0);
     // RFC 4271 §6.3: a next hop must be a valid host address: not 0.0.0.0, not
     // multicast (224/4) and not limited broadcast.
     if (nh == 0 || (nh >> 28) == 0xE || nh == 0xFFFFFFFF)
       return attr_fault{sub::invalid_next_hop_attribute,
                         "NEXT_HOP " + ip_address::v4(nh).to_string() +
                             " is not a valid host address (RFC 4271 §6.3, RFC 7606 §7.3)"};
     m.attrs.next_hop = ip_address::v4(nh);
     return std::nullopt;
   },
   [](writer& w, const descriptor& d, const path_attributes& a, const session_context&) {
     if (!a.next_hop) return;
     put_header(w, d, 4);
     w.u32(a.next_hop->v4_host_order());
   }},
  {code::multi_exit_disc, "MULTI_EXIT_DISC", opt_non_transitive, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 7606 §7.4
   [](byte_view v, update_message& m, const session_context&) -> fault {
     if (v.size() != 4) return length_fault(v.size(), "4", "RFC 7606 §7.4");
     m.attrs.med = u32_at(v, 0);
     return std::nullopt;
   },
   encode_u32<&path_attributes::med>},
  {code::local_pref, "LOCAL_PREF", well_known, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 7606 §7.5
   [](byte_view v, update_message& m, const session_context& ctx) -> fault {
     if (ctx.ebgp) return discarded("LOCAL_PREF from an external peer discarded (RFC 7606 §7.5)");
     if (v.size() != 4) return length_fault(v.size(), "4", "RFC 7606 §7.5");
     m.attrs.local_pref = u32_at(v, 0);
     return std::nullopt;
   },
   encode_u32<&path_attributes::local_pref>},
  {code::atomic_aggregate, "ATOMIC_AGGREGATE", well_known, error_action::attribute_discard, error_action::treat_as_withdraw,  // RFC 7606 §7.6
   [](byte_view v, update_message& m, const session_context&) -> fault {
     if (!v.empty()) return length_fault(v.size(), "0", "RFC 7606 §7.6");
     m.attrs.atomic_aggregate = true;
     return std::nullopt;
   },
   [](writer& w, const descriptor& d, const path_attributes& a, const session_context&) {
     if (a.atomic_aggregate) put_header(w, d, 0);
   }},
  {code::aggregator, "AGGREGATOR", opt_transitive, error_action::attribute_discard, error_action::treat_as_withdraw,  // RFC 7606 §7.7
   [](byte_view v, update_message& m, const session_context& ctx) -> fault {
     const std::size_t want = ctx.four_octet_as ? 8 : 6;
     if (v.size() != want) return length_fault(v.size(), ctx.four_octet_as ? "8" : "6", "RFC 7606 §7.7");
     aggregator_info a;
     a.as = ctx.four_octet_as ? u32_at(v, 0) : load_u16(v.data());
     a.address = u32_at(v, want - 4);
     if (a.as == 0)
       return attr_fault{sub::optional_attribute_error, "AGGREGATOR with AS 0 (RFC 7607 §2)"};
     m.attrs.aggregator = a;
     return std::nullopt;
   },
   [](writer& w, const descriptor& d, const path_attributes& a, const session_context& ctx) {
     if (!a.aggregator) return;
     put_header(w, d, ctx.four_octet_as ? 8 : 6);
     if (ctx.four_octet_as)
       w.u32(a.aggregator->as);
     else  // RFC 6793 §4.2.2
       w.u16(static_cast<std::uint16_t>(a.aggregator->as > 0xFFFF ? iana::as_trans : a.aggregator->as));
     w.u32(a.aggregator->address);
   }},
  {code::communities, "COMMUNITIES", opt_transitive, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 7606 §7.8
   [](byte_view v, update_message& m, const session_context&) -> fault {
     if (v.empty() || v.size() % 4 != 0)
       return length_fault(v.size(), "a non-zero multiple of 4", "RFC 7606 §7.8");
     m.attrs.communities.reserve(v.size() / 4);
     for (std::size_t i = 0; i < v.size(); i += 4) m.attrs.communities.push_back(u32_at(v, i));
     return std::nullopt;
   },
   encode_items<&path_attributes::communities, 4>},
  {code::originator_id, "ORIGINATOR_ID", opt_non_transitive, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 7606 §7.9
   [](byte_view v, update_message& m, const session_context& ctx) -> fault {
     if (ctx.ebgp) return discarded("ORIGINATOR_ID from an external peer discarded (RFC 7606 §7.9)");
     if (v.size() != 4) return length_fault(v.size(), "4", "RFC 7606 §7.9");
     m.attrs.originator_id = u32_at(v, 0);
     return std::nullopt;
   },
   encode_u32<&path_attributes::originator_id>},
  {code::cluster_list, "CLUSTER_LIST", opt_non_transitive, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 7606 §7.10
   [](byte_view v, update_message& m, const session_context& ctx) -> fault {
     if (ctx.ebgp) return discarded("CLUSTER_LIST from an external peer discarded (RFC 7606 §7.10)");
     if (v.empty() || v.size() % 4 != 0)
       return length_fault(v.size(), "a non-zero multiple of 4", "RFC 7606 §7.10");
     for (std::size_t i = 0; i < v.size(); i += 4) m.attrs.cluster_list.push_back(u32_at(v, i));
     return std::nullopt;
   },
   encode_items<&path_attributes::cluster_list, 4>},
  {code::mp_reach_nlri, "MP_REACH_NLRI", opt_non_transitive, error_action::afi_safi_disable, error_action::afi_safi_disable,  // RFC 7606 §7.11, §5.3
   decode_mp_reach,
   nullptr},
  {code::mp_unreach_nlri, "MP_UNREACH_NLRI", opt_non_transitive, error_action::afi_safi_disable, error_action::afi_safi_disable,  // RFC 7606 §7.11, §5.3
   decode_mp_unreach,
   nullptr},
  {code::extended_communities, "EXTENDED_COMMUNITIES", opt_transitive, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 7606 §7.14
   [](byte_view v, update_message& m, const session_context&) -> fault {
     if (v.empty() || v.size() % 8 != 0)
       return length_fault(v.size(), "a non-zero multiple of 8", "RFC 7606 §7.14");
     for (std::size_t i = 0; i < v.size(); i += 8)
       m.attrs.extended_communities.push_back((std::uint64_t{u32_at(v, i)} << 32) | u32_at(v, i + 4));
     return std::nullopt;
   },
   encode_items<&path_attributes::extended_communities, 8>},
  {code::as4_path, "AS4_PATH", opt_transitive, error_action::attribute_discard, error_action::attribute_discard,  // RFC 6793 §6, RFC 7606 §7.12
   [](byte_view v, update_message& m, const session_context& ctx) -> fault {
     // RFC 6793 §6: never carried between four-octet speakers; discarded if it is.
     if (ctx.four_octet_as) return discarded("AS4_PATH from a four-octet AS speaker discarded (RFC 6793 §6)");
     as_path path;
     if (v.empty())  // RFC 7606 §4: only AS_PATH and ATOMIC_AGGREGATE may be empty
       return attr_fault{sub::optional_attribute_error, "empty AS4_PATH (RFC 7606 §4, RFC 6793 §6)",
                         error_action::none, false};
     if (auto f = parse_path(v, 4, path, sub::optional_attribute_error, "RFC 6793 §6")) return f;
     // RFC 7607 §2: AS 0 makes it malformed, handled as RFC 6793 §6 says (discarded).
     if (has_as_zero(path))
       return attr_fault{sub::optional_attribute_error, "AS 0 in AS4_PATH (RFC 7607 §2, RFC 6793 §6)",
                         error_action::none, false};
     // RFC 6793 §6: confederation segments are dropped, the rest is used.
     const bool dropped = std::erase_if(path, confed) > 0;
     m.attrs.as4_path = std::move(path);
     if (dropped) return discarded("confederation segments dropped from AS4_PATH (RFC 6793 §6)");
     return std::nullopt;
   },
   [](writer& w, const descriptor& d, const path_attributes& a, const session_context& ctx) {
     // RFC 6793 §4.2.2: toward a two-octet speaker the real path travels here, without
     // confederation segments, unless the attributes already carry one.
     if (a.as4_path)
       put_path_attr(w, d, *a.as4_path, true, false);
     else if (!ctx.four_octet_as && a.path && has_four_octet_asn(*a.path))
       put_path_attr(w, d, *a.path, true, true);
   }},
  {code::as4_aggregator, "AS4_AGGREGATOR", opt_transitive, error_action::attribute_discard, error_action::attribute_discard,  // RFC 6793 §6, RFC 7606 §7.12
   [](byte_view v, update_message& m, const session_context& ctx) -> fault {
     if (ctx.four_octet_as) return discarded("AS4_AGGREGATOR from a four-octet AS speaker discarded (RFC 6793 §6)");
     if (v.size() != 8)
       return attr_fault{sub::optional_attribute_error,
                         "length " + std::to_string(v.size()) + ", expected 8 (RFC 6793 §6)"};
     if (u32_at(v, 0) == 0)
       return attr_fault{sub::optional_attribute_error, "AS4_AGGREGATOR with AS 0 (RFC 7607 §2, RFC 6793 §6)"};
     m.attrs.as4_aggregator = aggregator_info{u32_at(v, 0), u32_at(v, 4)};
     return std::nullopt;
   },
   [](writer& w, const descriptor& d, const path_attributes& a, const session_context& ctx) {
     const aggregator_info* agg = a.as4_aggregator ? &*a.as4_aggregator : nullptr;
     if (!agg && !ctx.four_octet_as && a.aggregator && a.aggregator->as > 0xFFFF) agg = &*a.aggregator;  // RFC 6793 §4.2.2
     if (!agg) return;
     put_header(w, d, 8);
     w.u32(agg->as);
     w.u32(agg->address);
   }},
  {code::large_community, "LARGE_COMMUNITY", opt_transitive, error_action::treat_as_withdraw, error_action::treat_as_withdraw,  // RFC 8092 §6
   [](byte_view v, update_message& m, const session_context&) -> fault {
     if (v.empty() || v.size() % 12 != 0)
       return length_fault(v.size(), "a non-zero multiple of 12", "RFC 8092 §6");
     auto& out = m.attrs.large_communities;
     for (std::size_t i = 0; i < v.size(); i += 12)
       out.push_back({u32_at(v, i), u32_at(v, i + 4), u32_at(v, i + 8)});
     remove_repeats(out);  // RFC 8092 §3: silently, and not an error (§6)
     return std::nullopt;
   },
   encode_items<&path_attributes::large_communities, 12>},
}};
// clang-format on

const descriptor* find_descriptor(std::uint8_t c) {
  for (const auto& d : table)
    if (d.code == c) return &d;
  return nullptr;
}

// ---- MP_REACH_NLRI / MP_UNREACH_NLRI, RFC 4760 §3 and §4
//
//  +---------------------------------------------------------+
//  | Address Family Identifier (2 octets)                    |
//  | Subsequent Address Family Identifier (1 octet)          |
//  | Length of Next Hop Network Address (1 octet)            |   (MP_REACH only)
//  | Network Address of Next Hop (variable)                  |   (MP_REACH only)
//  | Reserved (1 octet)                                      |   (MP_REACH only)
//  | Network Layer Reachability Information (variable)       |
//  +---------------------------------------------------------+

bool unicast(family f) { return f == ipv4_unicast || f == ipv6_unicast; }

// RFC 4271 §6.3: with Optional Attribute Error (3/9) the Data field is the erroneous
// attribute (type, length, value); Invalid Network Field (3/10) has no data.
attr_fault disable(family f, std::uint8_t subcode, std::string reason) {
  attr_fault a{subcode, std::move(reason), error_action::afi_safi_disable,
               subcode == sub::optional_attribute_error, f};
  return a;
}

fault decode_mp_reach(byte_view v, update_message& m, const session_context& ctx) {
  reader r(v);
  mp_reach reach;
  std::uint8_t nh_len = 0, reserved = 0;
  byte_view nh;
  if (!r.u16(reach.fam.afi) || !r.u8(reach.fam.safi))
    return attr_fault{sub::optional_attribute_error,
                      std::to_string(v.size()) + " octets, too short for AFI/SAFI (RFC 7606 §7.11)",
                      error_action::session_reset, true};
  if (!r.u8(nh_len) || !r.take(nh_len, nh) || !r.u8(reserved))
    return disable(reach.fam, sub::optional_attribute_error,
                   "next hop length " + std::to_string(nh_len) +
                       " overruns the attribute (RFC 7606 §7.11)");
  // RFC 4760 §3: the Reserved octet is ignored on receipt.
  const byte_view rest = r.rest();
  if (!unicast(reach.fam)) {
    reach.raw_next_hop.assign(nh.begin(), nh.end());
    reach.raw_nlri.assign(rest.begin(), rest.end());
    m.reach = std::move(reach);
    return std::nullopt;
  }
  // RFC 4760 §3 / RFC 2545 §3: IPv6 next hop is 16 octets, or 32 with a link-local
  // second; RFC 8950 §3 allows the same for IPv4 NLRI; IPv4 next hop is 4 octets.
  if (nh_len == 4 && reach.fam.afi == 1) {
    reach.next_hops.push_back(ip_address::v4(load_u32(nh.data())));
  } else if (nh_len == 16 || nh_len == 32) {
    std::array<std::uint8_t, 16> a{};
    std::copy_n(nh.begin(), 16, a.begin());
    reach.next_hops.push_back(ip_address::v6(a));
    if (nh_len == 32) {
      std::copy_n(nh.begin() + 16, 16, a.begin());
      reach.next_hops.push_back(ip_address::v6(a));
    }
  } else {
    return disable(reach.fam, sub::optional_attribute_error,
                   "next hop length " + std::to_string(nh_len) + " is not valid for " +
                       to_string(reach.fam) + " (RFC 7606 §7.11, RFC 4760 §3, RFC 8950 §3)");
  }
  std::string why;
  const afi a = reach.fam.afi == 1 ? afi::ipv4 : afi::ipv6;
  if (!decode_prefixes(rest, a, ctx.add_path(reach.fam), reach.routes, why))
    return disable(reach.fam, sub::invalid_network_field, why);
  m.reach = std::move(reach);
  return std::nullopt;
}

fault decode_mp_unreach(byte_view v, update_message& m, const session_context& ctx) {
  reader r(v);
  mp_unreach unreach;
  if (!r.u16(unreach.fam.afi) || !r.u8(unreach.fam.safi))
    return attr_fault{sub::optional_attribute_error,
                      std::to_string(v.size()) + " octets, too short for AFI/SAFI (RFC 7606 §7.11)",
                      error_action::session_reset, true};
  const byte_view rest = r.rest();
  if (!unicast(unreach.fam)) {
    unreach.raw_nlri.assign(rest.begin(), rest.end());
  } else {
    std::string why;
    const afi a = unreach.fam.afi == 1 ? afi::ipv4 : afi::ipv6;
    if (!decode_prefixes(rest, a, ctx.add_path(unreach.fam), unreach.routes, why))
      return disable(unreach.fam, sub::invalid_network_field, why);
  }
  m.unreach = std::move(unreach);
  return std::nullopt;
}

}  // namespace

void put_attribute_header(writer& w, std::uint8_t flags, std::uint8_t type, std::size_t length) {
  if (length > 255) {
    w.u8(static_cast<std::uint8_t>(flags | flag::extended_length));
    w.u8(type);
    w.u16(static_cast<std::uint16_t>(length));
  } else {
    w.u8(static_cast<std::uint8_t>(flags & ~flag::extended_length));
    w.u8(type);
    w.u8(static_cast<std::uint8_t>(length));
  }
}

void decode_attribute(std::uint8_t flags, std::uint8_t type, byte_view value, byte_view raw,
                      update_message& m, const session_context& ctx, error_sink& errors) {
  const descriptor* d = find_descriptor(type);
  const auto raw_bytes = [&] { return bytes(raw.begin(), raw.end()); };
  if (!d) {
    // RFC 4271 §6.3: an unrecognized well-known attribute is an error; an unknown
    // optional one is kept (transitive) or quietly ignored when passing it on.
    if (!(flags & flag::optional)) {
      errors.add(make_error(iana::error_code::update_message, sub::unrecognized_well_known_attribute,
                            error_action::session_reset,
                            "unrecognized well-known attribute type " + std::to_string(type) +
                                " (RFC 4271 §6.3)",
                            raw_bytes()));
      return;
    }
    // RFC 4271 §4.3: the low four flag bits are unused, sent as zero and ignored on
    // receipt; the Extended Length bit is a matter of encoding.
    m.attrs.unknown.push_back(unknown_attribute{
        static_cast<std::uint8_t>(flags & (flag::optional | flag::transitive | flag::partial)), type,
        bytes(value.begin(), value.end())});
    return;
  }
  if ((flags & (flag::optional | flag::transitive)) != d->flags) {
    decode_error e = make_error(iana::error_code::update_message, sub::attribute_flags_error, d->on_flags,
                                std::string(d->name) + " flags 0x" + "0123456789abcdef"[flags >> 4] +
                                    "0123456789abcdef"[flags & 15] + " conflict with its type (RFC 7606 §3(c))",
                                raw_bytes());
    // RFC 7606 §5.3: MP_REACH_NLRI / MP_UNREACH_NLRI with flags other than RFC 4760's
    // disable their family, or reset the session when even that cannot be read.
    if (e.action == error_action::afi_safi_disable) {
      e.reason += " (RFC 7606 §5.3)";
      if (value.size() >= 3) e.afi_safi = family{load_u16(value.data()), value[2]};
      else e.action = error_action::session_reset;
    }
    errors.add(std::move(e));
    return;
  }
  fault f = d->decode(value, m, ctx);
  if (!f) return;
  decode_error e = make_error(iana::error_code::update_message, f->subcode,
                              f->action == error_action::none ? d->on_malformed : f->action,
                              std::string(d->name) + ": " + f->reason,
                              f->with_data ? raw_bytes() : bytes{});
  e.afi_safi = f->fam;
  errors.add(std::move(e));
}

void encode_path_attributes(writer& w, const path_attributes& a, const session_context& ctx) {
  // Known attributes in the table's (ascending) type order, with the unknown ones merged
  // in by type: non-transitive ones are not passed on (RFC 4271 §5), transitive ones get
  // the Partial bit.
  std::vector<const unknown_attribute*> unknown;
  for (const auto& u : a.unknown)
    if (u.flags & flag::transitive) unknown.push_back(&u);
  std::stable_sort(unknown.begin(), unknown.end(), [](const auto* x, const auto* y) { return x->code < y->code; });
  auto next_unknown = unknown.begin();
  const auto flush_unknown_below = [&](unsigned limit) {
    for (; next_unknown != unknown.end() && (*next_unknown)->code < limit; ++next_unknown) {
      const auto& u = **next_unknown;
      put_attribute_header(w, static_cast<std::uint8_t>(u.flags | flag::partial), u.code, u.value.size());
      w.put(u.value);
    }
  };
  for (const auto& d : table) {
    if (!d.encode) continue;
    flush_unknown_below(d.code);
    d.encode(w, d, a, ctx);
  }
  flush_unknown_below(256);
}

void encode_mp_reach(writer& w, const mp_reach& r, const session_context& ctx) {
  put_attr(w, opt_non_transitive, code::mp_reach_nlri, [&] {
    w.u16(r.fam.afi);
    w.u8(r.fam.safi);
    if (unicast(r.fam)) {
      const std::size_t len_at = w.placeholder(1);
      for (const auto& nh : r.next_hops) w.put(nh.octets.data(), nh.size());
      w.patch_u8(len_at, static_cast<std::uint8_t>(w.size() - len_at - 1));
      w.u8(0);  // Reserved
      const bool add_path = ctx.add_path(r.fam);
      for (const auto& n : r.routes) encode_prefix(w, n, add_path);
    } else {
      w.u8(static_cast<std::uint8_t>(r.raw_next_hop.size()));
      w.put(r.raw_next_hop);
      w.u8(0);
      w.put(r.raw_nlri);
    }
  });
}

void encode_mp_unreach(writer& w, const mp_unreach& u, const session_context& ctx) {
  put_attr(w, opt_non_transitive, code::mp_unreach_nlri, [&] {
    w.u16(u.fam.afi);
    w.u8(u.fam.safi);
    if (unicast(u.fam)) {
      const bool add_path = ctx.add_path(u.fam);
      for (const auto& n : u.routes) encode_prefix(w, n, add_path);
    } else {
      w.put(u.raw_nlri);
    }
  });
}

}  // namespace bgp::codec
