// setsockopt wrappers; see socket_options.hpp.
#include "session/socket_options.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace bgp::session {

namespace {
std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }
}  // namespace

std::string set_md5(int fd, const ip_address& peer, const std::string& password) {
  if (password.size() > TCP_MD5SIG_MAXKEYLEN)
    return "TCP MD5 password longer than " + std::to_string(TCP_MD5SIG_MAXKEYLEN) + " octets";
  tcp_md5sig sig{};
  if (peer.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&sig.tcpm_addr);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, peer.octets.data(), 4);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, peer.octets.data(), 16);
  }
  sig.tcpm_keylen = static_cast<std::uint16_t>(password.size());
  std::memcpy(sig.tcpm_key, password.data(), password.size());
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) != 0) {
    // Removing a key that was never installed is not an error.
    if (password.empty() && errno == ENOENT) return {};
    return errno_text("setsockopt(TCP_MD5SIG)");
  }
  return {};
}

std::string set_ttl(int fd, bool v6, int ttl) {
  const int r = v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl)
                   : setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
  return r == 0 ? std::string{} : errno_text(v6 ? "setsockopt(IPV6_UNICAST_HOPS)" : "setsockopt(IP_TTL)");
}

std::string set_min_ttl(int fd, bool v6, int min_ttl) {
  const int r = v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min_ttl, sizeof min_ttl)
                   : setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min_ttl, sizeof min_ttl);
  return r == 0 ? std::string{} : errno_text(v6 ? "setsockopt(IPV6_MINHOPCOUNT)" : "setsockopt(IP_MINTTL)");
}

}  // namespace bgp::session
