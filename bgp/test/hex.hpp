// Test helpers: hex text <-> bytes, and hand-built UPDATE bodies.
#pragma once

#include <bgp/types.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace bgp::test {

inline bytes from_hex(std::string_view s) {
  bytes out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ' ' || c == ':' || c == '\n') continue;
    else throw std::invalid_argument("bad hex");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd hex");
  return out;
}

inline std::string to_hex(byte_view b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

// A whole message: marker, length, type, body.
inline bytes message(std::uint8_t type, const bytes& body) {
  bytes m(16, 0xFF);
  const std::size_t len = 19 + body.size();
  m.push_back(static_cast<std::uint8_t>(len >> 8));
  m.push_back(static_cast<std::uint8_t>(len));
  m.push_back(type);
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

// An UPDATE from hex pieces; the two length fields are computed.
inline bytes update(std::string_view withdrawn, std::string_view attrs, std::string_view nlri) {
  const bytes w = from_hex(withdrawn), a = from_hex(attrs), n = from_hex(nlri);
  bytes body;
  body.push_back(static_cast<std::uint8_t>(w.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(w.size()));
  body.insert(body.end(), w.begin(), w.end());
  body.push_back(static_cast<std::uint8_t>(a.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(a.size()));
  body.insert(body.end(), a.begin(), a.end());
  body.insert(body.end(), n.begin(), n.end());
  return message(2, body);
}

}  // namespace bgp::test
