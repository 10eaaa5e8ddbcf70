// The API server as the datastore's coroutines see it: connections to one cluster with
// its TLS context, and the credentials sent with every request. A token file (in-cluster
// service-account tokens are projected and rotated by the kubelet) is read again whenever
// it changes on disk and after a 401, as client-go's cached token source does.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "config.hpp"
#include "http.hpp"

namespace store::kubernetes {

class client {
 public:
  // Throws std::invalid_argument when the TLS material is unusable.
  client(cluster_config config, std::chrono::seconds timeout);

  std::unique_ptr<connection> connect(asio::any_io_executor ex) const;

  // One request with credentials; a 401 re-reads the token file and tries once more.
  asio::awaitable<http_response> send(connection& c, beast::http::verb method, std::string target,
                                      std::string body = {}, std::string content_type = {});
  asio::awaitable<http_response> watch(connection& c, std::string target, std::chrono::seconds idle,
                                       std::function<void()> on_open, std::function<void(std::string_view)> on_line);

  const cluster_config& config() const { return config_; }
  std::chrono::seconds timeout() const { return timeout_; }

 private:
  std::string authorization();
  void token_rejected() { token_stamp_ = {}; }

  cluster_config config_;
  std::chrono::seconds timeout_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::string token_;
  struct stamp {
    ::time_t mtime = 0;
    long mtime_ns = 0;
    ::off_t size = -1;
    ::ino_t inode = 0;
    friend bool operator==(const stamp&, const stamp&) = default;
  } token_stamp_;
};

}  // namespace store::kubernetes
