// store::open: the one place that maps a datastore URI to a backend.
#include <filesystem>
#include <stdexcept>

#include "store/datastore.hpp"
#include "store/file_datastore.hpp"
#include "store/kubernetes.hpp"
#include "etcd/open.hpp"

namespace store {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::unique_ptr<datastore> open_file(std::string_view uri, std::string dir, const open_options& o) {
  std::error_code ec;
  if (dir.empty()) throw std::invalid_argument(std::string(uri) + ": no directory given (file:DIR)");
  const auto st = std::filesystem::status(dir, ec);
  if (ec || !std::filesystem::is_directory(st))
    throw std::invalid_argument(std::string(uri) + ": " + dir + (ec ? ": " + ec.message() : std::string(" is not a directory")));
  return std::make_unique<file::datastore>(dir, file::make_posix_filesystem(), file::make_inotify_watcher(dir), o);
}

}  // namespace

std::unique_ptr<datastore> open(std::string_view uri, const open_options& o) {
  if (is_kubernetes_uri(uri)) return open_kubernetes(uri, o);
  if (starts_with(uri, "etcd:")) return etcd::open_etcd(uri, o);
  if (starts_with(uri, "file://")) return open_file(uri, std::string(uri.substr(7)), o);
  if (starts_with(uri, "file:")) return open_file(uri, std::string(uri.substr(5)), o);
  if (const auto colon = uri.find(':'); colon != std::string_view::npos && uri.find('/') > colon)
    throw std::invalid_argument(std::string(uri) + ": unknown datastore (want file:DIR, kubernetes: or etcd://HOST:PORT)");
  return open_file(uri, std::string(uri), o);
}

}  // namespace store
