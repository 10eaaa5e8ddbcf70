// IP addresses, CIDR prefixes and inclusive address ranges as small values. IPv4 and IPv6
// share one 128-bit representation so the allocator walks both with the same arithmetic.
// Parsing accepts what Go's net.ParseIP / net.ParseCIDR accept (MetalLB and Kubernetes
// validate with them): dotted quad without leading zeros, RFC 4291 text for IPv6.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace model {

__extension__ using uint128 = unsigned __int128;

enum class ip_family : std::uint8_t { v4, v6 };

std::string_view to_string(ip_family f);

class ip_address {
 public:
  constexpr ip_address() = default;
  static constexpr ip_address v4(std::uint32_t value) { return {ip_family::v4, value}; }
  static constexpr ip_address v6(uint128 value) { return {ip_family::v6, value}; }
  static std::optional<ip_address> parse(std::string_view text);

  constexpr ip_family family() const { return family_; }
  constexpr uint128 value() const { return (static_cast<uint128>(hi_) << 64) | lo_; }
  constexpr unsigned bits() const { return family_ == ip_family::v4 ? 32 : 128; }
  std::string to_string() const;

  friend constexpr auto operator<=>(const ip_address&, const ip_address&) = default;

 private:
  constexpr ip_address(ip_family f, uint128 v)
      : family_(f), hi_(static_cast<std::uint64_t>(v >> 64)), lo_(static_cast<std::uint64_t>(v)) {}
  ip_family family_ = ip_family::v4;
  // The value in two halves (compared high first, as the value): aligned to 8, not to 16
  // as a 128-bit integer is, an address takes 24 bytes instead of 32, and every object,
  // prefix and route that holds one is smaller (docs/memory.md).
  std::uint64_t hi_ = 0;
  std::uint64_t lo_ = 0;
};
static_assert(sizeof(ip_address) == 24 && alignof(ip_address) == 8);

// Largest value of a family (255.255.255.255 or ffff:...:ffff).
uint128 max_value(ip_family f);

// A prefix; the address is stored with host bits cleared, as net.ParseCIDR returns it.
class cidr {
 public:
  cidr() = default;
  cidr(ip_address network, unsigned prefix_length);
  static std::optional<cidr> parse(std::string_view text);

  ip_address network() const { return network_; }
  unsigned prefix_length() const { return length_; }
  ip_family family() const { return network_.family(); }
  ip_address first() const { return network_; }
  ip_address last() const;
  bool contains(ip_address a) const;
  std::string to_string() const;

  friend auto operator<=>(const cidr&, const cidr&) = default;

 private:
  ip_address network_;
  unsigned length_ = 0;
};

// Inclusive range first..last of one family. Pools hold their addresses as ranges: a CIDR
// is the range of its addresses, "a-b" is written as such.
class ip_range {
 public:
  ip_range() = default;
  ip_range(ip_address first, ip_address last) : first_(first), last_(last) {}
  explicit ip_range(const cidr& c) : first_(c.first()), last_(c.last()) {}

  ip_address first() const { return first_; }
  ip_address last() const { return last_; }
  ip_family family() const { return first_.family(); }
  bool contains(ip_address a) const { return first_ <= a && a <= last_; }
  bool overlaps(const ip_range& o) const { return first_ <= o.last_ && o.first_ <= last_; }
  // Number of addresses, saturated at INT64_MAX (MetalLB reports MaxInt64 for /62+ v6).
  std::int64_t size() const;
  // Longest prefix length whose block covers the whole range's alignment: the smallest
  // prefix length among the CIDRs that exactly cover it (a /24 written as a range gives 24).
  unsigned shortest_prefix() const;

  friend auto operator<=>(const ip_range&, const ip_range&) = default;

 private:
  ip_address first_;
  ip_address last_;
};

// Parse a pool address entry: "10.0.0.0/24" or "10.0.0.1-10.0.0.9" (spaces around '-'
// allowed). On failure returns the rule broken, for the caller to wrap with file/path.
struct range_parse {
  std::optional<ip_range> range;
  std::optional<cidr> prefix;  // set when the entry was written as a CIDR
  std::string error;
};
range_parse parse_pool_addresses(std::string_view text);

// Next address of the same family; wraps at the end (callers check against range ends).
ip_address next(ip_address a);

// IPv4 x.y.z.0 and x.y.z.255: the addresses MetalLB's avoidBuggyIPs skips.
bool is_buggy_firmware_address(ip_address a);

}  // namespace model
