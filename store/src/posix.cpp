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

// Walks root's tree the way the backend and the watcher both see it: dot-entries skipped,
// symlinks followed, and each directory (by device and inode) entered once, so two links
// to one directory cannot make the walk exponential or read its files twice. Calls
// on_dir(relative) for every directory (root is ""), on_file(relative) for every regular
// file and on_link(relative) for every symlink (before what it points to); anything else
// (FIFO, socket, device) is skipped. The first error ends the walk and is returned: a tree
// that could not be read whole is never taken for a smaller one. With `skip_unreadable`,
// directories without permission are passed over instead (the watcher watches what it can).
template <class OnDir, class OnFile, class OnLink>
std::string walk(const std::string& root, bool skip_unreadable, OnDir on_dir, OnFile on_file, OnLink on_link) {
  std::set<std::pair<dev_t, ino_t>> seen;
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) return root + ": " + std::strerror(errno);
  seen.insert({st.st_dev, st.st_ino});
  on_dir(std::string());
  std::error_code ec;
  auto opts = fs::directory_options::follow_directory_symlink;
  if (skip_unreadable) opts |= fs::directory_options::skip_permission_denied;
  fs::recursive_directory_iterator it(root, opts, ec);
  if (ec) return root + ": " + ec.message();
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return it->path().string() + ": " + ec.message();
    const auto& path = it->path();
    if (hidden(path)) {
      it.disable_recursion_pending();
      continue;
    }
    if (::stat(path.c_str(), &st) != 0) {
      // A dangling symlink or a file that left between readdir and stat: not in the tree.
      if (errno == ENOENT) {
        it.disable_recursion_pending();
        continue;
      }
      return path.string() + ": " + std::strerror(errno);
    }
    const auto relative = path.lexically_relative(root).generic_string();
    std::error_code lec;
    if (it->is_symlink(lec)) on_link(relative);
    if (S_ISDIR(st.st_mode)) {
      if (!seen.insert({st.st_dev, st.st_ino}).second) {
        it.disable_recursion_pending();
        continue;
      }
      on_dir(relative);
    } else if (S_ISREG(st.st_mode)) {
      on_file(relative);
    }
  }
  if (ec) return root + ": " + ec.message();
  return {};
}

class posix_filesystem final : public filesystem {
 public:
  listing list(const std::string& root) override {
    listing out;
    out.error = walk(
        root, false, [](const std::string&) {}, [&](std::string f) { out.files.push_back(std::move(f)); },
        [](const std::string&) {});
    if (!out.error.empty()) out.files.clear();
    std::sort(out.files.begin(), out.files.end());
    return out;
  }

  contents read(const std::string& root, const std::string& relative) override {
    const auto path = (fs::path(root) / relative).string();
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      const int err = errno;
      return {std::nullopt, std::strerror(err), err == ENOENT || err == ENOTDIR};
    }
    struct closer {
      int fd;
      ~closer() { ::close(fd); }
    } closing{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return {std::nullopt, std::strerror(errno)};
    if (!S_ISREG(st.st_mode)) return {std::nullopt, "not a regular file"};
    if (static_cast<std::uint64_t>(st.st_size) > max_manifest_bytes)
      return {std::nullopt, "larger than " + std::to_string(max_manifest_bytes) + " bytes"};
    std::string text;
    text.reserve(static_cast<std::size_t>(st.st_size));
    std::array<char, 65536> buf;
    while (true) {
      const auto n = ::read(fd, buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        return {std::nullopt, std::strerror(errno)};
      }
      text.append(buf.data(), static_cast<std::size_t>(n));
      // A file that grows while it is read is cut off, not followed forever.
      if (text.size() > max_manifest_bytes) return {std::nullopt, "larger than " + std::to_string(max_manifest_bytes) + " bytes"};
    }
    return {std::move(text), ""};
  }
};

// Keeps the relative path of every watched directory, so an event names a file; gives up
// naming (the caller rescans) on what could change many files at once: a directory or a
// symlink appearing, moving, going or changing permissions, a queue overflow. A manifest
// written (IN_MODIFY) or created (IN_CREATE) is incomplete until it is closed after
// writing (IN_CLOSE_WRITE), replaced by a rename (IN_MOVED_TO) or goes (IN_DELETE,
// IN_MOVED_FROM): reading it before could see half a file.
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
        for (const auto& d : dir->second) note(d.empty() ? std::string(name) : d + "/" + name, ev.mask);
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

  bool complete() const override {
    return !lost_track_ && std::none_of(changed_.begin(), changed_.end(),
                                        [&](const std::string& f) { return writing_.contains(f); });
  }

  int native_handle() const override { return fd_; }

 private:
  void note(std::string relative, std::uint32_t mask) {
    if (is_manifest(relative)) {
      if ((mask & (IN_MODIFY | IN_CREATE)) != 0) writing_.insert(relative);
      if ((mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) != 0) writing_.erase(relative);
      changed_.insert(std::move(relative));
      return;
    }
    // Not a manifest by name (a temporary or dot-file): irrelevant unless it is, or was, a
    // symlink that manifests may be read through (ConfigMap volumes swap `..data`). Only a
    // name that appears (created, or moved here) can be a new symlink: a temporary file's
    // writes and its rename away are not looked at.
    if (links_.contains(relative)) {
      lost_track_ = true;
      return;
    }
    if ((mask & (IN_CREATE | IN_MOVED_TO)) == 0) return;
    struct stat st {};
    if (::lstat((root_ + "/" + relative).c_str(), &st) == 0 && S_ISLNK(st.st_mode)) lost_track_ = true;
  }

  void add_watches() {
    constexpr std::uint32_t mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                   IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
    auto before = std::move(dirs_);
    dirs_.clear();
    links_.clear();
    // A directory that cannot be read now is watched once it can (its IN_ATTRIB on the
    // parent brings us back here); the walk's error is the backend's to report.
    walk(
        root_, true,
        [&](const std::string& relative) {
          const int wd = inotify_add_watch(fd_, (relative.empty() ? root_ : root_ + "/" + relative).c_str(), mask);
          if (wd >= 0) dirs_[wd].insert(relative);
        },
        [](const std::string&) {}, [&](const std::string& relative) { links_.insert(relative); });
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
  std::set<std::string> writing_;  // manifests written or created and not closed, moved or removed since
  bool lost_track_ = false;
};

}  // namespace

std::unique_ptr<filesystem> make_posix_filesystem() { return std::make_unique<posix_filesystem>(); }

std::unique_ptr<watcher> make_inotify_watcher(const std::string& root) {
  return std::make_unique<inotify_watcher>(root);
}

}  // namespace store::file
