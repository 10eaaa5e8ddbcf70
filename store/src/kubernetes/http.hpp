// HTTP/1.1 to the API server over Boost.Beast, TLS by OpenSSL: one kept-alive connection
// per caller (each reflector, the writer, the elector), opened on first use and again
// after it drops. Requests read the whole body; streams (watches) hand the body to the
// caller line by line as it arrives, whatever its framing (chunked or not). Expected
// failures are values: status 0 with the reason in `error`. Only the datastore's thread
// touches a connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "config.hpp"

namespace store::kubernetes {

namespace asio = boost::asio;
namespace beast = boost::beast;

struct http_response {
  int status = 0;            // 0: no response (transport error)
  std::string body;          // the whole body (streams: only for status != 200)
  std::string retry_after;   // the Retry-After header, if any
  std::string error;         // status 0, or a stream that ended badly: why
};

// The TLS context for an endpoint: its CA (else the system's), its client certificate,
// peer verification unless insecure. Throws std::invalid_argument for unusable PEM.
std::shared_ptr<asio::ssl::context> make_tls_context(const endpoint_config& e);

class connection {
 public:
  connection(asio::any_io_executor ex, const endpoint_config& e, std::shared_ptr<asio::ssl::context> tls);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  struct request_head {
    beast::http::verb method = beast::http::verb::get;
    std::string target;
    std::string authorization;  // "Bearer ..." or empty
    std::string content_type;   // for a body
  };

  asio::awaitable<http_response> request(request_head head, std::string body, std::chrono::seconds timeout);
  // A GET whose body is a stream of lines: `on_open` once the 200 head is in (within
  // `timeout`, as the connection), then `on_line` per line, until the server ends the
  // body (error empty), the connection drops or nothing arrives for `idle` (error set).
  asio::awaitable<http_response> stream(request_head head, std::chrono::seconds timeout, std::chrono::seconds idle,
                                        std::function<void()> on_open, std::function<void(std::string_view)> on_line);
  // Drops the connection; an operation in flight ends with an error.
  void close();

 private:
  using plain = beast::tcp_stream;
  using secure = beast::ssl_stream<beast::tcp_stream>;
  template <class S>
  asio::awaitable<http_response> exchange(S& s, request_head head, std::string body, std::chrono::seconds timeout);
  template <class S>
  asio::awaitable<http_response> watch(S& s, request_head head, std::chrono::seconds timeout, std::chrono::seconds idle,
                                       std::function<void()>& on_open, std::function<void(std::string_view)>& on_line);
  asio::awaitable<std::string> open(std::chrono::seconds timeout);  // "" or the error

  asio::any_io_executor ex_;
  const endpoint_config& endpoint_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::variant<std::monostate, plain, secure> stream_;
  beast::flat_buffer buffer_;
};

}  // namespace store::kubernetes
