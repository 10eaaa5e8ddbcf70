// Calico's selector expressions (projectcalico.org/v3 BGPPeer nodeSelector and
// peerSelector): `all()`, `global()`, `has(k)`, `k == 'v'`, `k != 'v'`, `k in {'a','b'}`,
// `k not in {...}`, `k contains 's'`, `k starts with 's'`, `k ends with 's'`, `!`, `&&`,
// `||` and parentheses, with Calico's meanings (libcalico-go lib/selector): `!=` and
// `not in` also match a resource without the label; the other comparisons need it. An
// empty expression selects everything.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/selector.hpp"

namespace model {

class calico_selector {
 public:
  calico_selector();  // all()
  // The expression, or the reason it does not parse ("expected ) at offset 12").
  struct parsed;
  static parsed parse(std::string_view text);

  bool matches(const label_map& labels) const;
  const std::string& text() const { return text_; }
  friend bool operator==(const calico_selector& a, const calico_selector& b) { return a.text_ == b.text_; }

  struct node;

 private:
  std::string text_;
  std::shared_ptr<const node> root_;  // immutable, shared by copies
};

struct calico_selector::parsed {
  std::optional<calico_selector> selector;
  std::string error;
};

}  // namespace model
