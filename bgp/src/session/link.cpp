// The writer of one connection: urgent messages first, then the queue in chunks of
// whole messages; an orderly end (retire) or an immediate one (abort).
#include "session/link.hpp"

#include <bgp/codec.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace bgp::session {

namespace asio = boost::asio;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

link::link(tcp::socket socket, std::function<void()> on_progress)
    : socket_(std::move(socket)),
      on_progress_(std::move(on_progress)),
      wake_(socket_.get_executor()),
      deadline_(socket_.get_executor()),
      done_(socket_.get_executor()) {
  done_.expires_at(asio::steady_timer::time_point::max());
}

std::shared_ptr<link> link::start(tcp::socket socket, std::function<void()> on_progress) {
  auto l = std::make_shared<link>(std::move(socket), std::move(on_progress));
  // The coroutine holds the link until it ends (the parameter lives in its frame).
  asio::co_spawn(l->socket_.get_executor(), l->run(l), asio::detached);
  return l;
}

void link::send_and_close(tcp::socket socket, bytes last, std::chrono::milliseconds limit) {
  auto l = start(std::move(socket), {});
  l->urgent_ = std::move(last);
  l->retire(limit);
}

void link::write() { wake_.cancel(); }

std::size_t link::chunk_end() const {
  std::size_t at = out_at_;
  while (at < out_.size() && (at == out_at_ || at - out_at_ < chunk_size)) {
    if (out_.size() - at < header_size) return out_.size();
    const std::size_t len = (std::size_t{out_[at + 16]} << 8) | out_[at + 17];
    if (len < header_size || len > out_.size() - at) return out_.size();
    at += len;
  }
  return at;
}

asio::awaitable<void> link::run(std::shared_ptr<link> self) {
  const auto failed = [this](const boost::system::error_code& ec) {
    if (!closed_) failure_ = "write: " + ec.message();
  };
  while (!closed_) {
    if (!urgent_.empty()) {
      urgent_out_.clear();
      urgent_out_.swap(urgent_);
      writing_ = true;
      auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(urgent_out_), tuple_awaitable);
      writing_ = false;
      if (ec) {
        failed(ec);
        break;
      }
      continue;
    }
    if (out_at_ == out_.size()) {
      out_.clear();
      out_at_ = 0;
      if (retiring_) break;  // what was not taken yet is dropped: the session is over
      if (queue_.empty()) {
        if (on_progress_) on_progress_();  // all written
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(tuple_awaitable);
        continue;
      }
      out_.swap(queue_);
      if (on_progress_) on_progress_();  // room for more
    }
    const std::size_t end = chunk_end();
    writing_ = true;
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_.data() + out_at_, end - out_at_),
                                              tuple_awaitable);
    writing_ = false;
    if (ec) {
      failed(ec);
      break;
    }
    out_at_ = retiring_ ? out_.size() : end;
  }
  if (retiring_ && !closed_ && failure_.empty()) co_await drain();
  close();
  ended_ = true;
  done_.cancel();
  if (on_progress_) on_progress_();
  self.reset();
}

// Closing a socket with unread data makes the kernel answer with RST, and a peer that
// gets the RST before it has read our NOTIFICATION never sees it (RFC 4271 §6 wants it
// delivered): half-close, then read until the peer closes too (or the deadline closes
// the socket).
asio::awaitable<void> link::drain() {
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  std::array<std::uint8_t, 4096> sink{};
  while (!ec && !closed_) {
    auto [rec, n] = co_await socket_.async_read_some(asio::buffer(sink), tuple_awaitable);
    ec = rec;
  }
}

void link::retire(std::chrono::milliseconds limit) {
  if (retiring_ || closed_) return;
  retiring_ = true;
  deadline_.expires_after(limit);
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->close();
  });
  wake_.cancel();
}

void link::abort() {
  queue_.clear();
  urgent_.clear();
  close();
}

void link::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  deadline_.cancel();
  wake_.cancel();
}

asio::awaitable<void> link::wait_closed() {
  auto self = shared_from_this();
  while (!ended_) co_await done_.async_wait(tuple_awaitable);
}

}  // namespace bgp::session
