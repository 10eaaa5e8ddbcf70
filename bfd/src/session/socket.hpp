// The kernel boundary of BFD: UDP sockets with the options RFC 5881/5883 need and
// recvmsg/sendmsg with their ancillary data (IP_PKTINFO / IPV6_PKTINFO for the local
// address and interface, IP_RECVTTL / IPV6_RECVHOPLIMIT for GTSM). Plain file
// descriptors; src/session/manager.cpp hands them to Asio for readiness only.
#pragma once

#include <bfd/packet.hpp>

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

namespace bfd::session {

struct opened {
  int fd = -1;
  std::uint16_t port = 0;  // bound port
  std::string error;       // empty on success
};

// RFC 5881 §4 / RFC 5883 §5: the receive socket on `port` (0: ephemeral), any address,
// with PKTINFO and TTL reporting on; IPv6 sockets are v6-only.
opened open_receiver(bool v6, std::uint16_t port, const std::string& device);

// RFC 5881 §4: "The source port MUST be in the range 49152 through 65535"; §5: "TTL or
// Hop Limit ... set to 255". Bound to any address; the source address and interface
// come with each packet (send).
opened open_sender(bool v6, const std::string& device, const std::function<std::uint32_t()>& random);

struct datagram {
  std::size_t size = 0;
  boost::asio::ip::address source, destination;
  std::uint16_t source_port = 0;
  unsigned ifindex = 0;
  int ttl = -1;  // -1: the kernel did not say
};

// One datagram into `buf`; false when none is waiting (or on error).
bool receive(int fd, std::span<std::uint8_t> buf, datagram& out);

// One datagram from `source` (unset: the kernel's choice) out of `ifindex` (0: by
// route). Returns 0 or errno.
int send(int fd, byte_view data, const boost::asio::ip::address& to, std::uint16_t port,
         const std::optional<boost::asio::ip::address>& source, unsigned ifindex);

void close_fd(int fd);

}  // namespace bfd::session
