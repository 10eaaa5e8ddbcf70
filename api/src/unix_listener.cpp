// Safe creation of the API's Unix socket and its accept loop (see unix_listener.hpp).
#include "unix_listener.hpp"

#include <grpcpp/server_posix.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace api {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error("API socket " + path + ": " + why);
}

std::string error_text(int e) { return std::strerror(e); }

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The directory must be one nobody else can change entries in: owned by us or root,
// and not writable by group or others unless sticky (as /tmp is: then only an
// entry's owner may remove or rename it). Created (0700) when missing, with any missing
// parent (/run/bgplb/ of the default /run/bgplb/<node>/).
void check_directory(const std::string& path) {
  const std::string dir = parent_of(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) fail(path, "cannot inspect directory " + dir + ": " + error_text(errno));
    for (auto slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
      const std::string step = dir.substr(0, slash);
      if (::mkdir(step.c_str(), 0700) != 0 && errno != EEXIST)
        fail(path, "cannot create directory " + step + ": " + error_text(errno));
      if (slash == std::string::npos) break;
    }
    if (::stat(dir.c_str(), &st) != 0) fail(path, "cannot inspect directory " + dir + ": " + error_text(errno));
  }
  if (!S_ISDIR(st.st_mode)) fail(path, dir + " is not a directory");
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    fail(path, "directory " + dir + " belongs to uid " + std::to_string(st.st_uid) + ", not to us or root");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)
    fail(path, "directory " + dir + " is writable by other users (and not sticky)");
}

sockaddr_un address_of(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

// Nothing at the path, or a socket of ours that nobody serves any more (removed).
void clear_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    fail(path, "cannot inspect it: " + error_text(errno));
  }
  if (!S_ISSOCK(st.st_mode) || st.st_uid != ::geteuid())
    fail(path, "the path exists and is not a socket of uid " + std::to_string(::geteuid()) +
                   ": remove it or choose another path");
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) fail(path, "socket: " + error_text(errno));
  const auto a = address_of(path);
  const int r = ::connect(probe, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  const int e = errno;
  ::close(probe);
  if (r == 0) fail(path, "another process serves it (a second speaker needs a socket of its own)");
  if (e != ECONNREFUSED) fail(path, "cannot tell whether it is in use: " + error_text(e));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail(path, "cannot remove the stale socket: " + error_text(errno));
}

}  // namespace

void credential_table::put(int fd, peer_credentials c) {
  std::lock_guard lock(m_);
  by_fd_[fd] = c;
}

std::optional<peer_credentials> credential_table::get(int fd) const {
  std::lock_guard lock(m_);
  const auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return std::nullopt;
  return it->second;
}

std::string unix_path_of(const std::string& address) {
  if (address.starts_with("unix://")) return address.substr(7);
  if (address.starts_with("unix:")) return address.substr(5);
  return "";
}

void prepare_socket_path(const std::string& path) {
  if (path.empty() || path.front() != '/') fail(path, "needs an absolute path");
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    fail(path, "longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " characters");
  check_directory(path);
  clear_path(path);
}

unix_listener::unix_listener(std::string path) : path_(std::move(path)) {
  prepare_socket_path(path_);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) fail(path_, "socket: " + error_text(errno));
  // Linux gives the socket file the mode of the socket's inode (less the umask) at
  // bind(), so it is never, even for a moment, open to other users.
  const auto a = address_of(path_);
  struct stat st {};
  if (::fchmod(fd_, 0600) != 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const int e = errno;
    ::close(fd_);
    fail(path_, "bind: " + error_text(e));
  }
  if (::lstat(path_.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode) || ::chmod(path_.c_str(), 0600) != 0 ||
      ::listen(fd_, 64) != 0) {
    const int e = errno;
    ::close(fd_);
    ::unlink(path_.c_str());
    fail(path_, "cannot make it owner-only and listen: " + error_text(e));
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  wake_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_ < 0) {
    const int e = errno;
    stop();
    fail(path_, "eventfd: " + error_text(e));
  }
}

unix_listener::~unix_listener() { stop(); }

void unix_listener::start(grpc::Server& server, std::shared_ptr<credential_table> table) {
  thread_ = std::thread([this, &server, table = std::move(table)] { accept_loop(server, table); });
}

void unix_listener::accept_loop(grpc::Server& server, std::shared_ptr<credential_table> table) {
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents != 0) return;
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) {
      // Out of descriptors and the like: wait a little rather than spin.
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) ::poll(p + 1, 1, 100);
      continue;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      ::close(c);  // a caller we cannot name is not served
      continue;
    }
    table->put(c, {cred.uid, cred.gid, cred.pid});
    grpc::AddInsecureChannelFromFd(&server, c);  // gRPC owns and closes it from here
  }
}

void unix_listener::stop() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_, &one, sizeof one);
    thread_.join();
  }
  if (wake_ >= 0) ::close(wake_);
  wake_ = -1;
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  // Remove the file only if it is still the socket we made.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) ::unlink(path_.c_str());
}

}  // namespace api
