// Kubernetes name syntax (see k8s_names.hpp).
#include "k8s_names.hpp"

#include <algorithm>

namespace model::k8s_names {

namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool label_ok(std::string_view s) {
  return !s.empty() && lower_alnum(s.front()) && lower_alnum(s.back()) &&
         std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

std::string too_long(std::string_view name, std::size_t max) {
  return "\"" + std::string(name) + "\" is invalid: must be no more than " + std::to_string(max) + " characters";
}

}  // namespace

std::string dns1123_subdomain(std::string_view name) {
  if (name.size() > 253) return too_long(name, 253);
  bool ok = !name.empty();
  for (std::string_view rest = name; ok;) {
    const auto dot = rest.find('.');
    ok = label_ok(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (ok) return "";
  return "\"" + std::string(name) +
         "\" is invalid: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
         "'.', and must start and end with an alphanumeric character";
}

std::string dns1123_label(std::string_view name) {
  if (name.size() > 63) return too_long(name, 63);
  if (label_ok(name)) return "";
  return "\"" + std::string(name) +
         "\" is invalid: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
         "must start and end with an alphanumeric character";
}

std::string dns1035_label(std::string_view name) {
  if (name.size() > 63) return too_long(name, 63);
  if (label_ok(name) && name.front() >= 'a' && name.front() <= 'z') return "";
  return "\"" + std::string(name) +
         "\" is invalid: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
         "alphabetic character, and end with an alphanumeric character";
}

}  // namespace model::k8s_names
