// HTTP/1.1 over Beast, with TLS by OpenSSL (see http.hpp).
#include "http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <stdexcept>

namespace store::kubernetes {

namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

constexpr std::size_t max_body = std::size_t{1} << 30;
constexpr std::size_t max_error_body = 64 * 1024;

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// A peer that vanishes without a FIN (power loss, a partition) is noticed in about a
// minute instead of the kernel's two hours: idle 30 s, then 3 probes 10 s apart.
void keepalive(asio::ip::tcp::socket& s) {
  boost::system::error_code ec;
  s.set_option(asio::socket_base::keep_alive(true), ec);
  const int fd = s.native_handle();
  int idle = 30, interval = 10, count = 3;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  s.set_option(asio::ip::tcp::no_delay(true), ec);
}

template <class S>
asio::ip::tcp::socket& socket_of(S& s) {
  return beast::get_lowest_layer(s).socket();
}

template <class Request>
void fill_head(Request& req, const connection::request_head& head, const endpoint_config& e) {
  req.method(head.method);
  req.target(head.target);
  req.version(11);
  req.set(http::field::host, e.host.find(':') != std::string::npos ? "[" + e.host + "]:" + e.port : e.host + ":" + e.port);
  req.set(http::field::user_agent, "bgplb");
  req.set(http::field::accept, "application/json");
  if (!head.authorization.empty()) req.set(http::field::authorization, head.authorization);
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_tls_context(const endpoint_config& e) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (e.insecure) {
    ctx->set_verify_mode(asio::ssl::verify_none);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_peer);
    if (e.ca_pem.empty()) ctx->set_default_verify_paths(ec);
    else ctx->add_certificate_authority(asio::buffer(e.ca_pem), ec);
    if (ec) throw std::invalid_argument("the cluster's certificate authority: " + ec.message());
  }
  if (!e.client_cert_pem.empty()) {
    ctx->use_certificate_chain(asio::buffer(e.client_cert_pem), ec);
    if (ec) throw std::invalid_argument("the client certificate: " + ec.message());
    ctx->use_private_key(asio::buffer(e.client_key_pem), asio::ssl::context::pem, ec);
    if (ec) throw std::invalid_argument("the client key: " + ec.message());
  }
  return ctx;
}

connection::connection(asio::any_io_executor ex, const endpoint_config& e, std::shared_ptr<asio::ssl::context> tls)
    : ex_(std::move(ex)), endpoint_(e), tls_(std::move(tls)) {}

connection::~connection() = default;

void connection::close() {
  boost::system::error_code ec;
  if (auto* p = std::get_if<plain>(&stream_)) p->socket().close(ec);
  if (auto* s = std::get_if<secure>(&stream_)) socket_of(*s).close(ec);
}

asio::awaitable<std::string> connection::open(std::chrono::seconds timeout) {
  stream_.emplace<std::monostate>();
  buffer_.clear();
  asio::ip::tcp::resolver resolver(ex_);
  auto [rec, results] = co_await resolver.async_resolve(endpoint_.host, endpoint_.port, as_tuple(use_awaitable));
  const std::string where = server_url(endpoint_);
  if (rec) co_return "resolve " + endpoint_.host + ": " + rec.message();
  if (!endpoint_.tls) {
    auto& s = stream_.emplace<plain>(ex_);
    s.expires_after(timeout);
    auto [cec, ep] = co_await s.async_connect(results, as_tuple(use_awaitable));
    if (cec) {
      stream_.emplace<std::monostate>();
      co_return "connect " + where + ": " + cec.message();
    }
    keepalive(s.socket());
    s.expires_never();
    co_return "";
  }
  auto& s = stream_.emplace<secure>(ex_, *tls_);
  auto& low = beast::get_lowest_layer(s);
  low.expires_after(timeout);
  auto [cec, ep] = co_await low.async_connect(results, as_tuple(use_awaitable));
  if (cec) {
    stream_.emplace<std::monostate>();
    co_return "connect " + where + ": " + cec.message();
  }
  keepalive(low.socket());
  if (!is_ip_literal(endpoint_.server_name)) SSL_set_tlsext_host_name(s.native_handle(), endpoint_.server_name.c_str());
  if (!endpoint_.insecure) s.set_verify_callback(asio::ssl::host_name_verification(endpoint_.server_name));
  auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::client, as_tuple(use_awaitable));
  if (hec) {
    stream_.emplace<std::monostate>();
    co_return "TLS handshake with " + where + ": " + hec.message();
  }
  low.expires_never();
  co_return "";
}

