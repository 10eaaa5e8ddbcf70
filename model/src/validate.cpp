// Cross-object rules of MetalLB's config parser and webhooks (see validate.hpp). Objects
// are visited in namespace/name order, so the same snapshot always yields the same errors
// blamed on the same objects.
#include "model/validate.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace model {

namespace {

error blame(const object_meta& m, kind k, std::string path, std::string message) {
  return {m.file.str(), object_key{k, m.ns, m.name}.to_string(), std::move(path), std::move(message)};
}

// Which of two conflicting objects of one kind a rule blames, and what its message adds
// about the other (see newcomer in validate.hpp).
class judge {
 public:
  explicit judge(const newcomer& is_new) : is_new_(is_new) {}

  // The earlier object (in name order) is blamed: it is new and the later one is in force.
  bool blames_earlier(kind k, const object_meta& earlier, const object_meta& later) const {
    return is_new_ && is_new_({k, earlier.ns, earlier.name}) && !is_new_({k, later.ns, later.name});
  }
  // " in other.yaml" when the other object lives in another file.
  static std::string in_file(const object_meta& blamed, const object_meta& other) {
    return other.file.empty() || other.file == blamed.file ? "" : " in " + other.file.str();
  }
  // ", which stays in force" when the blamed object is new and the other one is in force.
  std::string stays(kind k, const object_meta& blamed, const object_meta& other) const {
    if (!is_new_ || !is_new_({k, blamed.ns, blamed.name}) || is_new_({k, other.ns, other.name})) return "";
    return ", which stays in force";
  }

