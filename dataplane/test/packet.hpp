// Packets for the tests, built field by field with every checksum computed over the
// whole packet (never incrementally), and a verifier that recomputes every checksum of
// a frame (IPv4 header, TCP/UDP with pseudo-header, ICMP/ICMPv6, inside tunnels and
// ICMP quotes). Independent of the BPF code on purpose: it is the oracle.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/address.hpp"
#include "dataplane/desired.hpp"

namespace dataplane::testpkt {

using bytes = std::vector<std::uint8_t>;
using mac = std::array<std::uint8_t, 6>;

struct l4 {
  protocol proto = protocol::tcp;
  std::uint16_t sport = 40000;
  std::uint16_t dport = 80;
  std::uint8_t tcp_flags = 0x10;  // ACK
  std::size_t payload = 16;
  bool udp_no_checksum = false;  // IPv4 only: checksum field 0
};

struct ip_opts {
  std::uint8_t ttl = 64;
  bool df = true;
  bool more_fragments = false;
  bytes ipv4_options;  // a multiple of 4 bytes
  std::optional<std::uint8_t> ipv6_ext;  // an extension header (e.g. 60 destination options) before L4
};

// IPv4 or IPv6 (by the addresses' family) with TCP or UDP.
bytes ip(const address& src, const address& dst, const l4& t, const ip_opts& o = {});
// An ICMP (IPv4) or ICMPv6 error from src to dst quoting `quote` (an IP packet, cut).
bytes icmp_error(const address& src, const address& dst, std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                 const bytes& quote);
// Outer IP + UDP (zero checksum) + GUE with our private data + inner IP packet.
bytes gue(const address& src, const address& dst, std::uint16_t sport, std::uint16_t dport, const address& backend,
          std::uint16_t backend_port, const bytes& inner, std::uint32_t flow_label = 0);
bytes ether(const mac& dst, const mac& src, const bytes& ip_packet);

// Every checksum of the frame, recomputed; "" when all hold, else which one failed.
std::string verify(const bytes& frame);

// Reading fields of a frame (Ethernet + IP).
std::uint16_t u16(const bytes& b, std::size_t off);
std::string hex(const bytes& b);

}  // namespace dataplane::testpkt
