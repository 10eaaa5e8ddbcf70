// Names and keys of model objects, error formatting and label selector matching.
#include "model/objects.hpp"

#include <algorithm>

#include "model/error.hpp"

namespace model {

std::string_view kind_name(kind k) {
  switch (k) {
    case kind::service: return "Service";
    case kind::endpoint_slice: return "EndpointSlice";
    case kind::node: return "Node";
    case kind::namespace_: return "Namespace";
    case kind::secret: return "Secret";
    case kind::ip_address_pool: return "IPAddressPool";
    case kind::bgp_advertisement: return "BGPAdvertisement";
    case kind::community: return "Community";
    case kind::bfd_profile: return "BFDProfile";
    case kind::bgp_peer: return "BGPPeer";
    case kind::bgp_configuration: return "BGPConfiguration";
    case kind::calico_bgp_peer: return "Calico BGPPeer";
    case kind::calico_node: return "Calico Node";
  }
  return "?";
}

std::string object_key::to_string() const {
  std::string out(kind_name(kind));
  out += ' ';
  if (!ns.empty()) out += ns + "/";
  out += name;
  return out;
}

const object_meta& meta_of(const object& o) {
  return visit_kind([](const auto& x) -> const object_meta& { return x.meta; }, o);
}

kind kind_of(const object& o) { return static_cast<kind>(o.index()); }

object_key key_of(const object& o) {
  const auto& m = meta_of(o);
  return {kind_of(o), m.ns, m.name};
}

object_ref ref_of(const object& o) {
  const auto& m = meta_of(o);
  return {kind_of(o), m.ns, m.name};
}

std::string error::to_string() const {
  std::string out = file;
  for (const auto* part : {&object, &path, &message}) {
    if (part->empty()) continue;
    if (!out.empty()) out += ": ";
    out += *part;
  }
  return out;
}

std::string to_string(const std::vector<error>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.to_string() + "\n";
  return out;
}

bool label_selector::matches(const label_map& l) const {
  for (const auto& [k, v] : match_labels) {
    auto it = l.find(k);
    if (it == l.end() || it->second != v) return false;
  }
  for (const auto& r : match_expressions) {
    auto it = l.find(r.key);
    const bool has = it != l.end();
    const bool listed = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case selector_op::in: if (!listed) return false; break;
      case selector_op::not_in: if (listed) return false; break;
      case selector_op::exists: if (!has) return false; break;
      case selector_op::does_not_exist: if (has) return false; break;
    }
  }
  return true;
}

std::string to_selector_string(const label_map& l) {
  std::string out;
  for (const auto& [k, v] : l) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

}  // namespace model
