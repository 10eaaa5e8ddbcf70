// UDP sockets and ancillary data for BFD; see socket.hpp.
#include "session/socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bfd::session {

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool set_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0;
}

opened fail(int fd, const char* what) {
  opened o;
  o.error = errno_text(what);
  if (fd >= 0) ::close(fd);
  return o;
}

int make_socket(bool v6, const std::string& device, opened& err) {
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = fail(-1, "socket");
    return -1;
  }
  if (v6 && !set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) {
    err = fail(fd, "setsockopt(IPV6_V6ONLY)");
    return -1;
  }
  if (!device.empty() &&
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.data(), static_cast<socklen_t>(device.size())) != 0) {
    err = fail(fd, "setsockopt(SO_BINDTODEVICE)");
    return -1;
  }
  return fd;
}

bool bind_any(int fd, bool v6, std::uint16_t port) {
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons(port);
    return ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  a.sin_port = htons(port);
  return ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

boost::asio::ip::address from_in6(const in6_addr& a, unsigned scope) {
  boost::asio::ip::address_v6::bytes_type b;
  std::memcpy(b.data(), &a, 16);
  return boost::asio::ip::address_v6(b, scope);
}

boost::asio::ip::address from_in4(const in_addr& a) {
  return boost::asio::ip::address_v4(ntohl(a.s_addr));
}

}  // namespace

opened open_receiver(bool v6, std::uint16_t port, const std::string& device) {
  opened o;
  const int fd = make_socket(v6, device, o);
  if (fd < 0) return o;
  // Several bgplb processes in one namespace never share a port; SO_REUSEADDR only
  // lets a restart bind while old datagrams drain.
  set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  const bool ok = v6 ? set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) && set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
                     : set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) && set_int(fd, IPPROTO_IP, IP_RECVTTL, 1);
  if (!ok) return fail(fd, "setsockopt(PKTINFO/TTL)");
  // One socket takes every session's packets: room for a stall of the core thread
  // (1,000 sessions at 50 ms are 20,000 packets a second). FORCE needs CAP_NET_ADMIN;
  // without it the kernel caps SO_RCVBUF at net.core.rmem_max.
  constexpr int rcvbuf = 4 << 20;
  if (!set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)) set_int(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf);
  if (!bind_any(fd, v6, port)) return fail(fd, "bind");
  o.fd = fd;
  o.port = bound_port(fd);
  return o;
}

opened open_sender(bool v6, const std::string& device, const std::function<std::uint32_t()>& random) {
  opened o;
  const int fd = make_socket(v6, device, o);
  if (fd < 0) return o;
  const bool ok = v6 ? set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255) : set_int(fd, IPPROTO_IP, IP_TTL, 255);
  if (!ok) return fail(fd, v6 ? "setsockopt(IPV6_UNICAST_HOPS)" : "setsockopt(IP_TTL)");
  // Traffic class: network control (CS6), as routing protocols send.
  if (v6) set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, 0xc0);
  else set_int(fd, IPPROTO_IP, IP_TOS, 0xc0);
  constexpr std::uint32_t lo = 49152, span = 65536 - lo;
  const std::uint32_t start = random ? random() % span : 0;
  for (std::uint32_t i = 0; i < span; ++i) {
    if (bind_any(fd, v6, static_cast<std::uint16_t>(lo + (start + i) % span))) {
      o.fd = fd;
      o.port = bound_port(fd);
      return o;
    }
    if (errno != EADDRINUSE) break;
  }
  return fail(fd, "bind (source port 49152-65535)");
}

bool receive(int fd, std::span<std::uint8_t> buf, datagram& out) {
  sockaddr_storage from{};
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) std::uint8_t control[256];
  msghdr m{};
  m.msg_name = &from;
  m.msg_namelen = sizeof from;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd, &m, 0);
  if (n < 0) return false;
  out = datagram{};
  out.size = static_cast<std::size_t>(n);
  if (from.ss_family == AF_INET6) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&from);
    out.source = from_in6(s->sin6_addr, s->sin6_scope_id);
    out.source_port = ntohs(s->sin6_port);
  } else {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&from);
    out.source = from_in4(s->sin_addr);
    out.source_port = ntohs(s->sin_port);
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      out.destination = from_in4(pi.ipi_addr);
      out.ifindex = static_cast<unsigned>(pi.ipi_ifindex);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
      int ttl;
      std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      out.ttl = ttl;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      out.destination = from_in6(pi.ipi6_addr, 0);
      out.ifindex = pi.ipi6_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      int hops;
      std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
      out.ttl = hops;
    }
  }
  return true;
}

int send(int fd, byte_view data, const boost::asio::ip::address& to, std::uint16_t port,
         const std::optional<boost::asio::ip::address>& source, unsigned ifindex) {
  sockaddr_storage dst{};
  socklen_t dst_len = 0;
  alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msghdr m{};
  iovec iov{const_cast<std::uint8_t*>(data.data()), data.size()};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  const bool pktinfo = source.has_value() || ifindex != 0;
  if (to.is_v6()) {
    auto* d = reinterpret_cast<sockaddr_in6*>(&dst);
    d->sin6_family = AF_INET6;
    d->sin6_port = htons(port);
    const auto b = to.to_v6().to_bytes();
    std::memcpy(&d->sin6_addr, b.data(), 16);
    d->sin6_scope_id = to.to_v6().is_link_local() ? (ifindex ? ifindex : to.to_v6().scope_id()) : 0;
    dst_len = sizeof(sockaddr_in6);
    if (pktinfo) {
      m.msg_control = control;
      m.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo pi{};
      if (source && source->is_v6()) {
        const auto sb = source->to_v6().to_bytes();
        std::memcpy(&pi.ipi6_addr, sb.data(), 16);
      }
      pi.ipi6_ifindex = ifindex;
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
  } else {
    auto* d = reinterpret_cast<sockaddr_in*>(&dst);
    d->sin_family = AF_INET;
    d->sin_port = htons(port);
    d->sin_addr.s_addr = htonl(to.to_v4().to_uint());
    dst_len = sizeof(sockaddr_in);
    if (pktinfo) {
      m.msg_control = control;
      m.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo pi{};
      if (source && source->is_v4()) pi.ipi_spec_dst.s_addr = htonl(source->to_v4().to_uint());
      pi.ipi_ifindex = static_cast<int>(ifindex);
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
  }
  m.msg_name = &dst;
  m.msg_namelen = dst_len;
  return ::sendmsg(fd, &m, 0) < 0 ? errno : 0;
}

void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace bfd::session
