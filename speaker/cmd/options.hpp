// Command-line options shared by bgplb, bgplb-speaker and bgplb-controller.
#pragma once

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdint>

#include "speaker/daemon.hpp"

namespace speaker::cmd {

struct raw_options {
  std::string router_id;
  int drain_seconds = 5;
  int hold_down_seconds = 300;
  int coalesce_ms = 5;
  std::uint64_t max_received = 0;
  std::string lb_class;
};

inline std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

inline void add_common(CLI::App& app, daemon_options& o, raw_options& raw, bool with_state_required) {
  app.add_option("-f,--filename", o.manifests, "manifest directory (watched)")->required()->check(CLI::ExistingDirectory);
  auto* st = app.add_option("--state", o.state_dir, "the controller's state directory (ledger.json, status.json)");
  if (with_state_required) st->required();
  app.add_option("--metrics-address", o.metrics_address, "HOST:PORT for /metrics, /healthz, /readyz; '' disables")
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--coalesce-ms", raw.coalesce_ms, "quiet time that ends a burst of manifest edits")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--load-balancer-class", raw.lb_class, "serve only services of this spec.loadBalancerClass");
}

inline void add_speaker(CLI::App& app, daemon_options& o, raw_options& raw) {
  o.node = host_name();
  app.add_option("--node", o.node, "this node's name (default: the host name)")->capture_default_str();
  app.add_option("--router-id", raw.router_id, "IPv4 router ID when neither BGPPeer routerID nor the Node's InternalIP gives one");
  app.add_option("--shutdown-drain", raw.drain_seconds, "seconds routes carry GRACEFUL_SHUTDOWN before withdrawal (RFC 8326)")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  app.add_flag("--adj-rib-in", o.keep_received,
               "keep the routes each peer sends, with their attributes, for `gobgp neighbor ADDR adj-in`");
  app.add_option("--max-received-prefixes", raw.max_received,
                 "close a session (RFC 4486 Cease 1) whose peer sends more prefixes of one family; 0: no limit")
      ->check(CLI::Range(0u, 4294967295u))
      ->capture_default_str();
}

inline void add_api(CLI::App& app, daemon_options& o) {
  app.add_option("--api-address", o.api_listen,
                 "GoBGP gRPC API: HOST:PORT or unix:/path; '' disables (docs/api.md)")
      ->capture_default_str();
  app.add_flag("--api-allow-remote", o.api_allow_remote, "accept a non-loopback API address and remote clients");
  app.add_flag("--api-allow-writes", o.api_allow_writes, "enable AddPath/DeletePath (gobgp global rib add/del)");
  app.add_option("--api-tls-cert", o.api_tls_certificate, "PEM certificate: serve the API over TLS only")
      ->check(CLI::ExistingFile);
  app.add_option("--api-tls-key", o.api_tls_key, "PEM private key for --api-tls-cert")->check(CLI::ExistingFile);
}

inline void add_controller(CLI::App& app, raw_options& raw) {
  app.add_option("--hold-down", raw.hold_down_seconds, "seconds a released address is kept from other services")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

// Applies what CLI11 cannot check by itself; the error text, or "" when fine.
inline std::string finish(daemon_options& o, const raw_options& raw) {
  o.shutdown_drain = std::chrono::seconds(raw.drain_seconds);
  o.hold_down = std::chrono::seconds(raw.hold_down_seconds);
  o.coalesce = std::chrono::milliseconds(raw.coalesce_ms);
  if (raw.max_received > 0) o.max_received = static_cast<std::uint32_t>(raw.max_received);
  if (!raw.lb_class.empty()) o.load_balancer_class = raw.lb_class;
  if (o.api_tls_certificate.empty() != o.api_tls_key.empty()) return "--api-tls-cert and --api-tls-key go together";
  if (!raw.router_id.empty()) {
    auto a = model::ip_address::parse(raw.router_id);
    if (!a || a->family() != model::ip_family::v4) return "--router-id " + raw.router_id + ": want an IPv4 address";
    o.router_id = a;
  }
  return "";
}

}  // namespace speaker::cmd
