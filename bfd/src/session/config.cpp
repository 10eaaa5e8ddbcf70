// Session keys and configuration checks of the public API (manager.hpp).
#include <bfd/manager.hpp>

#include <tuple>

namespace bfd {

std::string_view to_string(hop_mode h) { return h == hop_mode::single_hop ? "single-hop" : "multihop"; }

bool operator<(const session_key& a, const session_key& b) {
  return std::tie(a.peer, a.local, a.interface, a.hops) < std::tie(b.peer, b.local, b.interface, b.hops);
}

std::string session_key::to_string() const {
  std::string s = peer.to_string() + " " + std::string(bfd::to_string(hops));
  if (local) s += " from " + local->to_string();
  if (!interface.empty()) s += " on " + interface;
  return s;
}

namespace {
std::string range(const char* field, std::uint32_t v, std::uint32_t lo, std::uint32_t hi) {
  if (v >= lo && v <= hi) return {};
  return std::string(field) + ": " + std::to_string(v) + " is outside " + std::to_string(lo) + "-" +
         std::to_string(hi);
}
}  // namespace

std::string validate(const session_config& c) {
  const profile& p = c.timers;
  // MetalLB's BFDProfile ranges (docs/configuration.md).
  for (const auto& e : {range("receiveInterval", p.receive_interval_ms, 10, 60000),
                        range("transmitInterval", p.transmit_interval_ms, 10, 60000),
                        range("detectMultiplier", p.detect_multiplier, 2, 255),
                        range("echoInterval", p.echo_interval_ms, 10, 60000),
                        range("minimumTtl", p.minimum_ttl, 1, 254)})
    if (!e.empty()) return e;
  if (c.key.peer.is_unspecified()) return "peer address is unspecified";
  if (c.key.local && c.key.local->is_v6() != c.key.peer.is_v6())
    return "local address " + c.key.local->to_string() + " is not of the peer's family";
  const auto t = c.auth.type;
  if (t != auth_type::none && t != auth_type::keyed_sha1 && t != auth_type::meticulous_keyed_sha1)
    return "authentication: only keyed SHA1 and meticulous keyed SHA1 are supported";
  if (t != auth_type::none && (c.auth.key.empty() || c.auth.key.size() > 20))
    return "authentication: the SHA1 key must have 1-20 octets (RFC 5880 §4.4)";
  return {};
}

}  // namespace bfd
