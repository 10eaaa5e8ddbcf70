// model::error: one broken rule in one place. Every configuration error names the file,
// the object (kind namespace/name), the field path and the rule, and prints as
//   pools.yaml: IPAddressPool metallb-system/prod: spec.addresses[1]: <rule>
#pragma once

#include <string>
#include <vector>

namespace model {

struct error {
  std::string file;     // as given to decode(); "" for errors not tied to a file
  std::string object;   // "IPAddressPool metallb-system/prod"; "" for file-level errors
  std::string path;     // "spec.addresses[1]"; "" when the whole object is meant
  std::string message;  // the rule broken, with the offending value

  std::string to_string() const;
  friend bool operator==(const error&, const error&) = default;
};

std::string to_string(const std::vector<error>& errors);

}  // namespace model
