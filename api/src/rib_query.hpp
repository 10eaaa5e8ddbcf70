// Which destinations a ListPath/GetTable request selects: GoBGP's prefix lookups.
// EXACT with a CIDR matches that prefix; a bare address is a longest match (/32 or
// /128 down to /0); LONGER selects the prefix and everything more specific; SHORTER
// every covering prefix, the prefix included. Pure.
#pragma once

#include <bgp/types.hpp>

#include <optional>
#include <string>
#include <vector>

namespace api::rib_query {

struct lookup {
  enum class kind { exact, longer, shorter } how = kind::exact;
  bgp::prefix target;
  bool bare_address = false;  // "10.9.9.9" rather than "10.9.9.9/32"
};

// nullopt (with `error`) when the text is neither a CIDR nor an address of family f.
std::optional<lookup> parse(const std::string& text, int type, bool ipv4, std::string& error);

bool covers(const bgp::prefix& outer, const bgp::prefix& inner);

// The destinations of `have` that any of `lookups` selects (all when there are none),
// in the order of `have`.
std::vector<bgp::prefix> select(const std::vector<bgp::prefix>& have, const std::vector<lookup>& lookups);

}  // namespace api::rib_query