 private:
  const newcomer& is_new_;
};

error overlap(const judge& j, const ip_address_pool& blamed, std::size_t i, const ip_address_pool& other, std::size_t k) {
  return blame(blamed.meta, kind::ip_address_pool, "spec.addresses[" + std::to_string(i) + "]",
               blamed.addresses[i] + " overlaps pool \"" + other.meta.name + "\" (" + other.addresses[k] +
                   judge::in_file(blamed.meta, other.meta) + ")" + j.stays(kind::ip_address_pool, blamed.meta, other.meta));
}

void check_pools(const snapshot& s, const judge& j, std::vector<error>& out) {
  struct seen_range {
    const ip_address_pool* pool;
    std::size_t index;
  };
  std::vector<seen_range> seen;
  for (const auto& kv : s.all<ip_address_pool>()) {
    const ip_address_pool& pool = kv.second;
    for (std::size_t i = 0; i < pool.ranges.size(); ++i) {
      auto hit = std::find_if(seen.begin(), seen.end(), [&](const seen_range& r) {
        return r.pool->ranges[r.index].overlaps(pool.ranges[i]);
      });
      if (hit == seen.end()) continue;
      if (j.blames_earlier(kind::ip_address_pool, hit->pool->meta, pool.meta)) {
        out.push_back(overlap(j, *hit->pool, hit->index, pool, i));
      } else {
        out.push_back(overlap(j, pool, i, *hit->pool, hit->index));
      }
    }
    for (std::size_t i = 0; i < pool.ranges.size(); ++i) seen.push_back({&pool, i});
  }
}

std::vector<const ip_address_pool*> pools_of(const snapshot& s, const bgp_advertisement& a) {
  std::vector<const ip_address_pool*> out;
  const bool all = a.ip_address_pools.empty() && a.ip_address_pool_selectors.empty();
  for (const auto& kv : s.all<ip_address_pool>()) {
    const ip_address_pool& pool = kv.second;
    const std::string_view name = kv.first.name;
    const bool named = std::find(a.ip_address_pools.begin(), a.ip_address_pools.end(), name) != a.ip_address_pools.end();
    const bool selected = std::any_of(a.ip_address_pool_selectors.begin(), a.ip_address_pool_selectors.end(),
                                      [&](const label_selector& sel) { return sel.matches(pool.meta.labels); });
    if (all || named || selected) out.push_back(&pool);
  }
  return out;
}

template <class T>
bool same_set(const std::vector<T>& a, const std::vector<T>& b) {
  auto within = [](const std::vector<T>& x, const std::vector<T>& y) {
    return std::all_of(x.begin(), x.end(), [&](const T& e) { return std::find(y.begin(), y.end(), e) != y.end(); });
  };
  return within(a, b) && within(b, a);
}

bool same_spec(const bgp_advertisement& a, const bgp_advertisement& b) {
  bgp_advertisement x = a;
  bgp_advertisement y = b;
  x.meta = {};
  y.meta = {};
  return x == y;
}

void check_advertisements(const snapshot& s, const judge& j, std::vector<error>& out) {
  constexpr kind community_kind = kind::community;
  constexpr kind advert_kind = kind::bgp_advertisement;
  struct alias_definition {
    const community* owner;
    std::size_t index;
  };
  std::map<std::string, alias_definition> alias_owner;
  auto duplicate_alias = [&](const community& blamed, std::size_t i, const community& other) {
    out.push_back(blame(blamed.meta, community_kind, "spec.communities[" + std::to_string(i) + "].name",
                        "duplicate definition of community alias \"" + blamed.communities[i].name + "\" (also in Community " +
                            other.meta.ns + "/" + other.meta.name + judge::in_file(blamed.meta, other.meta) + ")" +
                            j.stays(community_kind, blamed.meta, other.meta)));
  };
  for (const auto& [key, c] : s.all<community>()) {
    for (std::size_t i = 0; i < c.communities.size(); ++i) {
      const auto& name = c.communities[i].name;
      auto it = alias_owner.find(name);
      if (it == alias_owner.end()) {
        alias_owner[name] = {&c, i};
      } else if (j.blames_earlier(community_kind, it->second.owner->meta, c.meta)) {
        duplicate_alias(*it->second.owner, it->second.index, c);
      } else {
        duplicate_alias(c, i, *it->second.owner);
      }
    }
  }

  std::vector<const bgp_advertisement*> earlier;
  for (const auto& [key, a] : s.all<bgp_advertisement>()) {
    for (std::size_t i = 0; i < a.communities.size(); ++i) {
      const auto& c = a.communities[i];
      if (c.find(':') == std::string::npos && !alias_owner.contains(c)) {
        out.push_back(blame(a.meta, advert_kind, "spec.communities[" + std::to_string(i) + "]",
                            "community alias \"" + c + "\" is not defined in any Community"));
      }
    }
    const auto pools = pools_of(s, a);
    const int agg4 = a.aggregation_length.value_or(32);
    const int agg6 = a.aggregation_length_v6.value_or(128);
    for (const auto* pool : pools) {
      for (std::size_t i = 0; i < pool->ranges.size(); ++i) {
        const auto& r = pool->ranges[i];
        const bool v4 = r.family() == ip_family::v4;
        const int agg = v4 ? agg4 : agg6;
        if (agg < static_cast<int>(r.shortest_prefix())) {
          out.push_back(blame(a.meta, advert_kind, v4 ? "spec.aggregationLength" : "spec.aggregationLengthV6",
                              "invalid aggregation length " + std::to_string(agg) + ": prefix " + pool->addresses[i] +
                                  " in pool \"" + pool->meta.name + "\" is more specific than the aggregation length"));
        }
      }
    }
    for (const auto* b : earlier) {
      const bool flip = j.blames_earlier(advert_kind, b->meta, a.meta);
      const bgp_advertisement& blamed = flip ? *b : a;
      const bgp_advertisement& other = flip ? a : *b;
      const std::string other_text = "BGPAdvertisement " + other.meta.ns + "/" + other.meta.name +
                                     judge::in_file(blamed.meta, other.meta);
      if (same_spec(*b, a)) {
        out.push_back(blame(blamed.meta, advert_kind, "spec",
                            "duplicate definition of BGPAdvertisement: same spec as " + other_text +
                                j.stays(advert_kind, blamed.meta, other.meta)));
        continue;
      }
      if (!a.local_pref || !b->local_pref || *a.local_pref == *b->local_pref) continue;
      if (a.aggregation_length.value_or(32) != b->aggregation_length.value_or(32) ||
          a.aggregation_length_v6.value_or(128) != b->aggregation_length_v6.value_or(128) ||
          !same_set(a.node_selectors, b->node_selectors) || !same_set(a.peers, b->peers)) {
        continue;
      }
      const auto other_pools = pools_of(s, *b);
      auto shared = std::find_first_of(pools.begin(), pools.end(), other_pools.begin(), other_pools.end());
      if (shared == pools.end()) continue;
      out.push_back(blame(blamed.meta, advert_kind, "spec.localPref",
                          "LOCAL_PREF " + std::to_string(*blamed.local_pref) + " conflicts with " + other_text + " (" +
                              std::to_string(*other.local_pref) + ") for pool \"" + (*shared)->meta.name +
                              "\" with the same aggregation, nodes and peers" + j.stays(advert_kind, blamed.meta, other.meta)));
    }
    earlier.push_back(&a);
  }
}

// MetalLB DiscardNativeOnly (FRR and FRR-K8s modes, the default): one session per
// address (or interface) and VRF. The port is not part of MetalLB's identity, so two
// peers differing only in peerPort are refused as well.
std::string peer_identity(const bgp_peer& p) {
  const std::string id = p.peer_address ? p.peer_address->to_string() : p.interface.value_or("");
  return id + "-" + p.vrf.value_or("");
}

void check_peers(const snapshot& s, const judge& j, std::vector<error>& out) {
  auto duplicate = [&](const bgp_peer& blamed, const bgp_peer& other) {
    const bool by_address = blamed.peer_address.has_value();
    const std::string where = by_address ? "address " + blamed.peer_address->to_string() : "interface " + blamed.interface.value_or("");
    out.push_back(blame(blamed.meta, kind::bgp_peer, by_address ? "spec.peerAddress" : "spec.interface",
                        "duplicate BGPPeer: " + where + (blamed.vrf ? " in VRF \"" + *blamed.vrf + "\"" : "") +
                            " is already peered by BGPPeer " + other.meta.ns + "/" + other.meta.name +
                            judge::in_file(blamed.meta, other.meta) + j.stays(kind::bgp_peer, blamed.meta, other.meta)));
  };
  std::map<std::string, const bgp_peer*> identities;
  for (const auto& [key, p] : s.all<bgp_peer>()) {
    const auto [it, fresh] = identities.try_emplace(peer_identity(p), &p);
    if (!fresh) {
      if (j.blames_earlier(kind::bgp_peer, it->second->meta, p.meta)) duplicate(*it->second, p);
      else duplicate(p, *it->second);
    }
    if (p.bfd_profile && !s.find<bfd_profile>(p.meta.ns, *p.bfd_profile)) {
      out.push_back(blame(p.meta, kind::bgp_peer, "spec.bfdProfile", "BFDProfile \"" + *p.bfd_profile + "\" does not exist"));
    }
    if (!p.password_secret) continue;
    const auto& ref = *p.password_secret;
    const auto* sec = s.find<secret>(ref.ns, ref.name);
    if (sec == nullptr) {
      out.push_back(blame(p.meta, kind::bgp_peer, "spec.passwordSecret", "Secret " + ref.ns + "/" + ref.name + " does not exist"));
    } else if (sec->type != "kubernetes.io/basic-auth") {
      out.push_back(blame(p.meta, kind::bgp_peer, "spec.passwordSecret",
                          "Secret " + ref.ns + "/" + ref.name + " has type \"" + sec->type + "\", want kubernetes.io/basic-auth"));
    } else if (!sec->data.contains("password")) {
      out.push_back(blame(p.meta, kind::bgp_peer, "spec.passwordSecret",
                          "Secret " + ref.ns + "/" + ref.name + " has no key \"password\""));
    }
  }
}

}  // namespace

