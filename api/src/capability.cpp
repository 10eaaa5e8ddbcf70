// bgp::capability -> capability.proto messages (see capability.hpp). The bgp library
// decodes the capabilities a speaker acts on; the ones it keeps as opaque bytes
// (cap_unknown) but GoBGP has a message for are decoded here, one row per code.
#include "capability.hpp"

#include "convert.hpp"

#include <bgp/iana.hpp>

#include "capability.pb.h"

#include <array>
#include <type_traits>
#include <variant>

namespace api::convert {

namespace {

namespace code = bgp::iana::capability;
inline constexpr std::uint8_t carrying_label_info = 4;  // RFC 3107 §3 (obsoleted by RFC 8277)

// Codes whose capability the gobgp client type-asserts (cmd/gobgp/neighbor.go): an
// UnknownCapability with one of them crashes `gobgp neighbor ADDR`.
constexpr std::array asserted_codes{code::multiprotocol, code::extended_next_hop, code::graceful_restart,
                                    code::add_path,      code::long_lived_graceful_restart, code::fqdn};

std::uint32_t be(const bgp::bytes& v, std::size_t at, std::size_t n) {
  std::uint32_t x = 0;
  for (std::size_t i = 0; i < n; ++i) x = x << 8 | v[at + i];
  return x;
}

bgp::family family_at(const bgp::bytes& v, std::size_t at) {
  return {static_cast<std::uint16_t>(be(v, at, 2)), v[at + 2]};
}

template <class M>
google::protobuf::Any packed(const M& m) {
  google::protobuf::Any a;
  a.PackFrom(m);
  return a;
}

// RFC 9494 §3: <AFI (2), SAFI (1), Flags (1: F bit 0x80), Long-lived Stale Time (3)>*.
// A trailing partial tuple is left out (GoBGP refuses such an OPEN; the speaker keeps it).
google::protobuf::Any long_lived_graceful_restart(const bgp::bytes& v) {
  apipb::LongLivedGracefulRestartCapability m;
  for (std::size_t at = 0; at + 7 <= v.size(); at += 7) {
    auto* t = m.add_tuples();
    set_family(t->mutable_family(), family_at(v, at));
    t->set_flags(v[at + 3]);
    t->set_time(be(v, at + 4, 3));
  }
  return packed(m);
}

// RFC 7911 §4, kept opaque by the speaker when a Send/Receive value is out of range:
// shown with the values as sent (the client prints "unknown(N)").
google::protobuf::Any add_path(const bgp::bytes& v) {
  apipb::AddPathCapability m;
  for (std::size_t at = 0; at + 4 <= v.size(); at += 4) {
    auto* t = m.add_tuples();
    set_family(t->mutable_family(), family_at(v, at));
    t->set_mode(static_cast<apipb::AddPathCapabilityTuple::Mode>(v[at + 3]));
  }
  return packed(m);
}

// A capability the speaker keeps as bytes, when GoBGP has a message for its code.
std::optional<google::protobuf::Any> typed_unknown(const bgp::cap_unknown& c) {
  switch (c.code) {
    case carrying_label_info: return packed(apipb::CarryingLabelInfoCapability{});
    case code::long_lived_graceful_restart: return long_lived_graceful_restart(c.value);
    case code::add_path: return add_path(c.value);
    default: break;
  }
  for (auto k : asserted_codes)
    if (c.code == k) return std::nullopt;  // never as UnknownCapability: the client would crash
  apipb::UnknownCapability m;
  m.set_code(c.code);
  m.set_value(std::string(c.value.begin(), c.value.end()));
  return packed(m);
}

}  // namespace

std::optional<google::protobuf::Any> capability_any(const bgp::capability& c) {
  return std::visit(
      [](const auto& v) -> std::optional<google::protobuf::Any> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bgp::cap_multiprotocol>) {
          apipb::MultiProtocolCapability m;
          set_family(m.mutable_family(), v.fam);
          return packed(m);
        } else if constexpr (std::is_same_v<T, bgp::cap_route_refresh>) {
          if (v.code == code::route_refresh_cisco) return packed(apipb::RouteRefreshCiscoCapability{});
          return packed(apipb::RouteRefreshCapability{});
        } else if constexpr (std::is_same_v<T, bgp::cap_enhanced_route_refresh>) {
          return packed(apipb::EnhancedRouteRefreshCapability{});
        } else if constexpr (std::is_same_v<T, bgp::cap_extended_next_hop>) {
          // The client refuses (and then shows no capability at all) a next-hop AFI
          // other than IPv4 or IPv6: such tuples are left out.
          apipb::ExtendedNexthopCapability m;
          for (const auto& e : v.entries) {
            if (e.next_hop_afi != 1 && e.next_hop_afi != 2) continue;
            auto* t = m.add_tuples();
            set_family(t->mutable_nlri_family(), bgp::family{e.nlri_afi, static_cast<std::uint8_t>(e.nlri_safi)});
            set_family(t->mutable_nexthop_family(), bgp::family{e.next_hop_afi, 1});
          }
          return packed(m);
        } else if constexpr (std::is_same_v<T, bgp::cap_graceful_restart>) {
          // GoBGP's flags are the high nibble of the first octet: R 0x08, N 0x04.
          apipb::GracefulRestartCapability m;
          m.set_flags((v.restarting ? 0x08u : 0u) | (v.notification ? 0x04u : 0u));
          m.set_time(v.restart_time);
          for (const auto& e : v.entries) {
            auto* t = m.add_tuples();
            set_family(t->mutable_family(), e.fam);
            t->set_flags(e.forwarding_preserved ? 0x80u : 0u);
          }
          return packed(m);
        } else if constexpr (std::is_same_v<T, bgp::cap_four_octet_as>) {
          apipb::FourOctetASNCapability m;
          m.set_asn(v.as);
          return packed(m);
        } else if constexpr (std::is_same_v<T, bgp::cap_add_path>) {
          apipb::AddPathCapability m;
          for (const auto& e : v.entries) {
            auto* t = m.add_tuples();
            set_family(t->mutable_family(), e.fam);
            t->set_mode(static_cast<apipb::AddPathCapabilityTuple::Mode>(e.dir));
          }
          return packed(m);
        } else if constexpr (std::is_same_v<T, bgp::cap_fqdn>) {
          apipb::FqdnCapability m;
          m.set_host_name(v.hostname);
          m.set_domain_name(v.domain);
          return packed(m);
        } else if constexpr (std::is_same_v<T, bgp::cap_extended_message>) {
          apipb::UnknownCapability m;  // GoBGP 3.10 has no message for RFC 8654
          m.set_code(code::extended_message);
          return packed(m);
        } else {
          return typed_unknown(v);
        }
      },
      c);
}

void add_capabilities(google::protobuf::RepeatedPtrField<google::protobuf::Any>* out,
                      const std::vector<bgp::capability>& caps) {
  for (const auto& c : caps)
    if (auto a = capability_any(c)) *out->Add() = std::move(*a);
}

}  // namespace api::convert
