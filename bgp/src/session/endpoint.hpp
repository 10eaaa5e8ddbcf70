// Conversions between the library's ip_address and Asio's endpoints/addresses, shared
// by the peer (connect, local address) and the listener (who is calling).
#pragma once

#include <bgp/types.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <algorithm>

namespace bgp::session {

inline boost::asio::ip::tcp::endpoint endpoint_of(const ip_address& a, std::uint16_t port) {
  namespace ip = boost::asio::ip;
  if (a.is_v4()) return {ip::address_v4(a.v4_host_order()), port};
  ip::address_v6::bytes_type b;
  std::copy(a.octets.begin(), a.octets.end(), b.begin());
  return {ip::address_v6(b), port};
}

// IPv4-mapped IPv6 addresses (from a dual-stack listener) come back as IPv4.
inline ip_address address_of(const boost::asio::ip::address& a) {
  namespace ip = boost::asio::ip;
  if (a.is_v4()) return ip_address::v4(a.to_v4().to_uint());
  if (a.to_v6().is_v4_mapped()) return ip_address::v4(ip::make_address_v4(ip::v4_mapped, a.to_v6()).to_uint());
  std::array<std::uint8_t, 16> b{};
  const auto bytes = a.to_v6().to_bytes();
  std::copy(bytes.begin(), bytes.end(), b.begin());
  return ip_address::v6(b);
}

}  // namespace bgp::session
