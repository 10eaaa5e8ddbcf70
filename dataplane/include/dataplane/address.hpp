// IP addresses and prefixes as the dataplane stores them: 16 bytes, IPv4 mapped into
// IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), so both families share one key layout.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dataplane {

class address {
 public:
  address() = default;
  static address v4(std::uint32_t host_order);
  static address v6(const std::array<std::uint8_t, 16>& bytes);
  static std::optional<address> parse(std::string_view text);

  bool is_v4() const;
  int family() const { return is_v4() ? 4 : 6; }
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::string to_string() const;

  friend auto operator<=>(const address&, const address&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

// A prefix of either family; length counts bits of the family (0..32 or 0..128).
struct prefix {
  address addr;
  unsigned length = 0;

  static std::optional<prefix> parse(std::string_view text);  // "10.0.0.0/8", "2001:db8::/32"
  bool contains(const address& a) const;
  std::string to_string() const;
  friend auto operator<=>(const prefix&, const prefix&) = default;
};

}  // namespace dataplane
