// Plain value types shared by the whole BGP library: byte buffers, address families,
// IP addresses, prefixes and NLRI entries. No I/O, no allocation beyond std containers.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bgp {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

// Address Family Identifier (IANA "Address Family Numbers") and Subsequent AFI
// (IANA "SAFI Values"); only the ones bgplb routes are named, others pass through.
enum class afi : std::uint16_t { ipv4 = 1, ipv6 = 2 };

struct family {
  std::uint16_t afi = 0;
  std::uint8_t safi = 0;
  friend constexpr auto operator<=>(const family&, const family&) = default;
};

inline constexpr family ipv4_unicast{1, 1};
inline constexpr family ipv6_unicast{2, 1};

// "ipv4-unicast", "ipv6-unicast", or "afi-N-safi-M" for anything else.
std::string to_string(family f);

// An IPv4 or IPv6 address in network byte order; IPv4 uses the first 4 bytes and
// leaves the rest zero, so equality and ordering are plain byte comparisons.
struct ip_address {
  afi family = afi::ipv4;
  std::array<std::uint8_t, 16> octets{};

  static ip_address v4(std::uint32_t host_order);
  static ip_address v6(const std::array<std::uint8_t, 16>& network_order);
  // Accepts dotted quad or any RFC 4291 text form; nullopt on anything else.
  static std::optional<ip_address> parse(std::string_view text);

  bool is_v4() const { return family == afi::ipv4; }
  std::size_t size() const { return is_v4() ? 4 : 16; }
  std::uint32_t v4_host_order() const;
  std::string to_string() const;  // inet_ntop form

  friend auto operator<=>(const ip_address&, const ip_address&) = default;
};

// An IP prefix; host bits beyond `length` are always zero (constructors mask them).
struct prefix {
  ip_address address;
  std::uint8_t length = 0;

  static prefix make(const ip_address& a, std::uint8_t len);  // masks host bits
  // "a.b.c.d/n" or "x::y/n"; a bare address means a host route. nullopt on error.
  static std::optional<prefix> parse(std::string_view text);
  std::string to_string() const;
  bool is_v4() const { return address.is_v4(); }
  std::uint8_t max_length() const { return is_v4() ? 32 : 128; }

  friend auto operator<=>(const prefix&, const prefix&) = default;
};

// One NLRI entry. `path_id` is meaningful only when ADD-PATH (RFC 7911) is in force
// for the family in the direction being coded; otherwise it is 0 and not on the wire.
struct nlri {
  prefix route;
  std::uint32_t path_id = 0;
  friend auto operator<=>(const nlri&, const nlri&) = default;
};

}  // namespace bgp
