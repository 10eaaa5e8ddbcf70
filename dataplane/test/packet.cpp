// The tests' packet builder and checksum oracle (RFC 1071 sums over whole packets).
#include "packet.hpp"

#include <cstdio>

namespace dataplane::testpkt {

namespace {

void put16(bytes& b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}

void append(bytes& b, const std::uint8_t* p, std::size_t n) { b.insert(b.end(), p, p + n); }

const std::uint8_t* addr_bytes(const address& a) { return a.bytes().data() + (a.is_v4() ? 12 : 0); }

// RFC 1071: one's complement sum of 16-bit big-endian words, odd byte padded.
std::uint32_t sum(const std::uint8_t* p, std::size_t n, std::uint32_t s = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) s += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<std::uint32_t>(p[n - 1] << 8);
  return s;
}

std::uint16_t fold(std::uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffff);
}

// RFC 9293 §3.1 / RFC 768 / RFC 8200 §8.1 pseudo-header sum.
std::uint32_t pseudo(bool v6, const std::uint8_t* src, const std::uint8_t* dst, std::uint32_t len, std::uint8_t proto) {
  std::size_t n = v6 ? 16 : 4;
  std::uint32_t s = sum(src, n) + sum(dst, n);
  s += (len >> 16) + (len & 0xffff);
  return s + proto;
}

bytes transport(const l4& t) {
  bytes b;
  if (t.proto == protocol::tcp) {
    b.assign(20, 0);
    put16(b, 0, t.sport);
    put16(b, 2, t.dport);
    b[4] = 0x11;  // sequence number
    b[8] = 0x22;  // acknowledgement number
    b[12] = 0x50;
    b[13] = t.tcp_flags;
    put16(b, 14, 0xffff);
  } else {
    b.assign(8, 0);
    put16(b, 0, t.sport);
    put16(b, 2, t.dport);
    put16(b, 4, static_cast<std::uint16_t>(8 + t.payload));
  }
  for (std::size_t i = 0; i < t.payload; ++i) b.push_back(static_cast<std::uint8_t>(0xa0 + i % 16));
  return b;
}

bytes ip_header(const address& src, const address& dst, std::uint8_t proto, std::size_t payload, const ip_opts& o) {
  bytes h;
  if (src.is_v4()) {
    std::size_t hl = 20 + o.ipv4_options.size();
    h.assign(12, 0);
    h[0] = static_cast<std::uint8_t>(0x40 | (hl / 4));
    put16(h, 2, static_cast<std::uint16_t>(hl + payload));
    put16(h, 4, 0x1234);
    put16(h, 6, static_cast<std::uint16_t>((o.df ? 0x4000 : 0) | (o.more_fragments ? 0x2000 : 0)));
    h[8] = o.ttl;
    h[9] = proto;
    append(h, addr_bytes(src), 4);
    append(h, addr_bytes(dst), 4);
    h.insert(h.end(), o.ipv4_options.begin(), o.ipv4_options.end());
    put16(h, 10, fold(sum(h.data(), h.size())));
  } else {
    h.assign(8, 0);
    h[0] = 0x60;
    put16(h, 4, static_cast<std::uint16_t>(payload));
    h[6] = proto;
    h[7] = o.ttl;
    append(h, addr_bytes(src), 16);
    append(h, addr_bytes(dst), 16);
  }
  return h;
}

}  // namespace

std::uint16_t u16(const bytes& b, std::size_t off) { return static_cast<std::uint16_t>(b.at(off) << 8 | b.at(off + 1)); }

std::string hex(const bytes& b) {
  std::string s;
  char buf[4];
  for (std::size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    s += buf;
    if (i % 16 == 15) s += '\n';
    else if (i % 2 == 1) s += ' ';
  }
  return s;
}

bytes ip(const address& src, const address& dst, const l4& t, const ip_opts& o) {
  const bool v6 = !src.is_v4();
  bytes seg = transport(t);
  const std::uint8_t proto = static_cast<std::uint8_t>(t.proto);
  std::size_t csum_at = t.proto == protocol::tcp ? 16 : 6;
  if (!(t.proto == protocol::udp && t.udp_no_checksum && !v6)) {
    std::uint16_t c = fold(sum(seg.data(), seg.size(), pseudo(v6, addr_bytes(src), addr_bytes(dst),
                                                           static_cast<std::uint32_t>(seg.size()), proto)));
    if (t.proto == protocol::udp && c == 0) c = 0xffff;
    put16(seg, csum_at, c);
  }
  if (v6 && o.ipv6_ext) {
    bytes ext(8, 0);
    ext[0] = proto;  // next header
    bytes h = ip_header(src, dst, *o.ipv6_ext, ext.size() + seg.size(), o);
    h.insert(h.end(), ext.begin(), ext.end());
    h.insert(h.end(), seg.begin(), seg.end());
    return h;
  }
  bytes h = ip_header(src, dst, proto, seg.size(), o);
  h.insert(h.end(), seg.begin(), seg.end());
  return h;
}

