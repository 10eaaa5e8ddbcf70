// Text forms and constructors of the plain value types in types.hpp.
#include <bgp/types.hpp>

#include <arpa/inet.h>
#include <charconv>
#include <cstring>

namespace bgp {

std::string to_string(family f) {
  if (f == ipv4_unicast) return "ipv4-unicast";
  if (f == ipv6_unicast) return "ipv6-unicast";
  return "afi-" + std::to_string(f.afi) + "-safi-" + std::to_string(f.safi);
}

ip_address ip_address::v4(std::uint32_t host_order) {
  ip_address a;
  a.family = afi::ipv4;
  a.octets[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.octets[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.octets[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.octets[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

ip_address ip_address::v6(const std::array<std::uint8_t, 16>& network_order) {
  ip_address a;
  a.family = afi::ipv6;
  a.octets = network_order;
  return a;
}

std::uint32_t ip_address::v4_host_order() const {
  return (std::uint32_t{octets[0]} << 24) | (std::uint32_t{octets[1]} << 16) |
         (std::uint32_t{octets[2]} << 8) | std::uint32_t{octets[3]};
}

std::optional<ip_address> ip_address::parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  ip_address a;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, a.octets.data()) != 1) return std::nullopt;
    a.family = afi::ipv4;
  } else {
    if (inet_pton(AF_INET6, buf, a.octets.data()) != 1) return std::nullopt;
    a.family = afi::ipv6;
  }
  return a;
}

std::string ip_address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  const char* s = inet_ntop(is_v4() ? AF_INET : AF_INET6, octets.data(), buf, sizeof buf);
  return s ? std::string(s) : std::string("?");
}

prefix prefix::make(const ip_address& a, std::uint8_t len) {
  prefix p;
  p.address = a;
  const std::uint8_t max = a.is_v4() ? 32 : 128;
  p.length = len > max ? max : len;
  const std::size_t full = p.length / 8;
  const unsigned rem = p.length % 8;
  std::size_t i = full;
  if (rem != 0 && i < 16) {
    p.address.octets[i] &= static_cast<std::uint8_t>(0xFF00u >> rem);
    ++i;
  }
  for (; i < 16; ++i) p.address.octets[i] = 0;
  return p;
}

std::optional<prefix> prefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto addr = ip_address::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const unsigned max = addr->is_v4() ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || len > max)
      return std::nullopt;
  }
  return make(*addr, static_cast<std::uint8_t>(len));
}

std::string prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

}  // namespace bgp
