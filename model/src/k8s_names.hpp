// Kubernetes object name syntax (k8s.io/apimachinery/pkg/util/validation, the
// rules the API server applies before any webhook): RFC 1123 subdomains for most
// names, RFC 1123 labels for namespaces, RFC 1035 labels for Services. Each function
// returns "" for a valid name, else the rule broken in the API server's words.
#pragma once

#include <string>
#include <string_view>

namespace model::k8s_names {

std::string dns1123_subdomain(std::string_view name);  // max 253, [a-z0-9.-], alnum ends
std::string dns1123_label(std::string_view name);      // max 63, [a-z0-9-], alnum ends
std::string dns1035_label(std::string_view name);      // max 63, [a-z0-9-], starts with a letter

}  // namespace model::k8s_names
