// Where bgplb keeps things in etcd, under the URI's prefix P (default /bgplb):
//
//   P/v1/<group>/<resource>/<namespace>/<name>   one object (a namespaced kind)
//   P/v1/<group>/<resource>/<name>               one object (Node, Namespace, BGPConfiguration)
//   P/v1/ledger/services/<namespace>/<name>      the addresses a service holds
//   P/v1/ledger/holds/<address>                  an address held for a deleted service
//   P/v1/ledger/revision                         the ledger's revision, written last
//   P/controller/election/<lease id>             one key per campaigning controller
//   P/controller/status/pools                    pool usage and config errors (display)
//   P/controller/status/services/<namespace>/<name>   a service's status (display)
//
// Everyone watches P/v1/ (objects and ledger); only controllers touch P/controller/.
// An object's value is its YAML or JSON document, as in a manifest directory; groups and
// resources are Kubernetes' ("core" for the core group): services, endpointslices, nodes,
// namespaces, secrets, ipaddresspools, bgpadvertisements, communities, bfdprofiles,
// bgppeers, bgpconfigurations.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/ip.hpp"
#include "model/objects.hpp"

namespace store::etcd {

struct kind_row {
  model::kind kind;
  std::string_view group;
  std::string_view resource;
  bool namespaced;
};

// The row of a kind, by Kind ("IPAddressPool"), resource ("ipaddresspools") or the
// singular of the resource ("ipaddresspool"), in any case; nullptr when none.
const kind_row* find_kind(std::string_view name);
const kind_row& row_of(model::kind k);

// The end of etcd's range of keys beginning with `prefix` (the prefix with its last byte
// incremented; "\0" when no such key exists, which etcd reads as "to the end").
std::string range_end(std::string_view prefix);

class layout {
 public:
  explicit layout(std::string prefix);

  const std::string& prefix() const { return prefix_; }
  std::string data_prefix() const { return prefix_ + "/v1/"; }  // watched: objects and ledger

  std::string key(const model::object_key& k) const;
  std::string kind_prefix(model::kind k) const;  // every object of a kind

  // What a key under data_prefix() is.
  struct parsed {
    enum class what { object, ledger_entry, ledger_hold, ledger_revision, unknown };
    what kind = what::unknown;
    model::object_key object;  // object: kind, namespace, name; ledger_entry: namespace, name
    std::string hold;          // ledger_hold: the address as written in the key
  };
  parsed parse(std::string_view key) const;
  std::string unknown_reason() const;  // why a key parsed as `unknown` is not ours

  std::string ledger_prefix() const { return prefix_ + "/v1/ledger/"; }
  std::string ledger_entry_key(const std::string& ns, const std::string& name) const;
  std::string ledger_hold_key(const model::ip_address& ip) const;
  std::string ledger_revision_key() const { return prefix_ + "/v1/ledger/revision"; }

  std::string election_prefix() const { return prefix_ + "/controller/election/"; }
  std::string status_prefix() const { return prefix_ + "/controller/status/"; }
  std::string status_pools_key() const { return prefix_ + "/controller/status/pools"; }
  std::string status_service_key(const std::string& ns, const std::string& name) const;

 private:
  std::string prefix_;
};

}  // namespace store::etcd
