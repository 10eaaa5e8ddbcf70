// The values of the ledger and status keys (layout.hpp): each is the JSON object that the
// file backend's ledger.json / status.json hold for that item, so one strict reader
// (store::file::decode_ledger, decode_status) checks both; errors name the etcd key and
// the field path within its value.
//
//   P/v1/ledger/services/NS/NAME   {"namespace","name","ips":[...],"pool","since"}
//   P/v1/ledger/holds/ADDRESS      {"ip","namespace","name","pool","released_at"}
//   P/v1/ledger/revision           {"format":"bgplb-ledger","version":1,"revision":N}
//   P/controller/status/pools      status.json with no services
//   P/controller/status/services/NS/NAME   status.json's services[] item
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "layout.hpp"
#include "model/error.hpp"
#include "model/ledger.hpp"
#include "model/status.hpp"
#include "store/backend.hpp"
#include "store/state_dir.hpp"

namespace store::etcd {

std::string encode_entry(const model::ledger_entry& e);
std::string encode_hold(const model::ledger_hold& h);
std::string encode_revision(std::uint64_t revision);
std::string encode_service_status(const model::service_status& s);
std::string encode_pools_status(const state& s);  // pools, config errors and revision

template <class T>
struct read_result {
  std::optional<T> value;  // set iff errors is empty
  std::vector<model::error> errors;
};

// Each checks that the value names what its key names (the service, the address).
read_result<model::ledger_entry> decode_entry(std::string_view key, const layout::parsed& p, std::string_view text);
read_result<model::ledger_hold> decode_hold(std::string_view key, const layout::parsed& p, std::string_view text);
read_result<std::uint64_t> decode_revision(std::string_view key, std::string_view text);

// The whole ledger from its keys (any order), strictly: the first bad key refuses it.
struct ledger_key {
  std::string key;
  std::string value;
};
ledger_read decode_ledger_keys(const layout& l, const std::vector<ledger_key>& keys);

// The controller's status (bgplbctl pools) from the keys under P/controller/status/ (any
// order): the pools key and every service's, read as status.json is; errors name the key.
file::status_read decode_status_keys(const layout& l, const std::vector<ledger_key>& keys);

}  // namespace store::etcd
