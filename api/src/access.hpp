// The API's trust model (docs/api.md): who a call comes from, and what it may do.
// Read-only RPCs are served to every admitted client (loopback TCP, or any with
// allow_remote; our Unix sockets always). Control RPCs and writes are served only on
// our owner-only Unix sockets, to our own uid or root. Pure: no gRPC server state.
#pragma once

#include "unix_listener.hpp"

#include <api/server.hpp>

#include <grpcpp/support/status.h>

#include <optional>
#include <string>

namespace api {

struct caller {
  bool unix_socket = false;  // one of our owner-only sockets ("fd:N" peers)
  bool loopback = false;     // TCP from 127/8 or ::1
  std::optional<peer_credentials> credentials;
  std::string text;  // "uid=0 pid=4242" or "127.0.0.1:53412", for messages and audit
};

// From gRPC's peer string: "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000" (or %5B..%5D),
// "fd:N" for a connection accepted on our Unix socket, "unix:..." for one gRPC
// accepted on a socket of its own (we make none).
caller identify(const std::string& grpc_peer, const credential_table& table);

enum class rpc_class { read, control, write };

// OK, or PERMISSION_DENIED saying why and where to go instead. `socket` is the
// control socket's path ("" when there is none), for the message.
grpc::Status admit(const caller& c, bool allow_remote);
grpc::Status permit(const caller& c, const std::string& rpc, rpc_class k, const std::string& socket);

// What the audit callback receives for one call.
audit_record audit_of(const std::string& rpc, const caller& c, std::string request, bool allowed,
                      const grpc::Status& answer);

}  // namespace api
