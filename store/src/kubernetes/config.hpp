// Where the Kubernetes datastore connects and as whom: the `kubernetes:` URI's
// parameters, the in-cluster configuration (KUBERNETES_SERVICE_HOST/PORT, the mounted
// service-account token and CA) and kubeconfig files (current or named context, client
// certificates, bearer token or token file, CA). Everything that can be wrong is refused
// here, at open(), with a sentence naming the file and field; file reads and the
// environment are injected so it is testable.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lease.hpp"

namespace store::kubernetes {

// The URI:  kubernetes:[?param=value&...]   (values percent-decoded)
//   kubeconfig=PATH      read a kubeconfig (else the in-cluster configuration)
//   context=NAME         the kubeconfig context (default: current-context)
//   namespace=NS         MetalLB's namespace: its objects, BGP password Secrets, the
//                        Lease and the ledger ConfigMap (default: metallb-system)
//   lease=NAME           the controller's Lease (default: bgplb-controller)
//   ledger=NAME          the ConfigMap holding released-address holds (default: bgplb-ledger)
//   identity=ID          this candidate's Lease holder identity (default: $POD_NAME or the
//                        host name, plus "_" and 8 random hex digits)
//   allow-insecure=true  accept a kubeconfig cluster with insecure-skip-tls-verify
//   page-size=N          LIST page size (default 500)
//   timeout=SECONDS      per request, watches excepted (default 30)
//   lease-duration=S, renew-deadline=S, retry-period=S
//                        leader election timing (default client-go's 15, 10, 2)
struct settings {
  std::optional<std::string> kubeconfig;
  std::optional<std::string> context;
  std::string ns = "metallb-system";
  std::string lease = "bgplb-controller";
  std::string ledger = "bgplb-ledger";
  std::string identity;  // empty: chosen at open()
  bool allow_insecure = false;
  std::size_t page_size = 500;
  std::chrono::seconds timeout{30};
  lease_timing timing;
};
// Throws std::invalid_argument naming the URI and what is wrong.
settings parse_uri(std::string_view uri);
bool is_kubernetes_uri(std::string_view uri);

struct endpoint_config {
  bool tls = true;
  std::string host;
  std::string port;
  std::string server_name;  // certificate name checked (and SNI): tls-server-name, else host
  std::string ca_pem;       // empty: the system's trust store
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure = false;  // insecure-skip-tls-verify, allowed by the URI
};

struct cluster_config {
  endpoint_config endpoint;
  std::string token;       // a fixed bearer token
  std::string token_file;  // re-read when it changes (projected, rotated tokens)
  std::string source;      // for describe(): "in-cluster" or "kubeconfig PATH (context C)"
};

using file_reader = std::function<std::optional<std::string>(const std::string& path)>;
using env_reader = std::function<std::optional<std::string>(const char* name)>;

// The kubeconfig at `path` (its text given); relative file names in it are relative to
// its directory. Throws std::invalid_argument.
cluster_config from_kubeconfig(const std::string& path, std::string_view text, const std::optional<std::string>& context,
                               bool allow_insecure, const file_reader& read);
// The pod's service account under `account_dir`
// (/var/run/secrets/kubernetes.io/serviceaccount). Throws std::invalid_argument.
cluster_config in_cluster(const env_reader& env, const std::string& account_dir, const file_reader& read);

inline constexpr std::string_view service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

// "https://host:port" with IPv6 hosts bracketed.
std::string server_url(const endpoint_config& e);

}  // namespace store::kubernetes
