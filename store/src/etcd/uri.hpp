// The etcd datastore's URI, parsed into what the client needs:
//
//   etcd://HOST[:PORT][,HOST[:PORT]...][/PREFIX][?PARAM=VALUE[&...]]
//
// HOST is a name, an IPv4 address or [an IPv6 address]; PORT defaults to 2379. Several
// endpoints are members of one cluster: requests go to one and fail over to the next.
// PREFIX (default /bgplb) roots every key bgplb reads or writes (see layout.hpp).
// Parameters:
//   cacert=FILE          PEM CA bundle the servers' certificates must chain to (TLS)
//   cert=FILE, key=FILE  PEM client certificate and key (TLS; both or neither)
//   tls=true             TLS with the system's CA roots (implied by the three above)
//   timeout=DURATION     deadline of each request, and of connecting (default 5s)
//   lease-ttl=DURATION   the controller's election lease (default 10s, at least 2s)
//   max-txn-ops=N        operations per transaction, as the server's --max-txn-ops (128)
// DURATION is a number with ms, s or m. Anything else is refused with a sentence.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace store::etcd {

struct endpoint {
  std::string host;  // without brackets
  std::uint16_t port = 2379;
  std::string to_string() const;  // "host:port", "[::1]:2379"
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

struct tls_files {
  std::string ca;    // paths; empty: not given
  std::string cert;
  std::string key;
  friend bool operator==(const tls_files&, const tls_files&) = default;
};

struct config {
  std::vector<endpoint> endpoints;  // at least one
  std::string prefix = "/bgplb";    // begins with '/', no trailing '/'
  std::optional<tls_files> tls;     // nullopt: plaintext
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds lease_ttl{10000};
  std::uint32_t max_txn_ops = 128;
  std::string uri;  // as given, for messages
};

// Throws std::invalid_argument naming the URI and what is wrong with it.
config parse_uri(std::string_view uri);

// "250ms", "5s", "1m" -> milliseconds; nothing when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace store::etcd
