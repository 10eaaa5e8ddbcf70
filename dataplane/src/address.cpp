// address and prefix parsing/formatting through inet_pton/inet_ntop.
#include "dataplane/address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace dataplane {

namespace {
constexpr std::array<std::uint8_t, 12> v4_mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}

address address::v4(std::uint32_t host_order) {
  address a;
  std::copy(v4_mapped.begin(), v4_mapped.end(), a.bytes_.begin());
  a.bytes_[12] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes_[13] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes_[14] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes_[15] = static_cast<std::uint8_t>(host_order);
  return a;
}

address address::v6(const std::array<std::uint8_t, 16>& bytes) {
  address a;
  a.bytes_ = bytes;
  return a;
}

std::optional<address> address::parse(std::string_view text) {
  std::string s(text);
  in_addr v4addr{};
  if (inet_pton(AF_INET, s.c_str(), &v4addr) == 1) return v4(ntohl(v4addr.s_addr));
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET6, s.c_str(), b.data()) == 1) return v6(b);
  return std::nullopt;
}

bool address::is_v4() const { return std::equal(v4_mapped.begin(), v4_mapped.end(), bytes_.begin()); }

std::string address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4())
    inet_ntop(AF_INET, bytes_.data() + 12, buf, sizeof buf);
  else
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<prefix> prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto a = address::parse(text.substr(0, slash));
  if (!a) return std::nullopt;
  unsigned max = a->is_v4() ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc{} || end != digits.data() + digits.size() || len > max) return std::nullopt;
  }
  prefix p{*a, len};
  // clear host bits, as net.ParseCIDR does
  std::array<std::uint8_t, 16> b = a->bytes();
  unsigned bits = len + (a->is_v4() ? 96 : 0);
  for (unsigned i = 0; i < 16; ++i) {
    unsigned keep = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - i * 8 : 0);
    b[i] &= static_cast<std::uint8_t>(keep == 8 ? 0xff : (0xff00 >> keep) & 0xff);
  }
  p.addr = address::v6(b);
  return p;
}

bool prefix::contains(const address& a) const {
  if (a.is_v4() != addr.is_v4()) return false;
  unsigned bits = length + (addr.is_v4() ? 96 : 0);
  for (unsigned i = 0; i < 16 && bits > 0; ++i) {
    unsigned n = bits >= 8 ? 8 : bits;
    std::uint8_t mask = static_cast<std::uint8_t>((0xff00 >> n) & 0xff);
    if ((a.bytes()[i] & mask) != (addr.bytes()[i] & mask)) return false;
    bits -= n;
  }
  return true;
}

std::string prefix::to_string() const { return addr.to_string() + "/" + std::to_string(length); }

}  // namespace dataplane