template <class S>
asio::awaitable<http_response> connection::exchange(S& s, request_head head, std::string body,
                                                    std::chrono::seconds timeout) {
  http_response out;
  http::request<http::string_body> req;
  fill_head(req, head, endpoint_);
  if (!head.content_type.empty()) req.set(http::field::content_type, head.content_type);
  req.body() = std::move(body);
  req.prepare_payload();
  auto& low = beast::get_lowest_layer(s);
  low.expires_after(timeout);
  auto [wec, wn] = co_await http::async_write(s, req, as_tuple(use_awaitable));
  if (wec) {
    out.error = "send: " + wec.message();
    co_return out;
  }
  http::response_parser<http::string_body> p;
  p.body_limit(max_body);
  auto [rec, rn] = co_await http::async_read(s, buffer_, p, as_tuple(use_awaitable));
  if (rec) {
    out.error = "receive: " + (rec == beast::error::timeout ? "no answer within " + std::to_string(timeout.count()) + " s"
                                                            : rec.message());
    co_return out;
  }
  low.expires_never();
  auto& res = p.get();
  out.status = static_cast<int>(res.result_int());
  if (auto it = res.find(http::field::retry_after); it != res.end()) out.retry_after = std::string(it->value());
  out.body = std::move(res.body());
  if (!res.keep_alive()) close();
  co_return out;
}

asio::awaitable<http_response> connection::request(request_head head, std::string body, std::chrono::seconds timeout) {
  // A kept-alive connection the server closed while idle fails on first use: one retry
  // on a fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = !std::holds_alternative<std::monostate>(stream_) &&
                        (std::holds_alternative<plain>(stream_) ? std::get<plain>(stream_).socket().is_open()
                                                                : socket_of(std::get<secure>(stream_)).is_open());
    if (!reused) {
      if (auto why = co_await open(timeout); !why.empty()) co_return http_response{0, {}, {}, why};
    }
    // (no co_await inside ?: — GCC 12 miscompiles it)
    http_response r;
    if (std::holds_alternative<plain>(stream_)) r = co_await exchange(std::get<plain>(stream_), head, body, timeout);
    else r = co_await exchange(std::get<secure>(stream_), head, body, timeout);
    if (r.status != 0) co_return r;
    stream_.emplace<std::monostate>();
    if (!reused) co_return r;
  }
  co_return http_response{0, {}, {}, "unreachable"};
}

template <class S>
asio::awaitable<http_response> connection::watch(S& s, request_head head, std::chrono::seconds timeout,
                                                 std::chrono::seconds idle, std::function<void()>& on_open,
                                                 std::function<void(std::string_view)>& on_line) {
  http_response out;
  http::request<http::empty_body> req;
  fill_head(req, head, endpoint_);
  req.prepare_payload();
  auto& low = beast::get_lowest_layer(s);
  low.expires_after(timeout);
  auto [wec, wn] = co_await http::async_write(s, req, as_tuple(use_awaitable));
  if (wec) {
    out.error = "send: " + wec.message();
    co_return out;
  }
  http::response_parser<http::buffer_body> p;
  p.body_limit(boost::none);
  auto [hec, hn] = co_await http::async_read_header(s, buffer_, p, as_tuple(use_awaitable));
  if (hec) {
    out.error = "receive: " + hec.message();
    co_return out;
  }
  out.status = static_cast<int>(p.get().result_int());
  if (auto it = p.get().find(http::field::retry_after); it != p.get().end()) out.retry_after = std::string(it->value());
  if (out.status == 200) on_open();
  std::string line;
  char chunk[64 * 1024];
  while (!p.is_done()) {
    p.get().body().data = chunk;
    p.get().body().size = sizeof chunk;
    low.expires_after(idle);
    // read_some: hand over whatever arrived (async_read would wait for a full buffer).
    auto [ec, n] = co_await http::async_read_some(s, buffer_, p, as_tuple(use_awaitable));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      out.error = ec == beast::error::timeout ? "nothing received for " + std::to_string(idle.count()) + " s" : ec.message();
      close();
      co_return out;
    }
    const std::size_t got = sizeof chunk - p.get().body().size;
    if (out.status != 200) {
      if (out.body.size() < max_error_body) out.body.append(chunk, got);
      continue;
    }
    line.append(chunk, got);
    std::size_t start = 0;
    for (auto nl = line.find('\n'); nl != std::string::npos; nl = line.find('\n', start)) {
      if (nl > start) on_line(std::string_view(line).substr(start, nl - start));
      start = nl + 1;
    }
    line.erase(0, start);
  }
  if (!line.empty() && out.status == 200) on_line(line);
  low.expires_never();
  if (!p.get().keep_alive()) close();
  co_return out;
}

asio::awaitable<http_response> connection::stream(request_head head, std::chrono::seconds timeout,
                                                  std::chrono::seconds idle, std::function<void()> on_open,
                                                  std::function<void(std::string_view)> on_line) {
  const bool open_now = std::holds_alternative<plain>(stream_) ? std::get<plain>(stream_).socket().is_open()
                        : std::holds_alternative<secure>(stream_) ? socket_of(std::get<secure>(stream_)).is_open()
                                                                  : false;
  if (!open_now) {
    if (auto why = co_await open(timeout); !why.empty()) co_return http_response{0, {}, {}, why};
  }
  http_response r;
  if (std::holds_alternative<plain>(stream_)) r = co_await watch(std::get<plain>(stream_), std::move(head), timeout, idle, on_open, on_line);
  else r = co_await watch(std::get<secure>(stream_), std::move(head), timeout, idle, on_open, on_line);
  if (!r.error.empty()) stream_.emplace<std::monostate>();
  co_return r;
}

}  // namespace store::kubernetes
