// Typed BGP messages (RFC 4271 §4, RFC 2918, RFC 7313) with their capabilities
// (RFC 5492) and path attributes. These are plain values: the codec turns them into
// bytes and back (codec.hpp); equality is member-wise.
#pragma once

#include <bgp/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bgp {

// ---------------------------------------------------------------- capabilities

struct cap_multiprotocol {  // code 1, RFC 4760 §8
  family fam;
  friend bool operator==(const cap_multiprotocol&, const cap_multiprotocol&) = default;
};

struct cap_route_refresh {  // code 2 (RFC 2918) or 128 (pre-standard); empty value
  std::uint8_t code = 2;
  friend bool operator==(const cap_route_refresh&, const cap_route_refresh&) = default;
};

struct cap_enhanced_route_refresh {  // code 70, RFC 7313; empty value
  friend bool operator==(const cap_enhanced_route_refresh&,
                         const cap_enhanced_route_refresh&) = default;
};

struct cap_extended_message {  // code 6, RFC 8654; empty value
  friend bool operator==(const cap_extended_message&, const cap_extended_message&) = default;
};

struct cap_extended_next_hop {  // code 5, RFC 8950 §3
  struct entry {
    std::uint16_t nlri_afi = 0;
    std::uint16_t nlri_safi = 0;  // two octets on the wire here
    std::uint16_t next_hop_afi = 0;
    friend bool operator==(const entry&, const entry&) = default;
  };
  std::vector<entry> entries;
  friend bool operator==(const cap_extended_next_hop&, const cap_extended_next_hop&) = default;
};

struct cap_graceful_restart {  // code 64, RFC 4724 §3 (+ N bit, RFC 8538)
  struct entry {
    family fam;
    bool forwarding_preserved = false;
    friend bool operator==(const entry&, const entry&) = default;
  };
  bool restarting = false;    // R bit
  bool notification = false;  // N bit
  std::uint16_t restart_time = 0;  // 12 bits, seconds
  std::vector<entry> entries;
  friend bool operator==(const cap_graceful_restart&, const cap_graceful_restart&) = default;
};

struct cap_four_octet_as {  // code 65, RFC 6793 §3
  std::uint32_t as = 0;
  friend bool operator==(const cap_four_octet_as&, const cap_four_octet_as&) = default;
};

struct cap_add_path {  // code 69, RFC 7911 §4
  enum class direction : std::uint8_t { receive = 1, send = 2, both = 3 };
  struct entry {
    family fam;
    direction dir = direction::both;
    friend bool operator==(const entry&, const entry&) = default;
  };
  std::vector<entry> entries;
  friend bool operator==(const cap_add_path&, const cap_add_path&) = default;
};

struct cap_fqdn {  // code 73, draft-walton-bgp-hostname-capability (FRR's "hostname")
  std::string hostname;
  std::string domain;
  friend bool operator==(const cap_fqdn&, const cap_fqdn&) = default;
};

struct cap_unknown {  // any other code, kept as opaque bytes
  std::uint8_t code = 0;
  bytes value;
  friend bool operator==(const cap_unknown&, const cap_unknown&) = default;
};

using capability =
    std::variant<cap_multiprotocol, cap_route_refresh, cap_enhanced_route_refresh,
                 cap_extended_message, cap_extended_next_hop, cap_graceful_restart,
                 cap_four_octet_as, cap_add_path, cap_fqdn, cap_unknown>;

std::uint8_t capability_code(const capability& c);

// ---------------------------------------------------------------- messages

struct open_message {  // RFC 4271 §4.2
  std::uint8_t version = 4;
  std::uint16_t my_as = 0;  // AS_TRANS when the real AS needs four octets
  std::uint16_t hold_time = 0;
  std::uint32_t bgp_id = 0;  // host byte order
  std::vector<capability> capabilities;

  // The speaker's AS: the four-octet AS capability when present, else my_as.
  std::uint32_t effective_as() const;
  template <class T>
  const T* find() const {
    for (const auto& c : capabilities)
      if (const T* p = std::get_if<T>(&c)) return p;
    return nullptr;
  }
  friend bool operator==(const open_message&, const open_message&) = default;
};

enum class origin_type : std::uint8_t { igp = 0, egp = 1, incomplete = 2 };

enum class segment_type : std::uint8_t {
  as_set = 1,
  as_sequence = 2,
  confed_sequence = 3,
  confed_set = 4,
};

