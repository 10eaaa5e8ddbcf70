// What the allocator reads from one Service: annotations (metallb.io/ and the deprecated
// metallb.universe.tf/ spellings), requested addresses, IP family needs, the sharing and
// backend keys and ports (MetalLB internal/k8s/... SharingKey, BackendKey, Ports).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/objects.hpp"
#include "model/status.hpp"
#include "usage.hpp"

namespace controller::detail {

// The annotation `metallb.io/<suffix>`, else `metallb.universe.tf/<suffix>` with a
// deprecatedAnnotation warning appended to `events`.
std::optional<std::string> annotation(const model::service& s, std::string_view suffix, std::vector<model::event>& events);

// The pool MetalLB recorded the service's addresses against (metallb.io/ip-allocated-from-pool,
// or its metallb.universe.tf/ spelling, without a warning: the controller wrote it), or "".
std::string recorded_pool(const model::service& s);

struct requested_ips {
  std::vector<model::ip_address> ips;  // empty: nothing requested
  std::string error;                   // the request is malformed
};
requested_ips requested(const model::service& s, std::vector<model::event>& events);

// The families a service needs: those of its cluster IPs (MetalLB ipfamily.ForService);
// without one (a manifest no API server filled in), what the API server would give it
// from spec.ipFamilies and spec.ipFamilyPolicy (IPv4 when neither says otherwise).
struct family_need {
  std::vector<model::ip_family> families;  // cluster IP order; two means dual-stack
  bool prefer_dual = false;                // PreferDualStack: one family is acceptable
};
family_need needs(const model::service& s);

// The sharing key, and with one the backend key and ports.
sharing sharing_keys(const model::service& s, std::vector<model::event>& events);

// Go's %q of a []net.IP: ["10.0.0.1" "fd00::1"].
std::string quote(const std::vector<model::ip_address>& ips);

}  // namespace controller::detail
