// A scripted BGP peer for session tests: a raw TCP socket on 127.0.0.3 (blocking, on a
// thread of its own) that a real bgp::speaker on 127.0.0.1 connects to. The test
// writes exactly the octets the peer sends and reads what the speaker answers.
#pragma once

#include <bgp/codec.hpp>
#include <bgp/speaker.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

namespace bgp::test {

using namespace std::chrono_literals;

// Blocking helpers for the hostile side (it runs on its own thread).
struct raw_peer {
  int listener = -1, conn = -1;
  std::uint16_t port = 0;

  explicit raw_peer(int buffer_size = 0) {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    if (buffer_size > 0) {  // inherited by the accepted connection: a small window from the SYN on
      ::setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size);
      ::setsockopt(listener, SOL_SOCKET, SO_SNDBUF, &buffer_size, sizeof buffer_size);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7F000003);  // 127.0.0.3
    a.sin_port = 0;
    int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    ::listen(listener, 1);
    socklen_t len = sizeof a;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~raw_peer() {
    if (conn >= 0) ::close(conn);
    if (listener >= 0) ::close(listener);
  }
  bool accept_one() {
    timeval tv{10, 0};
    ::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    conn = ::accept(listener, nullptr, nullptr);
    if (conn < 0) return false;
    ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return true;
  }
  void send(const bytes& b) { (void)!::write(conn, b.data(), b.size()); }
  // Reads one whole message; nullopt on EOF, error or timeout.
  std::optional<bytes> read_message() {
    bytes m(header_size);
    if (!read_exact(m.data(), header_size)) return std::nullopt;
    const std::size_t len = (std::size_t{m[16]} << 8) | m[17];
    if (len < header_size) return std::nullopt;
    m.resize(len);
    if (!read_exact(m.data() + header_size, len - header_size)) return std::nullopt;
    return m;
  }
  bool read_exact(std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      const auto r = ::read(conn, p, n);
      if (r <= 0) return false;
      p += r;
      n -= static_cast<std::size_t>(r);
    }
    return true;
  }
  // Reads until a NOTIFICATION arrives (skipping KEEPALIVEs and UPDATEs).
  std::optional<notification_message> next_notification() {
    while (auto m = read_message()) {
      const auto r = decode(*m, {});
      if (r.msg)
        if (auto* n = std::get_if<notification_message>(&*r.msg)) return *n;
    }
    return std::nullopt;
  }
};

// The scripted peer's OPEN: AS `as` (65002: eBGP with the speaker's 65001; 65001:
// iBGP), BGP Identifier 3.3.3.3, IPv4 unicast, four-octet AS unless `four_octet_as`
// is false (then the speaker talks to it as to a two-octet speaker, RFC 6793).
inline open_message hostile_open(std::uint8_t version = 4, std::uint16_t hold = 90, std::uint32_t as = 65002,
                                 bool four_octet_as = true) {
  open_message o;
  o.version = version;
  o.my_as = static_cast<std::uint16_t>(as);
  o.hold_time = hold;
  o.bgp_id = 0x03030303;
  o.capabilities = {cap_multiprotocol{ipv4_unicast}};
  if (four_octet_as) o.capabilities.push_back(cap_four_octet_as{as});
  return o;
}

struct scripted_peer_fixture : ::testing::Test {
  boost::asio::io_context io;
  raw_peer hostile;
  std::unique_ptr<speaker> spk;

  explicit scripted_peer_fixture(int buffer_size = 0) : hostile(buffer_size) {}

  // The speaker (AS 65001, 1.1.1.1, 127.0.0.1) connects to the scripted peer.
  void start_speaker(std::uint16_t hold_time = 90, std::uint32_t peer_as = 65002, bool keep_received = false,
                     const std::function<void(peer_config&)>& adjust = {}) {
    ASSERT_NE(hostile.port, 0) << "cannot bind 127.0.0.3";
    speaker_config c;
    c.asn = 65001;
    c.router_id = 0x01010101;
    spk = std::make_unique<speaker>(io, c);
    peer_config p;
    p.address = ip_address::v4(0x7F000003);
    p.port = hostile.port;
    p.peer_as = peer_as;
    p.keep_received = keep_received;
    p.local_address = ip_address::v4(0x7F000001);
    p.connect_retry = 1;
    p.hold_time = hold_time;
    if (adjust) adjust(p);
    spk->set_peer(p);
    spk->start();
  }
  // Runs the speaker's io_context while `peer_side` plays the hostile peer.
  template <class F>
  void play(F peer_side) {
    std::atomic<bool> done{false};
    std::thread t([&] {
      peer_side();
      done = true;
    });
    const auto end = std::chrono::steady_clock::now() + 20s;
    while (!done && std::chrono::steady_clock::now() < end) io.run_for(10ms);
    t.join();
  }
  // Accept, swap OPENs, KEEPALIVE: the speaker is then Established.
  bool establish(std::uint16_t hold = 90, std::uint32_t as = 65002, bool four_octet_as = true) {
    if (!hostile.accept_one()) return false;
    auto theirs = hostile.read_message();  // the speaker's OPEN
    if (!theirs) return false;
    hostile.send(encode(hostile_open(4, hold, as, four_octet_as), {}));
    hostile.send(encode(keepalive_message{}, {}));
    return true;
  }
};


}  // namespace bgp::test
