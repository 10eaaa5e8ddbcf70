// The Kubernetes API datastore behind store::datastore (store/src/kubernetes/README.md).
//
//   kubernetes:                          in-cluster (service account, KUBERNETES_SERVICE_*)
//   kubernetes:?kubeconfig=PATH[&context=NAME]   from a kubeconfig
//
// with optional parameters namespace=, lease=, ledger=, identity=, allow-insecure=true,
// page-size=, timeout=, lease-duration=, renew-deadline=, retry-period= (see the README).
#pragma once

#include <memory>
#include <string_view>

#include "store/datastore.hpp"

namespace store {

// True for URIs this backend opens ("kubernetes:...").
bool is_kubernetes_uri(std::string_view uri);

// Opens the datastore; nothing is read until start(). Throws std::invalid_argument with
// a sentence naming the URI and what is wrong (unknown parameter, unreadable kubeconfig,
// no such context, insecure-skip-tls-verify not allowed, not in a cluster, bad PEM).
std::unique_ptr<datastore> open_kubernetes(std::string_view uri, const open_options& options);

}  // namespace store
