// speaker::daemon: the process shell shared by `bgplb` (controller + speaker on the file
// datastore), `bgplb-speaker` and `bgplb-controller`: the datastore thread, the core's
// io_context (allocation, planning, BGP sessions), /metrics, /healthz, /readyz, signals
// (SIGTERM/SIGINT: RFC 8326 graceful shutdown; SIGHUP: re-read everything) and logs.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "model/ip.hpp"

namespace speaker {

struct daemon_options {
  std::string manifests;                 // manifest directory (file datastore)
  std::optional<std::string> state_dir;  // the controller's state directory
  bool controller = true;                // allocate and persist the ledger (needs state_dir)
  bool speaker = true;                   // plan and announce for `node`
  std::string node;                      // this node's name
  std::string metrics_address = "127.0.0.1:7472";  // "" disables the HTTP endpoint
  std::chrono::milliseconds shutdown_drain{5000};
  bool keep_received = false;                 // keep routes peers send (gobgp neighbor X adj-in)
  std::optional<std::uint32_t> max_received;  // per session and family; none: no limit
  std::chrono::seconds hold_down{300};
  std::chrono::milliseconds coalesce{5};  // a burst of datastore events ends after this quiet time
  std::optional<model::ip_address> router_id;
  std::optional<std::string> load_balancer_class;
  std::string log_level = "info";
  // GoBGP's gRPC API (docs/api.md); "" disables. Loopback or unix:/path unless api_allow_remote.
  std::string api_listen = "127.0.0.1:50051";
  bool api_allow_remote = false;
  bool api_allow_writes = false;
  std::string api_tls_certificate, api_tls_key;
};

// Runs until SIGTERM/SIGINT; returns the process exit code.
int run_daemon(const daemon_options& o);

}  // namespace speaker
