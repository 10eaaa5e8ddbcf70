// HTTP endpoint for metrics and health (see runtime/http_server.hpp).
#include "runtime/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <charconv>
#include <map>

#include "runtime/log.hpp"

namespace runtime {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct http_server::state {
  state(asio::io_context& io, async_handler h, limits l) : acceptor(io), on_request(std::move(h)), lim(l) {}
  tcp::acceptor acceptor;
  async_handler on_request;
  limits lim;
  counters count;
  // Open connections by age; `waiting` ones are between requests and may be evicted.
  struct conn {
    beast::tcp_stream* stream;
    bool waiting;
  };
  std::map<std::uint64_t, conn> conns;
  std::uint64_t next_id = 0;
};

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// The handler's answer, awaited: the coroutine resumes from a posted call, never from
// inside the handler, whether it answers at once or later.
asio::awaitable<http_response> answer(const std::shared_ptr<http_server::state>& st, const std::string& path) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(http_response)>(
      [&](auto completion) {
        auto shared = std::make_shared<decltype(completion)>(std::move(completion));
        auto ex = st->acceptor.get_executor();
        st->on_request(path, [shared, ex](http_response r) {
          asio::post(ex, [shared, r = std::move(r)]() mutable { std::move(*shared)(std::move(r)); });
        });
      },
      asio::use_awaitable);
}

asio::awaitable<void> serve(std::shared_ptr<http_server::state> st, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  const auto id = st->next_id++;
  auto& me = st->conns[id] = {&stream, true};
  st->count.open = st->conns.size();
  struct closing {
    http_server::state& s;
    std::uint64_t id;
    ~closing() {
      s.conns.erase(id);
      s.count.open = s.conns.size();
    }
  } on_exit{*st, id};
  beast::flat_buffer buffer;
  for (;;) {
    stream.expires_after(st->lim.idle);
    http::request<http::string_body> req;
    me.waiting = true;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, tuple_awaitable);
    me.waiting = false;
    if (ec) break;
    http_response out{405, "text/plain; charset=utf-8", "only GET\n", {}};
    const bool head = req.method() == http::verb::head;
    const bool allowed = req.method() == http::verb::get || head;
    if (allowed) {
      std::string path(req.target());
      if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
      out = co_await answer(st, path);
    }
    // The body piece by piece (beast's buffer_body): each piece is one write, and the core
    // runs other work while the socket drains.
    std::size_t length = out.body.size();
    for (const auto& piece : out.more) length += piece.size();
    http::response<http::buffer_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::server, "bgplb");
    res.result(out.status);
    res.set(http::field::content_type, out.content_type);
    if (!allowed) res.set(http::field::allow, "GET, HEAD");
    res.content_length(length);
    res.body().data = nullptr;
    res.body().more = !head;
    http::response_serializer<http::buffer_body> sr{res};
    auto [hec, hn] = co_await http::async_write_header(stream, sr, tuple_awaitable);
    if (hec) break;
    bool failed = false;
    if (!head) {
      const auto send = [&](std::string& piece) -> asio::awaitable<bool> {
        if (piece.empty()) co_return true;
        res.body().data = piece.data();
        res.body().size = piece.size();
        res.body().more = true;
        auto [ec2, n2] = co_await http::async_write(stream, sr, tuple_awaitable);
        co_return !ec2 || ec2 == http::error::need_buffer;
      };
      failed = !co_await send(out.body);
      for (auto& piece : out.more) {
        if (failed) break;
        failed = !co_await send(piece);
        std::string().swap(piece);  // sent: freed as the body goes
      }
      if (!failed) {
        res.body().data = nullptr;
        res.body().more = false;
        auto [eec, en] = co_await http::async_write(stream, sr, tuple_awaitable);
        failed = static_cast<bool>(eec);
      }
    }
    if (failed || !res.keep_alive()) break;
  }
  beast::error_code ignore;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignore);
}

// An accept that fails (EMFILE when the process is out of file descriptors, ENFILE,
// ENOBUFS) would fail again at once: pause, doubling up to 1 s, and log once per episode.
asio::awaitable<void> accept_loop(std::shared_ptr<http_server::state> st) {
  asio::steady_timer pause(st->acceptor.get_executor());
  auto backoff = st->lim.accept_backoff;
  bool failing = false;
  while (st->acceptor.is_open()) {
    auto [ec, socket] = co_await st->acceptor.async_accept(tuple_awaitable);
    if (ec) {
      if (ec == asio::error::operation_aborted || !st->acceptor.is_open()) co_return;
      ++st->count.accept_errors;
      if (!failing) log::warn(log::ev::http_accept_error, "error", ec.message(), "retry_ms", std::to_string(backoff.count()));
      failing = true;
      pause.expires_after(backoff);
      co_await pause.async_wait(tuple_awaitable);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
      continue;
    }
    failing = false;
    backoff = st->lim.accept_backoff;
    ++st->count.accepted;
    if (st->conns.size() >= st->lim.max_connections) {
      // Full: the oldest connection that is waiting for a request makes room (a health
      // check still gets through a flood of idle clients); when every one is busy
      // answering, the new one is closed.
      if (st->count.refused_busy++ == 0)
        log::warn(log::ev::http_busy, "open", std::to_string(st->conns.size()), "limit",
                  std::to_string(st->lim.max_connections));
      auto idle = std::find_if(st->conns.begin(), st->conns.end(), [](const auto& c) { return c.second.waiting; });
      boost::system::error_code ignore;
      if (idle == st->conns.end()) {
        socket.close(ignore);
        continue;
      }
      idle->second.stream->socket().close(ignore);
      idle->second.waiting = false;
    }
    asio::co_spawn(st->acceptor.get_executor(), serve(st, std::move(socket)), asio::detached);
  }
}

}  // namespace

http_server::http_server(asio::io_context& io, const tcp::endpoint& at, handler h)
    : http_server(io, at, std::move(h), limits{}) {}

http_server::http_server(asio::io_context& io, const tcp::endpoint& at, handler h, limits l)
    : http_server(io, at, async_handler([h = std::move(h)](const std::string& path, respond r) { r(h(path)); }), l) {}

http_server::http_server(asio::io_context& io, const tcp::endpoint& at, async_handler h, limits l)
    : state_(std::make_shared<state>(io, std::move(h), l)) {
  state_->acceptor.open(at.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(at);
  state_->acceptor.listen();
  asio::co_spawn(io, accept_loop(state_), asio::detached);
}

http_server::~http_server() { close(); }

void http_server::close() {
  boost::system::error_code ec;
  state_->acceptor.close(ec);
}

tcp::endpoint http_server::local_endpoint() const { return state_->acceptor.local_endpoint(); }

const http_server::counters& http_server::stats() const { return state_->count; }

std::optional<tcp::endpoint> parse_endpoint(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || p != port_text.data() + port_text.size() || port > 65535) return std::nullopt;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "::";
  boost::system::error_code aec;
  const auto addr = asio::ip::make_address(host, aec);
  if (aec) return std::nullopt;
  return tcp::endpoint(addr, static_cast<unsigned short>(port));
}

}  // namespace runtime
