// A small HTTP/1.1 server for /metrics, /healthz and /readyz on the core's io_context
// (Boost.Beast, one coroutine per connection). GET only; the handler runs on the core
// thread, so it may read the core's state directly.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace speaker::detail {

struct http_response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class http_server {
 public:
  using handler = std::function<http_response(const std::string& path)>;
  // Binds and listens at once; throws boost::system::system_error when it cannot.
  http_server(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at, handler h);
  ~http_server();
  void close();
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

// "127.0.0.1:7472", "[::1]:7472", ":7472" (all addresses); nullopt when malformed.
std::optional<boost::asio::ip::tcp::endpoint> parse_endpoint(const std::string& text);

}  // namespace speaker::detail