bytes icmp_error(const address& src, const address& dst, std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                 const bytes& quote) {
  const bool v6 = !src.is_v4();
  bytes m(8, 0);
  m[0] = type;
  m[1] = code;
  put16(m, 4, static_cast<std::uint16_t>(rest >> 16));
  put16(m, 6, static_cast<std::uint16_t>(rest));
  m.insert(m.end(), quote.begin(), quote.end());
  const std::uint8_t proto = v6 ? 58 : 1;
  std::uint32_t s = v6 ? pseudo(true, addr_bytes(src), addr_bytes(dst), static_cast<std::uint32_t>(m.size()), proto) : 0;
  put16(m, 2, fold(sum(m.data(), m.size(), s)));
  ip_opts o;
  o.df = false;
  bytes h = ip_header(src, dst, proto, m.size(), o);
  if (!v6) {  // our generated errors carry id 0
    put16(h, 4, 0);
    put16(h, 10, 0);
    put16(h, 10, fold(sum(h.data(), h.size())));
  }
  h.insert(h.end(), m.begin(), m.end());
  return h;
}

bytes gue(const address& src, const address& dst, std::uint16_t sport, std::uint16_t dport, const address& backend,
          std::uint16_t backend_port, const bytes& inner, std::uint32_t flow_label) {
  const bool inner_v6 = !backend.is_v4();
  bytes u(8, 0);
  put16(u, 0, sport);
  put16(u, 2, dport);
  bytes g(4, 0);
  g[0] = inner_v6 ? 5 : 2;  // Hlen: private data words
  g[1] = inner_v6 ? 41 : 4;
  u.insert(u.end(), g.begin(), g.end());
  u.push_back(0xb1);
  u.push_back(inner_v6 ? 6 : 4);
  u.push_back(static_cast<std::uint8_t>(backend_port >> 8));
  u.push_back(static_cast<std::uint8_t>(backend_port));
  append(u, addr_bytes(backend), inner_v6 ? 16 : 4);
  u.insert(u.end(), inner.begin(), inner.end());
  put16(u, 4, static_cast<std::uint16_t>(u.size()));
  ip_opts o;
  o.df = true;
  bytes h = ip_header(src, dst, 17, u.size(), o);
  if (src.is_v4()) {
    put16(h, 4, 0);  // id 0
    put16(h, 10, 0);
    put16(h, 10, fold(sum(h.data(), h.size())));
  } else {
    h[1] = static_cast<std::uint8_t>((flow_label >> 16) & 0x0f);
    put16(h, 2, static_cast<std::uint16_t>(flow_label));
  }
  h.insert(h.end(), u.begin(), u.end());
  return h;
}

bytes ether(const mac& dst, const mac& src, const bytes& ip_packet) {
  bytes f(dst.begin(), dst.end());
  f.insert(f.end(), src.begin(), src.end());
  bool v6 = !ip_packet.empty() && (ip_packet[0] >> 4) == 6;
  f.push_back(v6 ? 0x86 : 0x08);
  f.push_back(v6 ? 0xdd : 0x00);
  f.insert(f.end(), ip_packet.begin(), ip_packet.end());
  return f;
}

namespace {

// Verifies the IP packet at b[off..]; `quoted`: an ICMP quote (may be cut: only its
// IPv4 header checksum can be checked).
std::string verify_ip(const bytes& b, std::size_t off, bool quoted) {
  if (b.size() < off + 20) return quoted ? "" : "short IP header";
  const std::uint8_t* p = b.data() + off;
  const bool v6 = (p[0] >> 4) == 6;
  std::size_t hl;
  std::uint8_t proto;
  std::size_t total;
  if (!v6) {
    hl = static_cast<std::size_t>(p[0] & 0x0f) * 4;
    if (fold(sum(p, hl)) != 0) return "IPv4 header checksum";
    proto = p[9];
    total = u16(b, off + 2);
    if (u16(b, off + 6) & 0x3fff) return "";  // a fragment: no transport checksum to check
  } else {
    if (b.size() < off + 40) return quoted ? "" : "short IPv6 header";
    hl = 40;
    proto = p[6];
    total = 40 + u16(b, off + 4);
  }
  if (quoted) return "";
  if (off + total > b.size()) return "IP length beyond the frame";
  const std::uint8_t* l4 = p + hl;
  const std::size_t len = total - hl;
  const std::uint8_t* src = p + (v6 ? 8 : 12);
  const std::uint8_t* dst = p + (v6 ? 24 : 16);
  switch (proto) {
    case 6:
      if (fold(sum(l4, len, pseudo(v6, src, dst, static_cast<std::uint32_t>(len), 6))) != 0) return "TCP checksum";
      return "";
    case 17: {
      const std::uint16_t dport = u16(b, off + hl + 2), check = u16(b, off + hl + 6);
      const bool tunnel = dport == 6080;
      // RFC 768: 0 means none (IPv4); RFC 6935/6936: allowed for tunnels (IPv6)
      if (check != 0 || (v6 && !tunnel))
        if (fold(sum(l4, len, pseudo(v6, src, dst, static_cast<std::uint32_t>(len), 17))) != 0) return "UDP checksum";
      if (tunnel) return verify_ip(b, off + hl + 8 + 4 + (b[off + hl + 8] & 0x1f) * 4u, false);
      return "";
    }
    case 1:
      if (fold(sum(l4, len)) != 0) return "ICMP checksum";
      return verify_ip(b, off + hl + 8, true);
    case 58:
      if (fold(sum(l4, len, pseudo(true, src, dst, static_cast<std::uint32_t>(len), 58))) != 0) return "ICMPv6 checksum";
      return verify_ip(b, off + hl + 8, true);
    default:
      return "";
  }
}

}  // namespace

std::string verify(const bytes& frame) {
  if (frame.size() < 14) return "short frame";
  std::uint16_t type = u16(frame, 12);
  if (type != 0x0800 && type != 0x86dd) return "";
  return verify_ip(frame, 14, false);
}

}  // namespace dataplane::testpkt