std::vector<error> warnings(const snapshot& s) {
  std::vector<error> out;
  for (const auto& [key, p] : s.all<calico_bgp_peer>()) {
    for (const auto& f : p.ignored) out.push_back(blame(p.meta, kind::calico_bgp_peer, f.path, f.why));
  }
  for (const auto& [key, n] : s.all<calico_node>()) {
    for (const auto& f : n.ignored) out.push_back(blame(n.meta, kind::calico_node, f.path, f.why));
  }
  if (const auto* c = s.find<bgp_configuration>("", "default"); c != nullptr && c->node_to_node_mesh.value_or(false)) {
    out.push_back(blame(c->meta, kind::bgp_configuration, "spec.nodeToNodeMeshEnabled",
                        "ignored: bgplb makes no node-to-node mesh (it announces services to routers only); Calico's "
                        "own BGP keeps carrying pod routes"));
  }
  for (const auto& [key, a] : s.all<bgp_advertisement>()) {
    for (std::size_t i = 0; i < a.ip_address_pools.size(); ++i) {
      const auto& name = a.ip_address_pools[i];
      if (s.find<ip_address_pool>(a.meta.ns, name) != nullptr) continue;
      out.push_back(blame(a.meta, kind::bgp_advertisement, "spec.ipAddressPools[" + std::to_string(i) + "]",
                          "IPAddressPool \"" + name + "\" does not exist; the advertisement ignores it"));
    }
    for (std::size_t i = 0; i < a.peers.size(); ++i) {
      const auto& name = a.peers[i];
      // A node's Calico BGPPeers are its sessions too, named by their metadata.name.
      if (s.find<bgp_peer>(a.meta.ns, name) != nullptr || s.find<calico_bgp_peer>("", name) != nullptr) continue;
      out.push_back(blame(a.meta, kind::bgp_advertisement, "spec.peers[" + std::to_string(i) + "]",
                          "BGPPeer \"" + name + "\" does not exist; the advertisement goes to no session of that name"));
    }
  }
  return out;
}

std::vector<error> check_rules(const snapshot& s, const newcomer& is_new) {
  const judge j(is_new);
  std::vector<error> out;
  check_pools(s, j, out);
  check_advertisements(s, j, out);
  check_peers(s, j, out);
  return out;
}

// Keep in step with the check_* functions above: every kind they look at.
bool read_by_rules(kind k) {
  switch (k) {
    case kind::service:
    case kind::endpoint_slice:
    case kind::node:
    case kind::namespace_:
    case kind::calico_bgp_peer:
    case kind::calico_node:
      return false;
    case kind::secret:
    case kind::ip_address_pool:
    case kind::bgp_advertisement:
    case kind::community:
    case kind::bfd_profile:
    case kind::bgp_peer:
    case kind::bgp_configuration:
      return true;
  }
  return true;
}

std::vector<error> validate(const snapshot& s, const newcomer& is_new) {
  std::vector<error> out = s.conflicts();
  auto rules = check_rules(s, is_new);
  out.insert(out.end(), std::make_move_iterator(rules.begin()), std::make_move_iterator(rules.end()));
  return out;
}

}  // namespace model
