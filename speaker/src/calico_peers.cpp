// Calico's BGPPeers as this node's sessions, as Calico's BIRD configuration makes them
// (calico/node's confd bird.cfg template, the "Configure BGP peering" guide):
//   - which peers: `node` names this node, else `nodeSelector` selects its labels, else
//     every node; a peer whose address is this node's own is skipped ("Skipping ourselves");
//     peers with peerSelector or localWorkloadSelector (no peerIP) peer with Calico nodes or
//     workloads and are not run (model::warnings says so);
//   - local AS: `localASNumber`, else the node's (Calico Node spec.bgp.asNumber, or the
//     projectcalico.org/ASNumber annotation), else the default BGPConfiguration's
//     asNumber, else 64512;
//   - router ID: the node's Calico IPv4 address, else its InternalIP;
//   - `sourceAddress: UseNodeIP` (the default): the node's Calico address of the peer's
//     family, when known;
//   - every session multihop, with graceful restart, BIRD's 240 s hold time unless a
//     keepaliveTime asks for three times it; `password.secretKeyRef` names a key of a
//     Secret in calico-node's namespace (calico-system, else kube-system).
#include <algorithm>
#include <charconv>

#include "context.hpp"

namespace speaker::detail {

namespace {

constexpr std::uint32_t calico_default_asn = 64512;  // Calico: no AS anywhere
constexpr std::chrono::seconds bird_hold_time{240};  // BIRD's default, which Calico keeps
// Where calico-node runs: the operator's namespace, then the manifest install's.
constexpr std::string_view secret_namespaces[] = {"calico-system", "kube-system"};

model::error node_error(const std::string& node, std::string_view annotation, std::string rule) {
  return {"", "Node " + node, "metadata.annotations[" + std::string(annotation) + "]", std::move(rule)};
}

model::error peer_error(const model::calico_bgp_peer& p, std::string path, std::string rule) {
  return {p.meta.file.str(), "Calico BGPPeer " + p.meta.name, std::move(path), std::move(rule)};
}

std::optional<std::uint32_t> number(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The annotations Calico's Kubernetes datastore keeps on the v1 Node: "10.0.0.1/24",
// "fd00::1/64", "64512".
void from_annotations(const model::node& n, node_facts& f, std::vector<model::error>& errors) {
  const auto& a = n.meta.annotations;
  auto address = [&](std::string_view name, model::ip_family want, std::optional<model::ip_address>& out) {
    auto it = a.find(std::string(name));
    if (it == a.end() || it->second.empty()) return;
    const auto ip = model::ip_address::parse(std::string_view(it->second).substr(0, it->second.find('/')));
    if (ip && ip->family() == want) out = ip;
    else errors.push_back(node_error(n.meta.name, name, "invalid address \"" + it->second + "\""));
  };
  address(model::annotations::calico_ipv4_address, model::ip_family::v4, f.calico_ipv4);
  address(model::annotations::calico_ipv6_address, model::ip_family::v6, f.calico_ipv6);
  if (auto it = a.find(std::string(model::annotations::calico_as_number)); it != a.end() && !it->second.empty()) {
    if (auto asn = number(it->second)) f.calico_asn = asn;
    else errors.push_back(node_error(n.meta.name, model::annotations::calico_as_number, "invalid AS number \"" + it->second + "\""));
  }
}

bool selects(const model::calico_bgp_peer& p, const node_facts& node) {
  if (!p.node.empty()) return p.node == node.name;
  return !p.node_selector || p.node_selector->matches(node.labels);
}

std::optional<std::string> password(const model::snapshot& s, const model::calico_bgp_peer& p,
                                    std::vector<model::error>& errors) {
  const auto& ref = *p.password;
  for (auto ns : secret_namespaces) {
    const auto* sec = s.find<model::secret>(std::string(ns), ref.name);
    if (sec == nullptr) continue;
    if (auto v = sec->data.find(ref.key); v != sec->data.end()) return v->second;
    errors.push_back(peer_error(p, "spec.password.secretKeyRef",
                                "Secret " + std::string(ns) + "/" + ref.name + " has no key \"" + ref.key + "\""));
    return std::nullopt;
  }
  errors.push_back(peer_error(p, "spec.password.secretKeyRef",
                              "Secret " + ref.name + " not found in calico-system or kube-system (calico-node's namespace)"));
  return std::nullopt;
}

}  // namespace

void add_calico_facts(const model::snapshot& s, node_facts& f, std::vector<model::error>& errors) {
  if (const auto* cn = s.find<model::calico_node>("", f.name)) {
    f.calico_ipv4 = cn->ipv4_address;
    f.calico_ipv6 = cn->ipv6_address;
    f.calico_asn = cn->as_number;
    for (const auto& [k, v] : cn->meta.labels) f.labels.try_emplace(k, v);
  } else if (const auto* n = s.find<model::node>("", f.name)) {
    from_annotations(*n, f, errors);
  }
}

void add_calico_peers(const model::snapshot& s, const node_facts& node, std::vector<peer_plan>& peers,
                      std::vector<model::error>& errors) {
  const auto* config = s.find<model::bgp_configuration>("", "default");
  const std::uint32_t node_asn =
      node.calico_asn.value_or(config != nullptr ? config->as_number.value_or(calico_default_asn) : calico_default_asn);
  for (const auto& [key, p] : s.all<model::calico_bgp_peer>()) {
    if (!p.peer_ip || !p.as_number || !selects(p, node)) continue;
    const model::ip_address ip = *p.peer_ip;
    if (ip == node.calico_ipv4 || ip == node.calico_ipv6 || ip == node.internal_ipv4) continue;  // ourselves
    peer_plan out;
    out.name = p.meta.name;
    out.address = ip;
    if (p.peer_port) out.port = *p.peer_port;
    const auto taken = std::find_if(peers.begin(), peers.end(), [&](const peer_plan& q) {
      return q.name == out.name || (q.address == out.address && q.port == out.port);
    });
    if (taken != peers.end()) {
      errors.push_back(peer_error(p, taken->name == out.name ? "metadata.name" : "spec.peerIP",
                                  taken->name == out.name
                                      ? "another BGPPeer of this node is named \"" + out.name + "\"; this one is not run"
                                      : "address " + ip.to_string() + " is already peered by BGPPeer " + taken->name +
                                            " on this node; this one is not run"));
      continue;
    }
    out.peer_asn = *p.as_number;
    out.my_asn = p.local_as_number.value_or(node_asn);
    using std::chrono::duration_cast;
    using std::chrono::seconds;
    out.hold_time = bird_hold_time;
    if (p.keepalive_time) {
      out.keepalive = duration_cast<seconds>(*p.keepalive_time);
      out.hold_time = std::max(out.hold_time, *out.keepalive * 3);
    }
    if (p.source_node_ip) out.source_address = ip.family() == model::ip_family::v4 ? node.calico_ipv4 : node.calico_ipv6;
    out.router_id = node.calico_ipv4 ? node.calico_ipv4 : node.internal_ipv4;
    out.ebgp_multihop = true;
    out.graceful_restart = true;
    if (p.password) {
      auto pw = password(s, p, errors);
      if (!pw) continue;
      out.password = std::move(*pw);
    }
    peers.push_back(std::move(out));
  }
}

}  // namespace speaker::detail
