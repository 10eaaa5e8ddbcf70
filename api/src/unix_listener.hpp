// The API's owner-only Unix socket. We create and accept on it ourselves (gRPC would
// not tell us who connected): the socket is made safely (mode 0600 from the start, in
// a directory nobody else may write to; a stale socket of ours replaced, anything
// else at the path refused), each accepted connection's SO_PEERCRED is recorded
// under its descriptor, and the descriptor is handed to the gRPC server, which then
// reports the call's peer as "fd:N".
#pragma once

#include <grpcpp/server.h>

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace api {

struct peer_credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
};

// Credentials of the connections accepted on our Unix sockets, by descriptor.
class credential_table {
 public:
  void put(int fd, peer_credentials c);
  std::optional<peer_credentials> get(int fd) const;

 private:
  mutable std::mutex m_;
  std::map<int, peer_credentials> by_fd_;
};

// "unix:/p" and "unix:///p" -> "/p"; anything else -> "".
std::string unix_path_of(const std::string& address);

// What the constructor checks before it binds: an absolute path short enough for
// sockaddr_un, in a safe directory (made when missing), with nothing at it but a
// stale socket of ours (removed). Throws std::runtime_error saying what is wrong.
void prepare_socket_path(const std::string& path);

class unix_listener {
 public:
  // Creates and binds the socket; throws std::runtime_error saying what is wrong
  // with the path (not absolute, too long, unsafe directory, taken by something else).
  explicit unix_listener(std::string path);
  ~unix_listener();
  unix_listener(const unix_listener&) = delete;
  unix_listener& operator=(const unix_listener&) = delete;

  // Accepts on a thread of its own until stop(); `server` must be started.
  void start(grpc::Server& server, std::shared_ptr<credential_table> table);
  // Stops accepting, closes the socket and removes its file if it is still ours.
  void stop();
  const std::string& path() const { return path_; }

 private:
  void accept_loop(grpc::Server& server, std::shared_ptr<credential_table> table);

  std::string path_;
  int fd_ = -1;
  int wake_ = -1;  // eventfd: stop() wakes the accept loop
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::thread thread_;
};

}  // namespace api
