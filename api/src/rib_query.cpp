// GoBGP's prefix lookups over a list of destinations (see rib_query.hpp).
#include "rib_query.hpp"

#include <algorithm>

namespace api::rib_query {

std::optional<lookup> parse(const std::string& text, int type, bool ipv4, std::string& error) {
  lookup l;
  if (type < 0 || type > 2) {
    error = "unknown lookup type " + std::to_string(type);
    return std::nullopt;
  }
  l.how = static_cast<lookup::kind>(type);
  const auto p = bgp::prefix::parse(text);
  if (!p || p->is_v4() != ipv4) {
    error = "invalid prefix " + text + " for " + (ipv4 ? "ipv4" : "ipv6");
    return std::nullopt;
  }
  l.target = *p;
  l.bare_address = text.find('/') == std::string::npos;
  return l;
}

bool covers(const bgp::prefix& outer, const bgp::prefix& inner) {
  if (outer.is_v4() != inner.is_v4() || outer.length > inner.length) return false;
  return bgp::prefix::make(inner.address, outer.length) == outer;
}

std::vector<bgp::prefix> select(const std::vector<bgp::prefix>& have, const std::vector<lookup>& lookups) {
  if (lookups.empty()) return have;
  std::vector<bool> chosen(have.size(), false);
  for (const auto& l : lookups) {
    if (l.how == lookup::kind::exact && l.bare_address) {
      // Longest match: the most specific destination that covers the address.
      std::optional<std::size_t> best;
      for (std::size_t i = 0; i < have.size(); ++i)
        if (covers(have[i], l.target) && (!best || have[i].length > have[*best].length)) best = i;
      if (best)
        for (std::size_t i = 0; i < have.size(); ++i)
          if (have[i] == have[*best]) chosen[i] = true;
      continue;
    }
    for (std::size_t i = 0; i < have.size(); ++i) {
      const bool hit = l.how == lookup::kind::exact    ? have[i] == l.target
                       : l.how == lookup::kind::longer ? covers(l.target, have[i])
                                                        : covers(have[i], l.target);
      if (hit) chosen[i] = true;
    }
  }
  std::vector<bgp::prefix> out;
  for (std::size_t i = 0; i < have.size(); ++i)
    if (chosen[i]) out.push_back(have[i]);
  return out;
}

}  // namespace api::rib_query
