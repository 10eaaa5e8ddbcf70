// Capabilities, RFC 5492 §4: a sequence of <code (1), length (1), value> triples inside
// a Capabilities optional parameter. Known capabilities are decoded into their types;
// any other code, or a known one whose value RFC says to treat as not understood, is
// kept as opaque bytes (cap_unknown) so that it can be shown and passed on.
#include "codec/internal.hpp"

namespace bgp::codec {

namespace {

namespace cap = iana::capability;

decode_error malformed(std::uint8_t code, std::size_t len, const char* rule) {
  return make_error(iana::error_code::open_message, iana::open_subcode::unspecific,
                    error_action::session_reset,
                    "capability " + std::to_string(code) + " with a value of " + std::to_string(len) +
                        " octets is malformed (" + rule + ")");
}

// Returns nullopt on success; `out` receives the capability.
std::optional<decode_error> decode_one(std::uint8_t code, byte_view v, capability& out) {
  reader r(v);
  switch (code) {
    case cap::multiprotocol: {  // RFC 4760 §8: AFI (2), reserved (1), SAFI (1)
      if (v.size() != 4) return malformed(code, v.size(), "RFC 4760 §8: 4 octets");
      cap_multiprotocol c;
      std::uint8_t reserved = 0;
      r.u16(c.fam.afi);
      r.u8(reserved);
      r.u8(c.fam.safi);
      out = c;
      return std::nullopt;
    }
    case cap::route_refresh:
    case cap::route_refresh_cisco:
      if (!v.empty()) return malformed(code, v.size(), "RFC 2918 §2: empty");
      out = cap_route_refresh{code};
      return std::nullopt;
    case cap::enhanced_route_refresh:
      if (!v.empty()) return malformed(code, v.size(), "RFC 7313 §3.1: empty");
      out = cap_enhanced_route_refresh{};
      return std::nullopt;
    case cap::extended_message:
      if (!v.empty()) return malformed(code, v.size(), "RFC 8654 §3: empty");
      out = cap_extended_message{};
      return std::nullopt;
    case cap::extended_next_hop: {  // RFC 8950 §3: <NLRI AFI (2), NLRI SAFI (2), NH AFI (2)>*
      if (v.size() % 6 != 0) return malformed(code, v.size(), "RFC 8950 §3: a multiple of 6 octets");
      cap_extended_next_hop c;
      while (!r.empty()) {
        cap_extended_next_hop::entry e;
        r.u16(e.nlri_afi);
        r.u16(e.nlri_safi);
        r.u16(e.next_hop_afi);
        c.entries.push_back(e);
      }
      out = std::move(c);
      return std::nullopt;
    }
    case cap::graceful_restart: {
      // RFC 4724 §3: Restart Flags (4 bits: R, N per RFC 8538, 2 reserved), Restart
      // Time (12 bits), then <AFI (2), SAFI (1), Flags (1: F bit)>*. Reserved bits
      // are ignored on receipt.
      if (v.size() < 2 || (v.size() - 2) % 4 != 0)
        return malformed(code, v.size(), "RFC 4724 §3: 2 + 4n octets");
      cap_graceful_restart c;
      std::uint16_t head = 0;
      r.u16(head);
      c.restarting = (head & 0x8000) != 0;
      c.notification = (head & 0x4000) != 0;
      c.restart_time = head & 0x0FFF;
      while (!r.empty()) {
        cap_graceful_restart::entry e;
        std::uint8_t flags = 0;
        r.u16(e.fam.afi);
        r.u8(e.fam.safi);
        r.u8(flags);
        e.forwarding_preserved = (flags & 0x80) != 0;
        c.entries.push_back(e);
      }
      out = std::move(c);
      return std::nullopt;
    }
    case cap::four_octet_as: {  // RFC 6793 §3
      if (v.size() != 4) return malformed(code, v.size(), "RFC 6793 §3: 4 octets");
      cap_four_octet_as c;
      r.u32(c.as);
      out = c;
      return std::nullopt;
    }
    case cap::add_path: {  // RFC 7911 §4: <AFI (2), SAFI (1), Send/Receive (1)>*
      if (v.size() % 4 != 0 || v.empty())
        return malformed(code, v.size(), "RFC 7911 §4: a non-zero multiple of 4 octets");
      cap_add_path c;
      while (!r.empty()) {
        cap_add_path::entry e;
        std::uint8_t sr = 0;
        r.u16(e.fam.afi);
        r.u8(e.fam.safi);
        r.u8(sr);
        // RFC 7911 §4: any other Send/Receive value: treat the capability as not
        // understood and ignore it.
        if (sr < 1 || sr > 3) {
          out = cap_unknown{code, bytes(v.begin(), v.end())};
          return std::nullopt;
        }
        e.dir = static_cast<cap_add_path::direction>(sr);
        c.entries.push_back(e);
      }
      out = std::move(c);
      return std::nullopt;
    }
    case cap::fqdn: {  // hostname length (1), hostname, domain length (1), domain
      std::uint8_t hl = 0, dl = 0;
      byte_view h, d;
      if (!r.u8(hl) || !r.take(hl, h) || !r.u8(dl) || !r.take(dl, d) || !r.empty())
        return malformed(code, v.size(), "draft-walton-bgp-hostname-capability §3");
      out = cap_fqdn{std::string(h.begin(), h.end()), std::string(d.begin(), d.end())};
      return std::nullopt;
    }
    default:
      out = cap_unknown{code, bytes(v.begin(), v.end())};
      return std::nullopt;
  }
}

}  // namespace

std::optional<decode_error> decode_capabilities(byte_view v, std::vector<capability>& out) {
  reader r(v);
  while (!r.empty()) {
    std::uint8_t code = 0, len = 0;
    byte_view value;
    if (!r.u8(code) || !r.u8(len) || !r.take(len, value))
      return make_error(iana::error_code::open_message, iana::open_subcode::unspecific,
                        error_action::session_reset,
                        "capability " + std::to_string(code) +
                            " runs past the end of its optional parameter (RFC 5492 §4)");
    capability c;
    if (auto err = decode_one(code, value, c)) return err;
    out.push_back(std::move(c));
  }
  return std::nullopt;
}

void encode_capability(writer& w, const capability& c) {
  const std::uint8_t code = capability_code(c);
  w.u8(code);
  const std::size_t len_at = w.placeholder(1);
  const std::size_t start = w.size();
  struct visitor {
    writer& w;
    void operator()(const cap_multiprotocol& v) {
      w.u16(v.fam.afi);
      w.u8(0);
      w.u8(v.fam.safi);
    }
    void operator()(const cap_route_refresh&) {}
    void operator()(const cap_enhanced_route_refresh&) {}
    void operator()(const cap_extended_message&) {}
    void operator()(const cap_extended_next_hop& v) {
      for (const auto& e : v.entries) {
        w.u16(e.nlri_afi);
        w.u16(e.nlri_safi);
        w.u16(e.next_hop_afi);
      }
    }
    void operator()(const cap_graceful_restart& v) {
      w.u16(static_cast<std::uint16_t>((v.restarting ? 0x8000 : 0) | (v.notification ? 0x4000 : 0) |
                                       (v.restart_time & 0x0FFF)));
      for (const auto& e : v.entries) {
        w.u16(e.fam.afi);
        w.u8(e.fam.safi);
        w.u8(e.forwarding_preserved ? 0x80 : 0);
      }
    }
    void operator()(const cap_four_octet_as& v) { w.u32(v.as); }
    void operator()(const cap_add_path& v) {
      for (const auto& e : v.entries) {
        w.u16(e.fam.afi);
        w.u8(e.fam.safi);
        w.u8(static_cast<std::uint8_t>(e.dir));
      }
    }
    void operator()(const cap_fqdn& v) {
      // A capability value is at most 255 octets: names longer than that are cut,
      // the host name first served.
      const std::size_t hl = v.hostname.size() > 253 ? 253 : v.hostname.size();
      const std::size_t dl = v.domain.size() > 253 - hl ? 253 - hl : v.domain.size();
      w.u8(static_cast<std::uint8_t>(hl));
      w.put(reinterpret_cast<const std::uint8_t*>(v.hostname.data()), hl);
      w.u8(static_cast<std::uint8_t>(dl));
      w.put(reinterpret_cast<const std::uint8_t*>(v.domain.data()), dl);
    }
    void operator()(const cap_unknown& v) {
      w.put(v.value.data(), v.value.size() > 255 ? 255 : v.value.size());
    }
  };
  std::visit(visitor{w}, c);
  w.patch_u8(len_at, static_cast<std::uint8_t>(w.size() - start));
}

}  // namespace bgp::codec
