// Credentials and requests (see client.hpp).
#include "client.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace store::kubernetes {

client::client(cluster_config config, std::chrono::seconds timeout)
    : config_(std::move(config)), timeout_(timeout), tls_(make_tls_context(config_.endpoint)), token_(config_.token) {}

std::unique_ptr<connection> client::connect(asio::any_io_executor ex) const {
  return std::make_unique<connection>(std::move(ex), config_.endpoint, tls_);
}

std::string client::authorization() {
  if (!config_.token_file.empty()) {
    struct ::stat st {};
    stamp now;
    if (::stat(config_.token_file.c_str(), &st) == 0) now = {st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size, st.st_ino};
    if (!(now == token_stamp_) || token_.empty()) {
      std::ifstream in(config_.token_file);
      std::stringstream text;
      text << in.rdbuf();
      auto t = text.str();
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
      if (!t.empty()) {
        token_ = std::move(t);
        token_stamp_ = now;
      }
    }
  }
  return token_.empty() ? std::string() : "Bearer " + token_;
}

asio::awaitable<http_response> client::send(connection& c, beast::http::verb method, std::string target,
                                            std::string body, std::string content_type) {
  for (int attempt = 0;; ++attempt) {
    connection::request_head head{method, target, authorization(), content_type};
    auto r = co_await c.request(std::move(head), body, timeout_);
    if (r.status != 401 || attempt > 0 || config_.token_file.empty()) co_return r;
    token_rejected();
  }
}

asio::awaitable<http_response> client::watch(connection& c, std::string target, std::chrono::seconds idle,
                                             std::function<void()> on_open,
                                             std::function<void(std::string_view)> on_line) {
  connection::request_head head{beast::http::verb::get, std::move(target), authorization(), {}};
  auto r = co_await c.stream(std::move(head), timeout_, idle, std::move(on_open), std::move(on_line));
  if (r.status == 401) token_rejected();
  co_return r;
}

}  // namespace store::kubernetes
