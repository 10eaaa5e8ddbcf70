// plan_service: Kubernetes' rules for which endpoints take new flows, and the limits of
// what the maps can express.
#include "service_plan.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "dataplane/maglev.hpp"
#include "dataplane/map_ops.hpp"

namespace dataplane::detail {

abi::addr16 to_addr16(const address& a) {
  abi::addr16 r{};
  std::memcpy(r.w, a.bytes().data(), 16);
  return r;
}

address from_addr16(const abi::addr16& a) {
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), a.w, 16);
  return address::v6(b);
}

abi::frontend_key frontend_key(const frontend& f, protocol proto) {
  abi::frontend_key k{};
  k.addr = to_addr16(f.addr);
  k.port = htons(f.port);
  k.proto = static_cast<std::uint8_t>(proto);
  return k;
}

abi::range_key range_key(std::uint32_t svc_id, const prefix& p) {
  abi::range_key k{};
  k.prefixlen = 32 + p.length + (p.addr.is_v4() ? 96 : 0);
  k.svc_id = htonl(svc_id);
  k.addr = to_addr16(p.addr);
  return k;
}

std::string describe(const abi::frontend_key& k) {
  address a = from_addr16(k.addr);
  std::string host = a.is_v4() ? a.to_string() : "[" + a.to_string() + "]";
  return host + ":" + std::to_string(ntohs(k.port)) + (k.proto == IPPROTO_UDP ? "/udp" : "/tcp");
}

std::uint64_t row_hash(std::uint32_t size, const std::vector<planned_backend>& eligible,
                       const std::vector<std::uint32_t>& ids) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 0x100000001b3ULL;
    }
  };
  mix(&size, sizeof size);
  for (std::size_t i = 0; i < eligible.size(); ++i) {
    mix(eligible[i].key.data(), eligible[i].key.size());
    mix(&ids[i], sizeof ids[i]);
  }
  return h;
}

std::variant<service_plan, std::string> plan_service(const service& s, std::uint32_t maglev_size) {
  if (s.proto != protocol::tcp && s.proto != protocol::udp) return std::string("only TCP and UDP are supported");
  if (s.frontends.empty()) return std::string("no frontend address");
  service_plan p;
  p.spec = &s;
  const bool v4 = s.frontends.front().addr.is_v4();
  for (const auto& f : s.frontends) {
    if (f.addr.is_v4() != v4) return std::string("frontends mix IPv4 and IPv6");
    if (f.port == 0) return "frontend " + f.addr.to_string() + " has port 0";
    p.frontends.push_back(frontend_key(f, s.proto));
  }
  std::sort(p.frontends.begin(), p.frontends.end(), pod_less{});
  p.frontends.erase(std::unique(p.frontends.begin(), p.frontends.end(), pod_equal<abi::frontend_key>),
                    p.frontends.end());

  // Kubernetes: Local uses this node's endpoints only; ready endpoints take new flows, and
  // serving-but-terminating ones only when no endpoint is ready (KEP-1669, as kube-proxy).
  std::vector<const backend*> ready, terminating;
  for (const auto& b : s.backends) {
    if (b.addr.is_v4() != v4) return "backend " + b.addr.to_string() + " is not of the frontends' family";
    if (b.port == 0) return "backend " + b.addr.to_string() + " has port 0";
    if (s.policy == traffic_policy::local && b.node) continue;
    (b.terminating ? terminating : ready).push_back(&b);
  }
  const auto& chosen = ready.empty() ? terminating : ready;
  for (const backend* b : chosen) {
    planned_backend pb;
    pb.key = maglev::backend_key(b->addr, b->port);
    pb.value.addr = to_addr16(b->addr);
    pb.value.port = htons(b->port);
    pb.value.flags = abi::BE_F_USED | abi::BE_F_ACTIVE;
    if (b->node) {
      pb.value.flags |= abi::BE_F_REMOTE;
      pb.value.node = to_addr16(*b->node);
      if (!b->node->is_v4()) pb.value.flags |= abi::BE_F_NODE_V6;
    }
    p.eligible.push_back(std::move(pb));
  }
  std::stable_sort(p.eligible.begin(), p.eligible.end(),
                          [](const planned_backend& a, const planned_backend& b) { return a.key < b.key; });
  // the same endpoint listed twice (two slices) counts once; the first listing wins
  p.eligible.erase(std::unique(p.eligible.begin(), p.eligible.end(),
                               [](const planned_backend& a, const planned_backend& b) { return a.key == b.key; }),
                   p.eligible.end());
  if (p.eligible.size() >= maglev_size)
    return std::to_string(p.eligible.size()) + " backends do not fit a Maglev row of " + std::to_string(maglev_size);

  if (s.affinity_timeout) {
    if (*s.affinity_timeout == 0) return std::string("sessionAffinity timeout of 0 seconds");
    p.service_flags |= abi::SVC_F_AFFINITY;
    p.affinity_timeout = *s.affinity_timeout;
  }
  if (s.policy == traffic_policy::local) p.service_flags |= abi::SVC_F_LOCAL;
  for (const auto& r : s.source_ranges) {
    if (r.addr.is_v4() != v4) continue;  // a range of the other family admits nobody here
    p.ranges.push_back(r);
  }
  if (!s.source_ranges.empty()) p.frontend_flags |= abi::FE_F_SOURCE_RANGES;
  std::sort(p.ranges.begin(), p.ranges.end());
  p.ranges.erase(std::unique(p.ranges.begin(), p.ranges.end()), p.ranges.end());
  return p;
}

}  // namespace dataplane::detail
