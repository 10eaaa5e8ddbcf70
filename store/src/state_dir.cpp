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

// Text on its way to an open file: small pieces are kept until about a megabyte is
// there, then written; a piece that large goes out as it is, not copied. The first
// error stops the writing; the producer's later pieces are dropped.
class file_sink final : public text_sink {
 public:
  file_sink(int fd, const std::string& path) : fd_(fd), path_(path) {}
  void append(std::string_view text) override {
    if (text.size() >= chunk) {
      flush();
      write_all(text);
      return;
    }
    if (buffer_.capacity() < chunk) buffer_.reserve(chunk);
    buffer_ += text;
    if (buffer_.size() >= chunk) flush();
  }
  // Writes what is left; the error text of the first failure, if any.
  const std::optional<std::string>& finish() {
    flush();
    return error_;
  }

 private:
  static constexpr std::size_t chunk = 1 << 20;
  void flush() {
    write_all(buffer_);
    buffer_.clear();
  }
  void write_all(std::string_view text) {
    std::size_t done = 0;
    while (!error_ && done < text.size()) {
      const auto n = ::write(fd_, text.data() + done, text.size() - done);
      if (n < 0) {
        if (errno != EINTR) error_ = sys_error("write", path_);
        continue;
      }
      done += static_cast<std::size_t>(n);
    }
  }
  int fd_;
  const std::string& path_;
  std::string buffer_;
  std::optional<std::string> error_;
};

}  // namespace

std::optional<std::string> atomic_write(const std::string& dir, const std::string& name, std::string_view contents) {
  return atomic_write(dir, name, [contents](text_sink& out) { out.append(contents); });
}

std::optional<std::string> atomic_write(const std::string& dir, const std::string& name,
                                        const std::function<void(text_sink&)>& produce) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "create directory " + dir + ": " + ec.message();
  const std::string final_path = dir + "/" + name;
  const std::string tmp_path = dir + "/." + name + ".tmp";
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error("open", tmp_path);
  file_sink out(fd, tmp_path);
  produce(out);
  if (auto err = out.finish()) {
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return err;
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
  // Each file's text goes to the file as it is encoded, never whole in memory (at 100,000
  // services it was the largest transient of the controller's first pass).
  if (auto err = atomic_write(dir_, std::string(ledger_file), [&](text_sink& out) { encode_ledger(s.ledger, out); })) {
    errors.push_back({dir_ + "/" + std::string(ledger_file), "", "", *err});
    return errors;
  }
  if (auto err = atomic_write(dir_, std::string(status_file), [&](text_sink& out) { encode_status(s, out); })) {
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
