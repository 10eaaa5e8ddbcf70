// api::gobgp_server: checks the listen addresses, creates the owner-only Unix
// socket(s), sets up plaintext or TLS on TCP, runs the gRPC server and the per-speaker
// event watches.
#include <api/server.hpp>

#include "events.hpp"
#include "service.hpp"
#include "unix_listener.hpp"

#include <bgp/types.hpp>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace api {

namespace {

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  if (in) s << in.rdbuf();
  if (!in || s.str().empty()) throw std::runtime_error("API " + std::string(what) + " " + path + ": cannot read it");
  return s.str();
}

// "host:port" passes when host is a loopback address (or "localhost"), or with
// allow_remote. Returns the gRPC address to bind.
std::string checked_address(const server_config& c) {
  const std::string& a = c.listen;
  const auto colon = a.rfind(':');
  if (colon == std::string::npos || colon + 1 == a.size())
    throw std::runtime_error("API listen address \"" + a + "\": expected host:port or unix:/path");
  std::string host = a.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (c.allow_remote) return a;
  const auto ip = bgp::ip_address::parse(host);
  const bool loopback = host == "localhost" ||
                        (ip && (ip->is_v4() ? ip->octets[0] == 127 : *ip == *bgp::ip_address::parse("::1")));
  if (!loopback)
    throw std::runtime_error("API listen address \"" + a +
                             "\" is not a loopback address: set allow_remote (and TLS) to serve other hosts");
  return a;
}

// The Unix sockets to create: control_socket, and `listen` when it names one.
std::vector<std::string> socket_paths(const server_config& c) {
  std::vector<std::string> out;
  if (!c.control_socket.empty()) out.push_back(c.control_socket);
  const std::string p = unix_path_of(c.listen);
  if (c.listen.starts_with("unix:") && p != c.control_socket) out.push_back(p);
  return out;
}

}  // namespace

struct gobgp_server::impl {
  impl(server_config c, std::vector<speaker_ref> s) : cfg(std::move(c)), speakers(std::move(s)) {}
  server_config cfg;
  std::vector<speaker_ref> speakers;
  std::shared_ptr<event_hub> hub = std::make_shared<event_hub>();
  std::shared_ptr<age_book> ages = std::make_shared<age_book>();
  std::vector<std::shared_ptr<speaker_watch>> watches;
  std::shared_ptr<credential_table> credentials = std::make_shared<credential_table>();
  std::vector<std::unique_ptr<unix_listener>> sockets;
  std::unique_ptr<gobgp_service> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

std::string default_control_socket(std::string_view node) {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::string dir = ::geteuid() != 0 && runtime != nullptr && runtime[0] == '/' ? std::string(runtime) + "/bgplb" : "/run/bgplb";
  if (!node.empty()) {
    std::string part(node);
    for (auto& ch : part)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '_') ch = '_';
    if (part == "." || part == "..") part = "_";
    dir += "/" + part;
  }
  return dir + "/api.sock";
}

std::optional<std::string> control_socket_problem(const std::string& path) {
  try {
    prepare_socket_path(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return std::nullopt;
}

gobgp_server::gobgp_server(server_config config, std::vector<speaker_ref> speakers)
    : impl_(std::make_unique<impl>(std::move(config), std::move(speakers))) {
  if (impl_->speakers.empty()) throw std::invalid_argument("api::gobgp_server needs at least one speaker");
}

gobgp_server::~gobgp_server() { stop(); }

void gobgp_server::start() {
  auto& i = *impl_;
  if (i.server) return;
  const bool tcp = !i.cfg.listen.empty() && !i.cfg.listen.starts_with("unix:");
  const std::string address = tcp ? checked_address(i.cfg) : "";
  const auto paths = socket_paths(i.cfg);
  if (!tcp && paths.empty()) throw std::runtime_error("API: neither a listen address nor a control socket is set");
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!i.cfg.tls_certificate_file.empty() || !i.cfg.tls_private_key_file.empty()) {
    if (i.cfg.tls_certificate_file.empty() || i.cfg.tls_private_key_file.empty())
      throw std::runtime_error("API TLS needs both a certificate and a private key file");
    grpc::SslServerCredentialsOptions tls;
    tls.pem_key_cert_pairs.push_back({read_file(i.cfg.tls_private_key_file, "TLS private key"),
                                      read_file(i.cfg.tls_certificate_file, "TLS certificate")});
    creds = grpc::SslServerCredentials(tls);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  // The sockets first: an unsafe path refuses the start before anything listens.
  std::vector<std::unique_ptr<unix_listener>> sockets;
  for (const auto& p : paths) sockets.push_back(std::make_unique<unix_listener>(p));
  for (std::size_t k = 0; k < i.speakers.size(); ++k)
    i.watches.push_back(std::make_shared<speaker_watch>(i.speakers[k], k, i.hub, i.ages));
  i.service = std::make_unique<gobgp_service>(i.cfg, paths.empty() ? "" : paths.front(), i.credentials, i.speakers,
                                              i.hub, i.ages, i.watches);
  grpc::ServerBuilder b;
  if (tcp) b.AddListeningPort(address, creds, &i.port);
  b.RegisterService(i.service.get());
  i.server = b.BuildAndStart();
  if (!i.server || (tcp && i.port == 0)) {
    i.server.reset();
    i.service.reset();
    i.watches.clear();
    throw std::runtime_error("API cannot listen on " + address);
  }
  // TLS does not apply to the Unix sockets: only the owner (or root) can reach them.
  i.sockets = std::move(sockets);
  for (auto& s : i.sockets) s->start(*i.server, i.credentials);
  for (auto& w : i.watches) w->start();
}

void gobgp_server::stop() {
  auto& i = *impl_;
  if (!i.server) return;
  i.hub->close();  // WatchEvent streams return
  for (auto& w : i.watches) w->stop();
  i.watches.clear();
  for (auto& s : i.sockets) s->stop();  // no new connections, files removed
  i.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  i.server->Wait();
  i.server.reset();
  i.service.reset();
  i.sockets.clear();
}

int gobgp_server::port() const { return impl_->port; }

}  // namespace api
