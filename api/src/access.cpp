// Callers and the control/write policy (see access.hpp).
#include "access.hpp"

#include <unistd.h>

#include <charconv>

namespace api {

namespace {

std::string decoded(std::string s) {
  for (const auto& [from, to] : {std::pair{"%5B", "["}, std::pair{"%5D", "]"}})
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from)) s.replace(at, 3, to);
  return s;
}

}  // namespace

caller identify(const std::string& peer, const credential_table& table) {
  caller c;
  if (peer.starts_with("fd:")) {
    c.unix_socket = true;
    int fd = -1;
    const char* first = peer.data() + 3;
    const char* last = peer.data() + peer.size();
    if (std::from_chars(first, last, fd).ec == std::errc{}) c.credentials = table.get(fd);
    c.text = c.credentials ? "uid=" + std::to_string(c.credentials->uid) + " pid=" + std::to_string(c.credentials->pid)
                           : "unix caller of unknown uid";
    return c;
  }
  if (peer.starts_with("unix:")) {  // not ours: no credentials, not trusted for control
    c.text = peer;
    c.loopback = true;
    return c;
  }
  const std::string addr = decoded(peer.starts_with("ipv4:") || peer.starts_with("ipv6:") ? peer.substr(5) : peer);
  c.text = addr;
  c.loopback = addr.starts_with("127.") || addr.starts_with("[::1]") || addr.starts_with("[::ffff:127.");
  return c;
}

grpc::Status admit(const caller& c, bool allow_remote) {
  if (allow_remote || c.unix_socket || c.loopback) return grpc::Status::OK;
  return {grpc::StatusCode::PERMISSION_DENIED,
          "connections from " + c.text + " are refused: the API serves local clients unless allow_remote is set"};
}

grpc::Status permit(const caller& c, const std::string& rpc, rpc_class k, const std::string& socket) {
  if (k == rpc_class::read) return grpc::Status::OK;
  const char* what = k == rpc_class::write ? "changes the routes bgplb announces" : "acts on BGP sessions";
  if (!c.unix_socket) {
    const std::string where = socket.empty() ? "its Unix socket, and none is configured (control_socket)"
                                             : "its owner-only Unix socket: gobgp --target unix://" + socket + " ...";
    return {grpc::StatusCode::PERMISSION_DENIED,
            rpc + " " + what + ", so bgplb accepts it only on " + where + " (not over TCP from " + c.text + ")"};
  }
  if (!c.credentials)
    return {grpc::StatusCode::PERMISSION_DENIED, rpc + " " + what + ": the caller's uid is unknown"};
  const uid_t uid = c.credentials->uid;
  if (uid != 0 && uid != ::geteuid())
    return {grpc::StatusCode::PERMISSION_DENIED, rpc + " " + what + ": uid " + std::to_string(uid) +
                                                     " is neither root nor the speaker's user"};
  return grpc::Status::OK;
}

audit_record audit_of(const std::string& rpc, const caller& c, std::string request, bool allowed,
                      const grpc::Status& answer) {
  audit_record r;
  r.rpc = rpc;
  r.transport = c.unix_socket ? "unix" : "tcp";
  r.caller = c.text;
  if (c.credentials) {
    r.uid = c.credentials->uid;
    r.pid = c.credentials->pid;
  }
  r.request = std::move(request);
  r.allowed = allowed;
  r.status_code = static_cast<int>(answer.error_code());
  r.status_message = answer.error_message();
  return r;
}

}  // namespace api
