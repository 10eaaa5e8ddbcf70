// One TCP connection of a peer and what is queued to go out on it. A writer coroutine
// of its own does the writing, so the session's reads and timers never wait for a
// write: a peer that stops reading leaves our writes pending while its hold timer still
// expires on time (RFC 4271 §8.2.2 HoldTimer_Expires), and keepalives keep their pace
// while a long initial update is going out.
//
// Messages are queued whole, in two queues each kept in order: the urgent one (OPEN,
// KEEPALIVE, NOTIFICATION) goes out at the next message boundary, ahead of what is
// still in the other (UPDATEs, written in chunks of whole messages), never inside
// another message.
#pragma once

#include <bgp/types.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace bgp::session {

class link : public std::enable_shared_from_this<link> {
 public:
  using tcp = boost::asio::ip::tcp;
  // `on_progress` is called (on the socket's executor) whenever the writer has written
  // something, failed, or finished.
  static std::shared_ptr<link> start(tcp::socket socket, std::function<void()> on_progress);
  // A connection that is only told why it ends: `last` (a NOTIFICATION) goes out, then
  // it is closed in order, as retire() does. Nothing else needs to keep it.
  static void send_and_close(tcp::socket socket, bytes last, std::chrono::milliseconds limit);

  tcp::socket& socket() { return socket_; }
  // Append whole encoded messages; the writer is woken by write().
  bytes& queue() { return queue_; }
  bytes& urgent() { return urgent_; }
  void write();

  // Bytes queued and not yet taken by the writer (the session produces more UPDATEs
  // once this is empty).
  std::size_t queued() const { return queue_.size(); }
  // Nothing queued, nothing being written.
  bool idle() const { return queue_.empty() && urgent_.empty() && out_at_ == out_.size() && !writing_; }
  // The write error, once a write has failed.
  const std::string& failure() const { return failure_; }
  bool closed() const { return closed_; }

  // Ends the connection in order: the chunk being written is finished, then what is
  // urgent (a final NOTIFICATION) goes out, the rest of the queue is dropped; the
  // sending side is shut down and the peer given until `limit` to close (so that it
  // reads the NOTIFICATION before our close could reset the connection). After
  // `limit`, the socket is closed whatever is left.
  void retire(std::chrono::milliseconds limit);
  // Close now; nothing more is written.
  void abort();
  // Completes once the writer has ended and the socket is closed.
  boost::asio::awaitable<void> wait_closed();

  link(tcp::socket socket, std::function<void()> on_progress);

 private:
  boost::asio::awaitable<void> run(std::shared_ptr<link> self);  // `self` keeps it alive
  boost::asio::awaitable<void> drain();
  void close();
  // The end of the next chunk in out_: whole messages, at least one, up to chunk_size.
  std::size_t chunk_end() const;

  static constexpr std::size_t chunk_size = 16384;

  tcp::socket socket_;
  std::function<void()> on_progress_;
  boost::asio::steady_timer wake_, deadline_, done_;
  bytes queue_, urgent_;
  bytes out_;  // the batch taken from queue_, written from out_at_ on
  std::size_t out_at_ = 0;
  bytes urgent_out_;
  bool writing_ = false;
  bool retiring_ = false;
  bool closed_ = false;
  bool ended_ = false;  // the writer coroutine is over
  std::string failure_;
};

}  // namespace bgp::session