struct path_segment {
  segment_type type = segment_type::as_sequence;
  std::vector<std::uint32_t> asns;
  friend bool operator==(const path_segment&, const path_segment&) = default;
};

using as_path = std::vector<path_segment>;

struct aggregator_info {
  std::uint32_t as = 0;
  std::uint32_t address = 0;  // IPv4, host byte order
  friend bool operator==(const aggregator_info&, const aggregator_info&) = default;
};

struct large_community {  // RFC 8092
  std::uint32_t global_admin = 0;
  std::uint32_t local_data1 = 0;
  std::uint32_t local_data2 = 0;
  friend auto operator<=>(const large_community&, const large_community&) = default;
};

struct unknown_attribute {
  std::uint8_t flags = 0;  // Optional, Transitive and Partial bits as received
  std::uint8_t code = 0;
  bytes value;
  friend bool operator==(const unknown_attribute&, const unknown_attribute&) = default;
};

// The attribute set of a route, without the per-message MP_REACH/MP_UNREACH.
// An absent optional means the attribute is not in the message.
struct path_attributes {
  std::optional<origin_type> origin;
  std::optional<as_path> path;                // AS_PATH (may be present and empty)
  std::optional<ip_address> next_hop;         // NEXT_HOP (IPv4)
  std::optional<std::uint32_t> med;           // MULTI_EXIT_DISC
  std::optional<std::uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::optional<aggregator_info> aggregator;
  std::vector<std::uint32_t> communities;     // RFC 1997; empty = absent
  std::optional<std::uint32_t> originator_id; // RFC 4456, host byte order
  std::vector<std::uint32_t> cluster_list;    // RFC 4456; empty = absent
  std::vector<std::uint64_t> extended_communities;  // RFC 4360; empty = absent
  std::optional<as_path> as4_path;            // RFC 6793
  std::optional<aggregator_info> as4_aggregator;
  std::vector<large_community> large_communities;   // RFC 8092; empty = absent
  std::vector<unknown_attribute> unknown;     // in wire order (encoded in type order)

  friend bool operator==(const path_attributes&, const path_attributes&) = default;
};

// MP_REACH_NLRI, RFC 4760 §3. For IPv4/IPv6 unicast the next hop and NLRI are
// decoded into `next_hops` (global, then link-local) and `routes`; for any other
// AFI/SAFI they are kept opaque in `raw_next_hop` / `raw_nlri`.
struct mp_reach {
  family fam;
  std::vector<ip_address> next_hops;
  std::vector<nlri> routes;
  bytes raw_next_hop;
  bytes raw_nlri;
  friend bool operator==(const mp_reach&, const mp_reach&) = default;
};

struct mp_unreach {  // MP_UNREACH_NLRI, RFC 4760 §4
  family fam;
  std::vector<nlri> routes;
  bytes raw_nlri;
  friend bool operator==(const mp_unreach&, const mp_unreach&) = default;
};

struct update_message {  // RFC 4271 §4.3
  std::vector<nlri> withdrawn;  // IPv4 unicast
  path_attributes attrs;
  std::optional<mp_reach> reach;
  std::optional<mp_unreach> unreach;
  std::vector<nlri> routes;  // IPv4 unicast NLRI

  // RFC 4724 §2: an UPDATE with nothing in it (IPv4 unicast) or with only an empty
  // MP_UNREACH_NLRI (any other family) marks the End-of-RIB.
  std::optional<family> end_of_rib() const;
  friend bool operator==(const update_message&, const update_message&) = default;
};

struct notification_message {  // RFC 4271 §4.5
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  bytes data;

  // Cease / Administrative Shutdown or Reset carrying an RFC 9003 message.
  static notification_message cease(std::uint8_t subcode, std::string_view text);
  // The RFC 9003 shutdown communication, when this is Cease 2 or 4 and the data is a
  // well-formed length-prefixed UTF-8 string.
  std::optional<std::string> shutdown_message() const;
  friend bool operator==(const notification_message&, const notification_message&) = default;
};

struct keepalive_message {  // RFC 4271 §4.4
  friend bool operator==(const keepalive_message&, const keepalive_message&) = default;
};

struct route_refresh_message {  // RFC 2918 §3, RFC 7313 §3.2
  family fam;
  std::uint8_t subtype = 0;  // 0 normal, 1 BoRR, 2 EoRR; others are ignored by receivers
  friend bool operator==(const route_refresh_message&, const route_refresh_message&) = default;
};

using message = std::variant<open_message, update_message, notification_message,
                             keepalive_message, route_refresh_message>;

}  // namespace bgp
