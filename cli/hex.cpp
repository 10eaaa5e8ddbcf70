// Hex text <-> bytes for bgplbctl (see hex.hpp).
#include "hex.hpp"

#include <cstddef>
#include <string>

namespace bgplbctl {
namespace {

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\r' || c == ':'; }

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("byte 0x") + digits[u >> 4] + digits[u & 0xf];
}

}  // namespace

parsed_hex parse_hex(std::string_view text) {
  parsed_hex out;
  std::size_t start = 0;
  while (start < text.size() && is_separator(text[start])) ++start;
  if (text.size() - start >= 2 && text[start] == '0' &&
      (text[start + 1] == 'x' || text[start + 1] == 'X'))
    start += 2;

  int high = -1;
  std::size_t digits = 0;
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (is_separator(c)) continue;
    const int v = digit_value(c);
    if (v < 0) {
      out.error = "bad hex: unexpected " + describe_char(c) + " at offset " + std::to_string(i);
      out.data.clear();
      return out;
    }
    ++digits;
    if (high < 0) {
      high = v;
    } else {
      out.data.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (digits == 0) {
    out.error = "bad hex: no hex digits";
  } else if (high >= 0) {
    out.error = "bad hex: odd number of hex digits (" + std::to_string(digits) + ")";
    out.data.clear();
  }
  return out;
}

std::string to_hex(bgp::byte_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(data.size() * 2);
  for (const std::uint8_t b : data) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 0xf]);
  }
  return s;
}

}  // namespace bgplbctl
