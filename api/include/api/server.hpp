// api::gobgp_server — GoBGP's gRPC API (service apipb.GobgpApi) over one or more
// bgp::speakers, so the standard `gobgp` client and bgplbctl can inspect and control
// them. gRPC threads never touch a speaker: every call is posted to the speaker's
// io_context and waited for.
//
// Secure by default: loopback TCP (127.0.0.1:50051, GoBGP's default) or a Unix
// socket; a non-loopback listen address needs `allow_remote`; TLS when a certificate
// and key are configured; AddPath/DeletePath only with `allow_writes`. A peer's MD5
// password never appears in a response.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <vector>

namespace bgp {
class speaker;
}

namespace api {

struct server_config {
  // "host:port" (IPv6 as "[::1]:50051"), or "unix:/path" / "unix:///path".
  std::string listen = "127.0.0.1:50051";
  bool allow_remote = false;         // accept a non-loopback listen address and clients
  std::string tls_certificate_file;  // PEM; with tls_private_key_file: serve TLS only
  std::string tls_private_key_file;
  bool allow_writes = false;         // AddPath/DeletePath (ipv4/ipv6 unicast, GLOBAL)
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

  // Validates the configuration, binds and serves on gRPC's threads. Throws
  // std::runtime_error with a readable reason (refused address, unreadable
  // certificate, bind failure).
  void start();
  // Ends open streams and stops serving; safe to call twice. Call it before the
  // speakers' io_contexts stop running.
  void stop();
  // The bound TCP port (useful with port 0), or 0 for a Unix socket.
  int port() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace api
