// Parsing and arithmetic of model::ip_address, cidr and ip_range.
#include "model/ip.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace model {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

uint128 host_mask(ip_family f, unsigned prefix) {
  const unsigned bits = f == ip_family::v4 ? 32 : 128;
  if (prefix >= bits) return 0;
  const unsigned host_bits = bits - prefix;
  return host_bits == 128 ? ~uint128{0} : (uint128{1} << host_bits) - 1;
}

}  // namespace

std::string_view to_string(ip_family f) { return f == ip_family::v4 ? "IPv4" : "IPv6"; }

uint128 max_value(ip_family f) {
  return f == ip_family::v4 ? uint128{0xffffffffu} : ~uint128{0};
}

std::optional<ip_address> ip_address::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  if (s.find(':') == std::string::npos) {
    std::array<unsigned char, 4> b{};
    if (inet_pton(AF_INET, s.c_str(), b.data()) != 1) return std::nullopt;
    return v4((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
              (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]});
  }
  std::array<unsigned char, 16> b{};
  if (inet_pton(AF_INET6, s.c_str(), b.data()) != 1) return std::nullopt;
  uint128 v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return v6(v);
}

std::string ip_address::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (family_ == ip_family::v4) {
    std::array<unsigned char, 4> b{};
    for (int i = 0; i < 4; ++i) b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(value() >> (24 - 8 * i));
    inet_ntop(AF_INET, b.data(), out.data(), out.size());
  } else {
    std::array<unsigned char, 16> b{};
    for (int i = 0; i < 16; ++i) b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(value() >> (120 - 8 * i));
    inet_ntop(AF_INET6, b.data(), out.data(), out.size());
  }
  return out.data();
}

ip_address next(ip_address a) {
  const uint128 v = a.value() == max_value(a.family()) ? 0 : a.value() + 1;
  return a.family() == ip_family::v4 ? ip_address::v4(static_cast<std::uint32_t>(v)) : ip_address::v6(v);
}

bool is_buggy_firmware_address(ip_address a) {
  if (a.family() != ip_family::v4) return false;
  const auto last_octet = static_cast<unsigned>(a.value() & 0xff);
  return last_octet == 0 || last_octet == 255;
}

cidr::cidr(ip_address network, unsigned prefix_length) : length_(prefix_length) {
  const uint128 v = network.value() & ~host_mask(network.family(), prefix_length);
  network_ = network.family() == ip_family::v4 ? ip_address::v4(static_cast<std::uint32_t>(v))
                                                : ip_address::v6(v);
}

std::optional<cidr> cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto addr = ip_address::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const auto len_text = text.substr(slash + 1);
  unsigned len = 0;
  const auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc{} || ptr != len_text.data() + len_text.size() || len_text.empty() ||
      (len_text.size() > 1 && len_text.front() == '0') || len > addr->bits()) {
    return std::nullopt;
  }
  return cidr(*addr, len);
}

ip_address cidr::last() const {
  const uint128 v = network_.value() | host_mask(family(), length_);
  return family() == ip_family::v4 ? ip_address::v4(static_cast<std::uint32_t>(v)) : ip_address::v6(v);
}

bool cidr::contains(ip_address a) const {
  return a.family() == family() && network_ <= a && a <= last();
}

std::string cidr::to_string() const { return network_.to_string() + "/" + std::to_string(length_); }

std::int64_t ip_range::size() const {
  const uint128 n = last_.value() - first_.value();
  constexpr auto cap = static_cast<uint128>(std::numeric_limits<std::int64_t>::max());
  if (n >= cap) return std::numeric_limits<std::int64_t>::max();
  return static_cast<std::int64_t>(n + 1);
}

unsigned ip_range::shortest_prefix() const {
  const unsigned bits = first_.bits();
  unsigned best = bits;
  uint128 cur = first_.value();
  const uint128 end = last_.value();
  while (true) {
    unsigned len = bits;
    while (len > 0) {
      const uint128 mask = host_mask(family(), len - 1);
      if ((cur & mask) != 0 || (cur | mask) > end) break;
      --len;
    }
    best = std::min(best, len);
    const uint128 block_last = cur | host_mask(family(), len);
    if (block_last >= end) break;
    cur = block_last + 1;
  }
  return best;
}

range_parse parse_pool_addresses(std::string_view text) {
  range_parse out;
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    const auto c = cidr::parse(trim(text));
    if (!c) {
      out.error = "invalid CIDR \"" + std::string(text) + "\"";
      return out;
    }
    out.prefix = c;
    out.range = ip_range(*c);
    return out;
  }
  const auto a = ip_address::parse(trim(text.substr(0, dash)));
  const auto b = ip_address::parse(trim(text.substr(dash + 1)));
  if (!a || !b) {
    out.error = "invalid IP range \"" + std::string(text) + "\": " +
                (!a ? "start" : "end") + " is not an IP address";
    return out;
  }
  if (a->family() != b->family()) {
    out.error = "invalid IP range \"" + std::string(text) + "\": start and end are of different families";
    return out;
  }
  if (*b < *a) {
    out.error = "invalid IP range \"" + std::string(text) + "\": start IP " + a->to_string() +
                " is after the end IP " + b->to_string();
    return out;
  }
  out.range = ip_range(*a, *b);
  return out;
}

}  // namespace model
