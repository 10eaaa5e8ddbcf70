// model::ledger: the durable record of which service holds which addresses. The allocator
// reads the previous ledger and returns the next one; a datastore persists it (state
// directory for the file backend). Restoring from it is what keeps addresses stable across
// controller restarts and deletions of other services.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ip.hpp"

namespace model {

struct ledger_entry {
  std::string ns;
  std::string name;
  std::vector<ip_address> ips;  // one per family, in allocation order
  std::string pool;
  std::int64_t since = 0;       // unix seconds of the first allocation
  friend bool operator==(const ledger_entry&, const ledger_entry&) = default;
};

// An address released by a deleted service, held against other services until
// released_at + hold-down so a delete-and-recreate gets it back.
struct ledger_hold {
  ip_address ip;
  std::string ns;
  std::string name;
  std::string pool;
  std::int64_t released_at = 0;
  friend bool operator==(const ledger_hold&, const ledger_hold&) = default;
};

struct ledger {
  std::uint64_t revision = 0;
  std::vector<ledger_entry> entries;  // sorted by namespace, name
  std::vector<ledger_hold> holds;     // sorted by address
  friend bool operator==(const ledger&, const ledger&) = default;
};

}  // namespace model
