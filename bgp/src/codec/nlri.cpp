// NLRI prefix encoding, RFC 4271 §4.3 (and RFC 4760 §5 for IPv6), with the RFC 7911 §3
// path identifier when ADD-PATH is in force:
//
//   +--------------------------------+
//   | Path Identifier (4 octets)     |   (ADD-PATH only)
//   +--------------------------------+
//   | Length (1 octet, in bits)      |
//   +--------------------------------+
//   | Prefix (ceil(Length/8) octets) |
//   +--------------------------------+
//
// This is the hot path of bulk announcements: no allocation per prefix.
#include "codec/internal.hpp"

#include <cstring>

namespace bgp::codec {

bool decode_prefixes(byte_view v, afi fam, bool add_path, std::vector<nlri>& out,
                     std::string& why) {
  const std::uint8_t* p = v.data();
  const std::uint8_t* const end = p + v.size();
  const unsigned max_len = fam == afi::ipv4 ? 32 : 128;
  nlri n;
  n.route.address.family = fam;
  while (p < end) {
    if (add_path) {
      if (end - p < 4) {
        why = "path identifier truncated (RFC 7911 §3)";
        return false;
      }
      n.path_id = load_u32(p);
      p += 4;
      if (p == end) {
        why = "prefix length missing after path identifier (RFC 7911 §3)";
        return false;
      }
    }
    const unsigned len = *p++;
    if (len > max_len) {
      why = "prefix length " + std::to_string(len) + " exceeds " + std::to_string(max_len) +
            " (RFC 7606 §5.3)";
      return false;
    }
    const std::size_t nbytes = (len + 7) / 8;
    if (static_cast<std::size_t>(end - p) < nbytes) {
      why = "prefix of length " + std::to_string(len) + " runs past the end (RFC 7606 §5.3)";
      return false;
    }
    n.route.address.octets = {};
    std::memcpy(n.route.address.octets.data(), p, nbytes);
    if (len % 8 != 0)  // RFC 4271 §4.3: trailing bits are irrelevant; keep them zero
      n.route.address.octets[nbytes - 1] &= static_cast<std::uint8_t>(0xFF00u >> (len % 8));
    n.route.length = static_cast<std::uint8_t>(len);
    p += nbytes;
    out.push_back(n);
  }
  return true;
}

void encode_prefix(writer& w, const nlri& n, bool add_path) {
  std::uint8_t buf[4 + 1 + 16];
  std::size_t k = 0;
  if (add_path) {
    buf[0] = static_cast<std::uint8_t>(n.path_id >> 24);
    buf[1] = static_cast<std::uint8_t>(n.path_id >> 16);
    buf[2] = static_cast<std::uint8_t>(n.path_id >> 8);
    buf[3] = static_cast<std::uint8_t>(n.path_id);
    k = 4;
  }
  // A prefix longer than its family allows is a caller bug; clamp rather than overrun.
  const std::uint8_t len = n.route.length > n.route.max_length() ? n.route.max_length() : n.route.length;
  const std::size_t nbytes = (len + 7u) / 8u;
  buf[k++] = len;
  std::memcpy(buf + k, n.route.address.octets.data(), nbytes);
  w.put(buf, k + nbytes);
}

}  // namespace bgp::codec
