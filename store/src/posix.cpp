// The real kernel boundary of the file backend: directory walking with std::filesystem
// and change notification with inotify(7), which names the files that changed. Nothing
// here decides anything.
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
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
    const auto path = (fs::path(root) / relative).string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      return {std::nullopt, std::strerror(err), err == ENOENT || err == ENOTDIR};
    }
    std::string text;
    std::array<char, 65536> buf;
    while (true) {
      const auto n = ::read(fd, buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return {std::nullopt, std::strerror(err)};
      }
      text.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    return {std::move(text), ""};
  }
};

// Keeps the relative path of every watched directory, so an event names a file; gives up
// naming (the caller rescans) on what could change many files at once: a directory or a
// symlink appearing, moving, going or changing permissions, a queue overflow.
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
    bool rewatch = false;
    alignas(inotify_event) std::array<char, 16384> buf{};
    while (true) {
      const auto n = ::read(fd_, buf.data(), buf.size());
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        inotify_event ev{};
        std::memcpy(&ev, buf.data() + off, sizeof ev);
        const char* name = buf.data() + off + sizeof(inotify_event);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev.len);
        any = true;
        if ((ev.mask & IN_IGNORED) != 0) {
          dirs_.erase(ev.wd);
          continue;
        }
        // A directory that appears, moves or changes permissions may hold files that were
        // not watched or not readable before: watch the tree again, then read it all.
        if ((ev.mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_ISDIR)) != 0) {
          lost_track_ = true;
          rewatch = true;
          continue;
        }
        auto dir = dirs_.find(ev.wd);
        if (dir == dirs_.end() || ev.len == 0) {
          lost_track_ = true;
          rewatch = true;
          continue;
        }
        for (const auto& d : dir->second) note(d.empty() ? std::string(name) : d + "/" + name);
      }
    }
    if (rewatch) add_watches();
    return any;
  }

  std::optional<std::vector<std::string>> take_changed() override {
    std::optional<std::vector<std::string>> out;
    if (!lost_track_) out.emplace(changed_.begin(), changed_.end());
    lost_track_ = false;
    changed_.clear();
    return out;
  }

  int native_handle() const override { return fd_; }

 private:
  void note(std::string relative) {
    if (is_manifest(relative)) {
      changed_.insert(std::move(relative));
      return;
    }
    // Not a manifest by name (a temporary or dot-file): irrelevant unless it is, or was, a
    // symlink that manifests may be read through (ConfigMap volumes swap `..data`).
    struct stat st {};
    const bool link_now = ::lstat((root_ + "/" + relative).c_str(), &st) == 0 && S_ISLNK(st.st_mode);
    if (link_now || links_.contains(relative)) lost_track_ = true;
  }

  void add_watches() {
    constexpr std::uint32_t mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                   IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
    auto before = std::move(dirs_);
    dirs_.clear();
    links_.clear();
    auto watch = [&](const fs::path& dir, std::string relative) {
      const int wd = inotify_add_watch(fd_, dir.c_str(), mask);
      if (wd >= 0) dirs_[wd].insert(std::move(relative));
    };
    watch(root_, "");
    std::error_code ec;
    fs::recursive_directory_iterator it(root_, fs::directory_options::follow_directory_symlink, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto relative = fs::relative(it->path(), root_, ec).generic_string();
      if (it->is_symlink(ec)) links_.insert(relative);
      if (!it->is_directory(ec)) continue;
      if (hidden(it->path())) {
        it.disable_recursion_pending();
        continue;
      }
      watch(it->path(), relative);
    }
    // Directories that left the tree keep their watches until told otherwise.
    for (const auto& [wd, unused] : before) {
      if (!dirs_.contains(wd)) inotify_rm_watch(fd_, wd);
    }
  }

  std::string root_;
  int fd_ = -1;
  std::map<int, std::set<std::string>> dirs_;  // watch descriptor -> directories (relative; "" is the root)
  std::set<std::string> links_;                // symlinks seen under the root, relative
  std::set<std::string> changed_;
  bool lost_track_ = false;
};

}  // namespace

std::unique_ptr<filesystem> make_posix_filesystem() { return std::make_unique<posix_filesystem>(); }

std::unique_ptr<watcher> make_inotify_watcher(const std::string& root) {
  return std::make_unique<inotify_watcher>(root);
}

}  // namespace store::file
