// Durable replacement of state files (write-temp, fsync, rename, fsync of the directory)
// and the state_dir writer built on it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/state_dir.hpp"

namespace store::file {

namespace {

std::string sys_error(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

std::optional<std::string> atomic_write(const std::string& dir, const std::string& name, std::string_view contents) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "create directory " + dir + ": " + ec.message();
  const std::string final_path = dir + "/" + name;
  const std::string tmp_path = dir + "/." + name + ".tmp";
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error("open", tmp_path);
  std::size_t done = 0;
  while (done < contents.size()) {
    const auto n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto err = sys_error("write", tmp_path);
      ::close(fd);
      ::unlink(tmp_path.c_str());
      return err;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto err = sys_error("fsync", tmp_path);
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return err;
  }
  ::close(fd);
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    auto err = sys_error("rename", tmp_path);
    ::unlink(tmp_path.c_str());
    return err;
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return sys_error("open", dir);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return sys_error("fsync", dir);
  return std::nullopt;
}

std::vector<model::error> state_dir::write(const state& s) {
  std::vector<model::error> errors;
  // The ledger first: status is derived, and a crash between the two leaves a ledger that
  // is newer than the status, which the next write corrects.
  if (auto err = atomic_write(dir_, std::string(ledger_file), encode_ledger(s.ledger))) {
    errors.push_back({dir_ + "/" + std::string(ledger_file), "", "", *err});
    return errors;
  }
  if (auto err = atomic_write(dir_, std::string(status_file), encode_status(s))) {
    errors.push_back({dir_ + "/" + std::string(status_file), "", "", *err});
  }
  return errors;
}

ledger_read state_dir::read_ledger() {
  const std::string path = dir_ + "/" + std::string(ledger_file);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return {model::ledger{}, {}};  // never written: nothing to restore
    return {std::nullopt, {{path, "", "", sys_error("open", path)}}};
  }
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } closing{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {std::nullopt, {{path, "", "", sys_error("stat", path)}}};
  if (!S_ISREG(st.st_mode)) return {std::nullopt, {{path, "", "", "not a regular file"}}};
  std::string text;
  char buf[65536];
  while (true) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return {std::nullopt, {{path, "", "", sys_error("read", path)}}};
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  return decode_ledger(path, text);
}

}  // namespace store::file
