// The etcd datastore's factory, for store::open's "etcd:" branch:
//
//   if (uri.starts_with("etcd:")) return store::etcd::open_etcd(uri, options);
//
// URI form: uri.hpp. What it uses of open_options: controller (writer() and campaign()
// available), node (the campaign key's value, for etcdctl readers), coalesce; state_dir
// and load_balancer_class are not used (the ledger and assignments live in etcd).
#pragma once

#include <memory>
#include <string_view>

#include "store/datastore.hpp"

namespace store::etcd {

// Throws std::invalid_argument (a sentence naming the URI) for a malformed URI or an
// unreadable certificate file. Connects lazily: an unreachable cluster is reported by
// health once start() runs, not here.
std::unique_ptr<datastore> open_etcd(std::string_view uri, const open_options& options);

}  // namespace store::etcd
