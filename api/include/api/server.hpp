// api::gobgp_server — GoBGP's gRPC API (service apipb.GobgpApi) over one or more
// bgp::speakers, so the standard `gobgp` client and bgplbctl can inspect and control
// them. gRPC threads never touch a speaker: every call is posted to the speaker's
// io_context and waited for.
//
// Trust model (docs/api.md): read-only RPCs on loopback TCP (127.0.0.1:50051, GoBGP's
// default); control RPCs (reset, soft reset, shutdown, enable, disable) and writes
// (AddPath/DeletePath, also only with `allow_writes`) only on an owner-only Unix socket
// (mode 0600, /run/bgplb/api.sock by default), whose callers are known by SO_PEERCRED.
// Every control and write call, accepted or refused, goes to the `audit` callback with
// its caller. A non-loopback TCP address needs `allow_remote`; TLS when a certificate
// and key are configured. A peer's MD5 password never appears in a response.
#pragma once

#include <boost/asio/io_context.hpp>

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bgp {
class speaker;
}

namespace api {

// One control or write call, as the audit callback receives it.
struct audit_record {
  std::string rpc;        // "DisablePeer", "AddPath", ...
  std::string transport;  // "unix" (the control socket) or "tcp"
  std::string caller;     // "uid=0 pid=4242" (unix, SO_PEERCRED) or "127.0.0.1:53412" (tcp)
  std::optional<uid_t> uid;  // unix only
  std::optional<pid_t> pid;  // unix only
  std::string request;    // what was asked, e.g. "address=10.0.0.2 communication=\"maint\""
  bool allowed = false;   // false: refused before anything was done
  int status_code = 0;    // the gRPC status code answered (0 OK)
  std::string status_message;
};

// Where the control socket lives by default: /run/bgplb/api.sock for root, else
// $XDG_RUNTIME_DIR/bgplb/api.sock when that is set, else /run/bgplb/api.sock. With a
// node name: /run/bgplb/<node>/api.sock (and so on), so that several nodes' processes on
// one machine never share one; characters other than letters, digits, '.', '-' and '_'
// become '_' (and "." or ".." "_").
std::string default_control_socket(std::string_view node = {});

// Whether `path` can be the control socket: what start() checks before it binds (an
// absolute path that fits a sockaddr_un, in a directory only we or root can change,
// made 0700 when missing; a stale socket of ours is removed). The reason when not,
// e.g. that another process serves it. For refusing a process early, before a peer
// gives the API a speaker to serve.
std::optional<std::string> control_socket_problem(const std::string& path);

struct server_config {
  // TCP "host:port" (IPv6 as "[::1]:50051") for read-only RPCs; "" for none. A
  // "unix:/path" or "unix:///path" here is a second owner-only socket like
  // control_socket (control allowed).
  std::string listen = "127.0.0.1:50051";
  // The owner-only Unix socket (a path; "" for none) on which every RPC, control and
  // writes included, is served. Created at start(): its directory is made (0700) when
  // missing; a stale socket of ours is replaced; anything else at the path is refused.
  std::string control_socket = default_control_socket();
  bool allow_remote = false;         // accept a non-loopback TCP address and clients
  std::string tls_certificate_file;  // PEM; with tls_private_key_file: TCP serves TLS only
  std::string tls_private_key_file;
  bool allow_writes = false;         // AddPath/DeletePath (ipv4/ipv6 unicast, GLOBAL)
  // Called on a gRPC thread after every control or write call (refused ones too). Must
  // be thread-safe and quick; exceptions are swallowed. Empty: no audit.
  std::function<void(const audit_record&)> audit;
};

// One speaker the server shows and the io_context whose thread owns it. The speaker
// process runs one per local ASN; GetBgp reports the first, the rest add peers/routes.
struct speaker_ref {
  boost::asio::io_context& io;
  bgp::speaker& speaker;
};

class gobgp_server {
 public:
  gobgp_server(server_config config, std::vector<speaker_ref> speakers);
  ~gobgp_server();  // stop()
  gobgp_server(const gobgp_server&) = delete;
  gobgp_server& operator=(const gobgp_server&) = delete;

  // Validates the configuration, creates the Unix socket(s), binds TCP and serves on
  // gRPC's threads. Throws std::runtime_error with a readable reason (refused address,
  // unsafe socket path, unreadable certificate, bind failure); nothing is left behind.
  void start();
  // Ends open streams, stops serving and removes the Unix socket(s); safe to call
  // twice. Call it before the speakers' io_contexts stop running.
  void stop();
  // The bound TCP port (useful with port 0), or 0 without TCP.
  int port() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace api
