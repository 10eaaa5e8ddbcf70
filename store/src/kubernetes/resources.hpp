// The API resources the Kubernetes datastore lists and watches, one row per model kind:
// where the collection lives (group, versions, plural), which namespaces it is read from,
// and the paths of its collection and objects. A new kind is a new row.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "model/objects.hpp"

namespace store::kubernetes {

enum class scope : std::uint8_t {
  cluster,         // cluster-scoped kind (Node, Namespace, BGPConfiguration)
  all_namespaces,  // every namespace (Service, EndpointSlice)
  own_namespace,   // the datastore's namespace only (MetalLB's kinds, Secrets)
};

struct resource {
  model::kind kind;
  std::string_view kind_text;    // "IPAddressPool"
  std::string_view group;        // "" for the core group
  std::string_view versions[2];  // preferred, then the one tried when it is not served
  std::string_view plural;       // "ipaddresspools"
  scope where;
};

inline constexpr std::array<resource, 12> resources{{
    {model::kind::service, "Service", "", {"v1", ""}, "services", scope::all_namespaces},
    {model::kind::endpoint_slice, "EndpointSlice", "discovery.k8s.io", {"v1", ""}, "endpointslices", scope::all_namespaces},
    {model::kind::node, "Node", "", {"v1", ""}, "nodes", scope::cluster},
    {model::kind::namespace_, "Namespace", "", {"v1", ""}, "namespaces", scope::cluster},
    // MetalLB reads BGP password Secrets from its own namespace only.
    {model::kind::secret, "Secret", "", {"v1", ""}, "secrets", scope::own_namespace},
    {model::kind::ip_address_pool, "IPAddressPool", "metallb.io", {"v1beta1", ""}, "ipaddresspools", scope::own_namespace},
    {model::kind::bgp_advertisement, "BGPAdvertisement", "metallb.io", {"v1beta1", ""}, "bgpadvertisements", scope::own_namespace},
    {model::kind::community, "Community", "metallb.io", {"v1beta1", ""}, "communities", scope::own_namespace},
    {model::kind::bfd_profile, "BFDProfile", "metallb.io", {"v1beta1", ""}, "bfdprofiles", scope::own_namespace},
    {model::kind::bgp_peer, "BGPPeer", "metallb.io", {"v1beta2", "v1beta1"}, "bgppeers", scope::own_namespace},
    {model::kind::bgp_configuration, "BGPConfiguration", "crd.projectcalico.org", {"v1", ""}, "bgpconfigurations", scope::cluster},
    // Calico's own ToR sessions (absent without Calico's CRDs: nothing of that kind). Calico's
    // Node is not read from the API: with its Kubernetes datastore it lives in Node annotations.
    {model::kind::calico_bgp_peer, "BGPPeer", "crd.projectcalico.org", {"v1", ""}, "bgppeers", scope::cluster},
}};

const resource& resource_of(model::kind k);

// "v1", "metallb.io/v1beta1".
std::string api_version(const resource& r, std::string_view version);
// "/api/v1", "/apis/metallb.io/v1beta1".
std::string group_path(std::string_view group, std::string_view version);
// The collection read with this version: "/api/v1/services",
// "/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools".
std::string collection_path(const resource& r, std::string_view version, std::string_view ns);
// One object: collection (in `ns` when namespaced) + "/" + name.
std::string object_path(const resource& r, std::string_view version, std::string_view ns, std::string_view name);

// The name the datastore gives an object in model errors and object_meta::file, unique
// per object: "services/default/web.json", "ipaddresspools.metallb.io/metallb-system/p.json",
// "nodes/n1.json". The ".json" lets the file backend's machinery take it as a manifest.
std::string object_file(const resource& r, std::string_view ns, std::string_view name);
// The prefix every object_file of the resource starts with: "services/".
std::string file_prefix(const resource& r);

// Percent-encoding of a query parameter value (RFC 3986 §2.3 unreserved kept).
std::string query_escape(std::string_view value);

}  // namespace store::kubernetes
