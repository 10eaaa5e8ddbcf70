// The real kernel boundary of the file backend: directory walking with std::filesystem
// and change notification with inotify(7). Nothing here decides anything.
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "store/file_backend.hpp"

namespace store::file {

namespace {

namespace fs = std::filesystem;

bool hidden(const fs::path& p) {
  const auto name = p.filename().string();
  return !name.empty() && name.front() == '.';
}

class posix_filesystem final : public filesystem {
 public:
  std::vector<std::string> list(const std::string& root) override {
    std::vector<std::string> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::follow_directory_symlink, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (hidden(it->path())) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) out.push_back(fs::relative(it->path(), root, ec).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  contents read(const std::string& root, const std::string& relative) override {
    std::ifstream in(fs::path(root) / relative, std::ios::binary);
    if (!in) return {std::nullopt, std::strerror(errno)};
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return {std::nullopt, "read error"};
    return {ss.str(), ""};
  }
};

class inotify_watcher final : public watcher {
 public:
  explicit inotify_watcher(std::string root) : root_(std::move(root)) {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(std::string("inotify_init1: ") + std::strerror(errno));
    add_watches();
  }
  ~inotify_watcher() override { ::close(fd_); }
  inotify_watcher(const inotify_watcher&) = delete;
  inotify_watcher& operator=(const inotify_watcher&) = delete;

  bool wait(std::chrono::milliseconds timeout) override {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    bool any = false;
    bool new_directory = false;
    alignas(inotify_event) std::array<char, 16384> buf{};
    while (true) {
      const auto n = ::read(fd_, buf.data(), buf.size());
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        inotify_event ev{};
        std::memcpy(&ev, buf.data() + off, sizeof ev);
        any = true;
        if ((ev.mask & IN_ISDIR) != 0 && (ev.mask & (IN_CREATE | IN_MOVED_TO)) != 0) new_directory = true;
        if ((ev.mask & IN_Q_OVERFLOW) != 0) new_directory = true;
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev.len);
      }
    }
    if (new_directory) add_watches();
    return any;
  }

  int native_handle() const override { return fd_; }

 private:
  void add_watches() {
    constexpr std::uint32_t mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                   IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
    inotify_add_watch(fd_, root_.c_str(), mask);
    std::error_code ec;
    fs::recursive_directory_iterator it(root_, fs::directory_options::follow_directory_symlink, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      if (hidden(it->path())) {
        it.disable_recursion_pending();
        continue;
      }
      inotify_add_watch(fd_, it->path().c_str(), mask);
    }
  }

  std::string root_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<filesystem> make_posix_filesystem() { return std::make_unique<posix_filesystem>(); }

std::unique_ptr<watcher> make_inotify_watcher(const std::string& root) {
  return std::make_unique<inotify_watcher>(root);
}

}  // namespace store::file
