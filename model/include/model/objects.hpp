// The typed objects bgplb reads: core Kubernetes kinds, MetalLB's CRDs and Calico's
// BGPConfiguration, BGPPeer and Node. Plain aggregates named after the manifest fields
// (spec.autoAssign -> auto_assign); optional fields are std::optional so "unset" and "zero"
// stay apart, as the webhooks distinguish them. Decoding and per-object rules live in
// decode.hpp.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "model/calico_selector.hpp"
#include "model/ip.hpp"
#include "model/selector.hpp"
#include "model/shared_text.hpp"

namespace model {

enum class kind : std::uint8_t {
  service, endpoint_slice, node, namespace_, secret,
  ip_address_pool, bgp_advertisement, community, bfd_profile, bgp_peer, bgp_configuration,
  calico_bgp_peer, calico_node,
};
std::string_view kind_name(kind k);  // "Service", "IPAddressPool", "Calico BGPPeer", ...

// Identity of an object. Cluster-scoped kinds have an empty namespace.
struct object_key {
  model::kind kind = kind::service;
  std::string ns;
  std::string name;
  std::string to_string() const;  // "IPAddressPool metallb-system/prod", "Node n1"
  friend auto operator<=>(const object_key&, const object_key&) = default;
};

// The same identity seen in an object (ref_of) or in an object_key, without a copy; in
// object_key's order. Good while what it views lives.
struct object_ref {
  model::kind kind = kind::service;
  std::string_view ns;
  std::string_view name;
  object_ref() = default;
  object_ref(model::kind k, std::string_view n, std::string_view m) : kind(k), ns(n), name(m) {}
  object_ref(const object_key& k) : kind(k.kind), ns(k.ns), name(k.name) {}  // NOLINT: a lookup by an owned key
  object_key owned() const { return {kind, std::string(ns), std::string(name)}; }
  std::string to_string() const { return owned().to_string(); }
  friend auto operator<=>(const object_ref&, const object_ref&) = default;
  friend bool operator==(const object_ref&, const object_ref&) = default;
};

struct object_meta {
  shared_text api_version;  // decoded: one buffer per apiVersion bgplb serves
  std::string name;
  std::string ns;
  label_map labels;
  label_map annotations;
  shared_text file;  // where it was read from; one buffer per file decoded
  friend bool operator==(const object_meta&, const object_meta&) = default;
};

// ---- core/v1 and discovery.k8s.io/v1 ----

enum class ip_family_policy : std::uint8_t { single_stack, prefer_dual_stack, require_dual_stack };
enum class traffic_policy : std::uint8_t { cluster, local };

struct service_port {
  std::string name;
  std::string protocol = "TCP";
  std::int32_t port = 0;
  std::optional<std::int32_t> node_port;  // NodePort and LoadBalancer services
  friend bool operator==(const service_port&, const service_port&) = default;
};

// A value held behind a pointer: a kind that `object` holds (a variant is as large as its
// largest alternative, so without this every Service and EndpointSlice, 100,000s of them,
// would take a BGPPeer's 784 bytes; the few peers pay an allocation instead), or the part
// of a kind that few objects set (service::extra). A value: copies copy what it holds, ==
// compares that, and an empty box (made without a value, or moved from) reads as a
// default T and allocates nothing until it is written through.
template <class T>
class boxed {
 public:
  boxed() noexcept = default;
  boxed(T v) : p_(std::make_unique<T>(std::move(v))) {}  // NOLINT: implicit, as the kind itself converts
  boxed(const boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  boxed(boxed&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  boxed& operator=(boxed o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~boxed() = default;
  const T& operator*() const { return p_ ? *p_ : empty(); }
  const T* operator->() const { return &**this; }
  T& operator*() {
    if (!p_) p_ = std::make_unique<T>();
    return *p_;
  }
  T* operator->() { return &**this; }
  bool allocated() const noexcept { return p_ != nullptr; }
  friend bool operator==(const boxed& a, const boxed& b) { return *a == *b; }

 private:
  static const T& empty() {
    static const T none{};
    return none;
  }
  std::unique_ptr<T> p_;
};

// A Service's fields that few Services set, in a box of their own (service::extra): a
// Service is half the objects bgplb holds, and these 154 bytes, unset in most of them,
// would make each larger by more than half.
struct service_extra {
  std::vector<ip_address> external_ips;
  std::string load_balancer_ip;  // raw: MetalLB reports a bad value as an event, not a reject
  std::optional<std::string> load_balancer_class;
  std::vector<ip_family> ip_families;
  std::optional<ip_family_policy> family_policy;
  // sessionAffinity: ClientIP, with sessionAffinityConfig.clientIP.timeoutSeconds
  // (Kubernetes' default 10800); nullopt for None.
  std::optional<std::int32_t> session_affinity_timeout;
  std::vector<cidr> load_balancer_source_ranges;  // empty: any source
  friend bool operator==(const service_extra&, const service_extra&) = default;
};

struct service {
  object_meta meta;
  std::string type = "ClusterIP";
  std::vector<ip_address> cluster_ips;  // spec.clusterIPs, else spec.clusterIP; "None" dropped
  traffic_policy external_traffic_policy = traffic_policy::cluster;
  std::vector<service_port> ports;
  label_map selector;
  std::vector<ip_address> ingress_ips;  // status.loadBalancer.ingress[].ip
  // Read through a const Service, unset fields read as defaults without an allocation;
  // the decoder allocates the box only for a Service that sets one of them.
  boxed<service_extra> extra;
  friend bool operator==(const service&, const service&) = default;
};

struct endpoint {
  std::vector<ip_address> addresses;
  std::optional<std::string> node_name;
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

struct endpoint_port {
  std::optional<std::string> name;
  std::string protocol = "TCP";
  std::optional<std::int32_t> port;
  friend bool operator==(const endpoint_port&, const endpoint_port&) = default;
};

struct endpoint_slice {
  object_meta meta;
  std::string address_type;  // IPv4 | IPv6 | FQDN
  std::string service_name;  // label kubernetes.io/service-name
  std::vector<endpoint> endpoints;
  std::vector<endpoint_port> ports;
  friend bool operator==(const endpoint_slice&, const endpoint_slice&) = default;
};

struct node_condition {
  std::string type;
  std::string status;
  friend bool operator==(const node_condition&, const node_condition&) = default;
};

struct node_address {
  std::string type;
  std::string address;
  friend bool operator==(const node_address&, const node_address&) = default;
};

struct node {
  object_meta meta;
  std::vector<node_condition> conditions;
  std::vector<node_address> addresses;
  friend bool operator==(const node&, const node&) = default;
};

struct namespace_object {
  object_meta meta;
  friend bool operator==(const namespace_object&, const namespace_object&) = default;
};

struct secret {
  object_meta meta;
  std::string type = "Opaque";
  std::map<std::string, std::string> data;  // base64-decoded data merged with stringData
  friend bool operator==(const secret&, const secret&) = default;
};

// ---- metallb.io ----

struct service_allocation {
  std::optional<std::int32_t> priority;
  std::vector<std::string> namespaces;
  std::vector<label_selector> namespace_selectors;
  std::vector<label_selector> service_selectors;
  friend bool operator==(const service_allocation&, const service_allocation&) = default;
};

struct ip_address_pool {
  object_meta meta;
  std::vector<std::string> addresses;  // as written
  std::vector<ip_range> ranges;        // parsed, one per addresses[] entry
  bool auto_assign = true;
  bool avoid_buggy_ips = false;
  std::optional<service_allocation> allocation;
  friend bool operator==(const ip_address_pool&, const ip_address_pool&) = default;
};

struct bgp_advertisement {
  object_meta meta;
  std::optional<std::int32_t> aggregation_length;     // default 32
  std::optional<std::int32_t> aggregation_length_v6;  // default 128
  std::optional<std::uint32_t> local_pref;
  std::vector<std::string> communities;
  std::vector<std::string> ip_address_pools;
  std::vector<label_selector> ip_address_pool_selectors;
  std::vector<label_selector> node_selectors;
  std::vector<std::string> peers;
  std::vector<label_selector> service_selectors;
  friend bool operator==(const bgp_advertisement&, const bgp_advertisement&) = default;
};

struct community_alias {
  std::string name;
  std::string value;
  friend bool operator==(const community_alias&, const community_alias&) = default;
};

struct community {
  object_meta meta;
  std::vector<community_alias> communities;
  friend bool operator==(const community&, const community&) = default;
};

struct bfd_profile {
  object_meta meta;
  std::optional<std::uint32_t> receive_interval;
  std::optional<std::uint32_t> transmit_interval;
  std::optional<std::uint32_t> detect_multiplier;
  std::optional<std::uint32_t> echo_interval;
  std::optional<bool> echo_mode;
  std::optional<bool> passive_mode;
  std::optional<std::uint32_t> minimum_ttl;
  friend bool operator==(const bfd_profile&, const bfd_profile&) = default;
};

struct secret_reference {
  std::string name;
  std::string ns;
  friend bool operator==(const secret_reference&, const secret_reference&) = default;
};

// v1beta2 and v1beta1 decode into this one shape (v1beta1 lacks some fields).
struct bgp_peer {
  object_meta meta;
  std::uint32_t my_asn = 0;
  std::optional<std::uint32_t> peer_asn;
  std::optional<std::string> dynamic_asn;  // internal | external
  std::optional<std::uint32_t> local_asn;
  std::optional<ip_address> peer_address;
  std::optional<std::string> interface;
  std::optional<ip_address> source_address;
  std::uint16_t peer_port = 179;
  std::optional<std::chrono::milliseconds> hold_time;
  std::optional<std::chrono::milliseconds> keepalive_time;
  std::optional<std::chrono::milliseconds> connect_time;
  std::optional<ip_address> router_id;
  std::vector<label_selector> node_selectors;
  std::optional<std::string> password;
  std::optional<secret_reference> password_secret;
  std::optional<std::string> bfd_profile;
  bool enable_graceful_restart = false;
  bool ebgp_multihop = false;
  std::optional<std::string> vrf;
  bool disable_mp = false;
  bool dual_stack_address_family = false;
  friend bool operator==(const bgp_peer&, const bgp_peer&) = default;
};

// ---- Calico ----

struct prefix_advertisement {
  cidr prefix;
  std::vector<std::string> communities;
  friend bool operator==(const prefix_advertisement&, const prefix_advertisement&) = default;
};

struct bgp_configuration {
  object_meta meta;
  std::optional<std::uint32_t> as_number;  // the AS of Calico's nodes without their own
  std::optional<bool> node_to_node_mesh;   // spec.nodeToNodeMeshEnabled: read to say bgplb makes no mesh
  std::vector<cidr> service_cluster_ips;
  std::vector<cidr> service_external_ips;
  std::vector<cidr> service_load_balancer_ips;
  std::vector<community_alias> communities;
  std::vector<prefix_advertisement> prefix_advertisements;
  friend bool operator==(const bgp_configuration&, const bgp_configuration&) = default;
};

// A field bgplb reads but does not act on, and what that means for the session; reported
// by model::warnings(), never refused (Calico accepts it).
struct ignored_field {
  std::string path;  // "spec.ttlSecurity"
  std::string why;
  friend bool operator==(const ignored_field&, const ignored_field&) = default;
};

struct secret_key_reference {
  std::string name;
  std::string key;
  friend bool operator==(const secret_key_reference&, const secret_key_reference&) = default;
};

// Calico's BGPPeer: sessions from Calico's nodes to a router (cluster-scoped). A peer with
// peerSelector or localWorkloadSelector peers with Calico nodes or workloads, which bgplb
// does not do: it is read, warned about and not run.
struct calico_bgp_peer {
  object_meta meta;
  std::string node;                              // spec.node: only this node
  std::optional<calico_selector> node_selector;  // spec.nodeSelector; neither: every node
  std::optional<ip_address> peer_ip;             // spec.peerIP without its port
  std::optional<std::uint16_t> peer_port;        // spec.peerIP's port (IPv4:port, [IPv6]:port)
  std::optional<std::uint32_t> as_number;        // spec.asNumber, plain or dotted (asdot)
  std::optional<std::uint32_t> local_as_number;  // spec.localASNumber
  std::optional<calico_selector> peer_selector;  // spec.peerSelector
  bool keep_original_next_hop = false;           // spec.keepOriginalNextHop, or nextHopMode Keep
  std::optional<secret_key_reference> password;  // spec.password.secretKeyRef
  bool source_node_ip = true;                    // spec.sourceAddress: UseNodeIP (default) or None
  std::optional<std::chrono::milliseconds> max_restart_time;  // spec.maxRestartTime
  std::optional<std::chrono::milliseconds> keepalive_time;    // spec.keepaliveTime
  std::vector<ignored_field> ignored;
  friend bool operator==(const calico_bgp_peer&, const calico_bgp_peer&) = default;
};

// Calico's Node (projectcalico.org/v3): the node's BGP identity. Calico's Kubernetes
// datastore keeps the same facts as annotations of the v1 Node (projectcalico.org/
// IPv4Address, IPv6Address, ASNumber), which the speaker reads when there is no such object.
struct calico_node {
  object_meta meta;
  std::optional<std::uint32_t> as_number;  // spec.bgp.asNumber
  std::optional<ip_address> ipv4_address;  // spec.bgp.ipv4Address ("10.0.0.1/24": the address)
  std::optional<ip_address> ipv6_address;  // spec.bgp.ipv6Address
  std::vector<ignored_field> ignored;
  friend bool operator==(const calico_node&, const calico_node&) = default;
};

template <class T>
struct held_as {
  using type = T;
};
template <>
struct held_as<bgp_peer> {
  using type = boxed<bgp_peer>;
};
template <>
struct held_as<calico_bgp_peer> {
  using type = boxed<calico_bgp_peer>;
};
// The largest of the other kinds (a few of them in any cluster): in the variant it would
// make every Service and EndpointSlice larger.
template <>
struct held_as<bgp_advertisement> {
  using type = boxed<bgp_advertisement>;
};

using object = std::variant<service, endpoint_slice, node, namespace_object, secret,
                            ip_address_pool, held_as<bgp_advertisement>::type, community, bfd_profile,
                            held_as<bgp_peer>::type, bgp_configuration, held_as<calico_bgp_peer>::type,
                            calico_node>;
using object_ptr = std::shared_ptr<const object>;

template <class T, std::size_t I = 0>
constexpr model::kind kind_for() {
  if constexpr (std::is_same_v<typename held_as<T>::type, std::variant_alternative_t<I, object>>)
    return static_cast<model::kind>(I);
  else return kind_for<T, I + 1>();
}

// The kind behind a variant alternative: T for boxed<T>.
template <class A>
struct unboxed {
  using type = A;
};
template <class T>
struct unboxed<boxed<T>> {
  using type = T;
};
template <class A>
using unboxed_t = typename unboxed<A>::type;

// std::visit over the kind an object holds, boxed or not: f gets a T& (const with a
// const object).
template <class F, class O>
  requires std::is_same_v<std::remove_cvref_t<O>, object>
decltype(auto) visit_kind(F&& f, O&& o) {
  return std::visit(
      [&]<class A>(A&& held) -> decltype(auto) {
        if constexpr (std::is_same_v<unboxed_t<std::remove_cvref_t<A>>, std::remove_cvref_t<A>>) return f(held);
        else return f(*held);
      },
      o);
}

// The T an object holds (it must hold one), boxed or not.
template <class T>
const T& as(const object& o) {
  const auto& held = std::get<typename held_as<T>::type>(o);
  if constexpr (std::is_same_v<typename held_as<T>::type, T>) return held;
  else return *held;
}

const object_meta& meta_of(const object& o);
model::kind kind_of(const object& o);
object_key key_of(const object& o);
object_ref ref_of(const object& o);  // views into o's metadata

// Annotation and label names bgplb reads.
namespace annotations {
inline constexpr std::string_view address_pool = "metallb.io/address-pool";
inline constexpr std::string_view load_balancer_ips = "metallb.io/loadBalancerIPs";
inline constexpr std::string_view allow_shared_ip = "metallb.io/allow-shared-ip";
inline constexpr std::string_view allocated_from_pool = "metallb.io/ip-allocated-from-pool";
inline constexpr std::string_view deprecated_prefix = "metallb.universe.tf/";
inline constexpr std::string_view current_prefix = "metallb.io/";
// Calico's Kubernetes datastore: a node's BGP identity on the v1 Node.
inline constexpr std::string_view calico_ipv4_address = "projectcalico.org/IPv4Address";
inline constexpr std::string_view calico_ipv6_address = "projectcalico.org/IPv6Address";
inline constexpr std::string_view calico_as_number = "projectcalico.org/ASNumber";
}  // namespace annotations

}  // namespace model
