// A small HTTP/1.1 server for /metrics, /healthz, /readyz and the services' JSON views on
// the core's io_context (Boost.Beast, one coroutine per connection). GET only; the handler
// runs on the core thread, so it may read the core's state directly. An asynchronous
// handler answers later, through the `respond` it is given (on the core thread too), so
// a long answer can be built in parts between the core's other work. It defends the core
// against its clients: at most `max_connections` at once (a new one beyond that closes the
// oldest connection that waits for a request, so a health check gets through a flood of
// idle clients), idle connections closed after 30 s, and an accept error (out of file
// descriptors) backs off instead of spinning.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace runtime {

struct http_response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // A long body in pieces, sent one after another after `body` (a scrape's 35 MiB is
  // never copied into one string on the core thread).
  std::vector<std::string> more{};
};

class http_server {
 public:
  using handler = std::function<http_response(const std::string& path)>;
  // Calls respond at most once, at once or later on the server's io_context; a connection
  // whose respond is dropped uncalled is closed.
  using respond = std::function<void(http_response)>;
  using async_handler = std::function<void(const std::string& path, respond)>;
  struct limits {
    std::size_t max_connections = 64;
    std::chrono::milliseconds idle{30000};
    std::chrono::milliseconds accept_backoff{100};  // first pause after an accept error, doubling to 1 s
  };
  struct counters {
    std::uint64_t accepted = 0;
    std::uint64_t refused_busy = 0;   // accepted while max_connections were open (one was closed)
    std::uint64_t accept_errors = 0;  // EMFILE, ENFILE, ...
    std::size_t open = 0;
  };
  // Binds and listens at once; throws boost::system::system_error when it cannot.
  http_server(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at, handler h);
  http_server(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at, handler h, limits l);
  http_server(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at, async_handler h, limits l);
  ~http_server();
  void close();
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  const counters& stats() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

// "127.0.0.1:7472", "[::1]:7472", ":7472" (all addresses); nullopt when malformed.
std::optional<boost::asio::ip::tcp::endpoint> parse_endpoint(const std::string& text);

}  // namespace runtime
