// Helpers for allocator tests: manifests written inline, results rendered as one line per
// service so tables read like the expected `bgplb plan` output.
#pragma once

#include <string>
#include <vector>

#include "controller/allocate.hpp"

namespace controller::test {

// A LoadBalancer Service; `spec` and `meta` are extra flow-map entries.
std::string svc(const std::string& ns, const std::string& name, const std::string& spec = "",
                const std::string& meta = "");
// An IPAddressPool in metallb-system; `spec` holds extra flow-map entries.
std::string pool(const std::string& name, const std::string& addresses, const std::string& spec = "",
                 const std::string& meta = "");

model::snapshot snapshot_of(const std::string& manifests);

// "ns/name: 10.0.0.1 (pool)" then one "  Type Reason: message" line per event.
std::vector<std::string> render(const result& r);
std::vector<std::string> render_pools(const result& r);
std::string render_ledger(const model::ledger& l);

}  // namespace controller::test
