// A route the speaker originates: what the owner of a bgp::speaker announces, and what
// the speaker's route tables (src/rib) hold. A plain value.
#pragma once

#include <bgp/message.hpp>
#include <bgp/types.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace bgp {

// The speaker derives each peer's attributes from it: own AS prepended and no
// LOCAL_PREF toward eBGP; LOCAL_PREF (default 100) toward iBGP; next hop self unless
// `next_hop` is set.
struct route {
  prefix destination;
  std::optional<ip_address> next_hop;
  origin_type origin = origin_type::igp;
  std::vector<std::uint32_t> as_path;       // after our own AS (eBGP)
  std::vector<std::uint32_t> communities;
  std::vector<large_community> large_communities;
  std::vector<std::uint64_t> extended_communities;
  std::optional<std::uint32_t> med;
  std::optional<std::uint32_t> local_pref;  // iBGP only

  friend bool operator==(const route&, const route&) = default;
};

}  // namespace bgp
