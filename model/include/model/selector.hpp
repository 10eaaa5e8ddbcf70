// Kubernetes label selectors (metav1.LabelSelector) and their matching rules, as used by
// IPAddressPool serviceAllocation, BGPAdvertisement and BGPPeer node selectors.
#pragma once

#include <boost/container/flat_map.hpp>

#include <string>
#include <vector>

namespace model {

// Labels and annotations: a sorted vector, not a tree. Most objects have none or a few,
// and every Service and EndpointSlice carries two of these maps: a tree costs a node and
// its allocation per entry, and twice the size empty (docs/memory.md).
using label_map = boost::container::flat_map<std::string, std::string>;

enum class selector_op { in, not_in, exists, does_not_exist };

struct label_requirement {
  std::string key;
  selector_op op = selector_op::in;
  std::vector<std::string> values;
  friend bool operator==(const label_requirement&, const label_requirement&) = default;
};

struct label_selector {
  label_map match_labels;
  std::vector<label_requirement> match_expressions;

  // An empty selector matches everything (metav1.LabelSelectorAsSelector).
  bool matches(const label_map& l) const;
  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  friend bool operator==(const label_selector&, const label_selector&) = default;
};

// labels.Set(m).String(): "k1=v1,k2=v2" in key order; MetalLB's backend key for
// externalTrafficPolicy Local.
std::string to_selector_string(const label_map& l);

}  // namespace model
