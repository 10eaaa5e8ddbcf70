// Names of the counter codes (abi.h) and their read-out.
#include "dataplane/stats.hpp"

#include <array>

namespace dataplane {

namespace {

struct row {
  std::uint32_t code;
  std::string_view name;
  std::string_view help;
};

// One row per code; the names are metric label values and must not change.
constexpr std::array<row, 29> table{{
    {abi::DROP_NO_BACKEND, "no_backend", "service without a backend taking new flows: ICMP unreachable sent"},
    {abi::DROP_SOURCE_RANGE, "source_range", "source outside the service's loadBalancerSourceRanges"},
    {abi::DROP_MALFORMED, "malformed", "truncated header in a packet for a service"},
    {abi::DROP_FRAG_NEEDED, "frag_needed", "too big for the path with DF set: ICMP fragmentation needed / packet too big sent"},
    {abi::DROP_TOO_BIG, "too_big", "too big for the path with DF clear (cannot fragment here)"},
    {abi::DROP_NO_ROUTE, "no_route", "no route to the backend or its node"},
    {abi::DROP_TUNNEL_PEER, "tunnel_peer", "tunnel packet from an address that is not a known node"},
    {abi::DROP_TUNNEL_MALFORMED, "tunnel_malformed", "tunnel packet with a GUE header we did not send"},
    {abi::DROP_LOOP, "loop", "a local backend routed back out of the interface the packet came in by"},
    {abi::DROP_NO_TUNNEL_SOURCE, "no_tunnel_source", "remote backend, but no node address of that family configured"},
    {abi::DROP_ADJUST, "adjust", "growing or shrinking the packet failed"},
    {abi::DROP_BACKEND_MISSING, "backend_missing", "Maglev row or backend slot missing (inconsistent maps)"},
    {abi::DROP_ICMP_FAILED, "icmp_failed", "could not build an ICMP error"},
    {abi::EV_PASS, "pass", "not for a service: passed to the stack after one lookup"},
    {abi::EV_PASS_FRAGMENT, "pass_fragment", "IP fragment passed to the stack untouched"},
    {abi::EV_PASS_EXT_HDR, "pass_ext_hdr", "IPv6 packet with an extension header passed untouched"},
    {abi::EV_PASS_NO_FIB, "pass_no_fib", "XDP: translated packet left to the stack (neighbour unresolved)"},
    {abi::EV_CT_HIT, "ct_hit", "packet of an established flow"},
    {abi::EV_CT_NEW, "ct_new", "new flow: backend picked"},
    {abi::EV_AFFINITY_HIT, "affinity_hit", "new flow sent to the client's previous backend (ClientIP affinity)"},
    {abi::EV_FWD_LOCAL, "fwd_local", "translated to a backend on this node"},
    {abi::EV_FWD_REMOTE, "fwd_remote", "encapsulated to a backend's node"},
    {abi::EV_DECAP, "decap", "tunnel packet from another node delivered to a local backend"},
    {abi::EV_REVNAT, "revnat", "reply leaving with the frontend as source"},
    {abi::EV_ICMP_IN, "icmp_in", "ICMP error about a reply translated towards its backend"},
    {abi::EV_ICMP_OUT, "icmp_out", "ICMP error from a backend translated towards the client"},
    {abi::EV_ICMP_SENT, "icmp_sent", "ICMP error generated"},
    {abi::EV_PUNT, "punt", "XDP handed a packet to tc ingress"},
    {abi::EV_CT_STALE, "ct_stale", "flow idle past its timeout: new pick"},
}};

}  // namespace

counter describe_counter(std::uint32_t code) {
  counter c;
  c.code = code;
  c.drop = code > abi::DROP_NONE && code < abi::DROP_REASON_MAX;
  for (const auto& r : table)
    if (r.code == code) {
      c.name = r.name;
      c.help = r.help;
    }
  return c;
}

result<std::vector<counter>> read_counters(const map_ops& maps) {
  auto values = maps.counters();
  if (!values) return values.err();
  std::vector<counter> out;
  for (const auto& r : table) {
    counter c = describe_counter(r.code);
    if (r.code < values->size()) c.value = (*values)[r.code];
    out.push_back(c);
  }
  return out;
}

result<std::vector<service_counters>> read_service_counters(const map_ops& maps, const reconciler& r) {
  auto all = maps.all_service_stats();
  if (!all) return all.err();
  std::vector<service_counters> out;
  out.reserve(r.programmed_count());
  r.visit_programmed([&](const std::string& name, std::uint32_t id) {
    out.push_back({name, id, id < all->size() ? (*all)[id] : abi::service_stats{}});
  });
  return out;
}

}  // namespace dataplane
