// The dataplane driver's kernel side (speaker/dataplane_driver.hpp): dataplane::module
// behind dataplane_host, bpffs mounted when missing, the interface a route leaves by
// (one RTM_GETROUTE over rtnetlink, as `ip route get` asks), detach.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "speaker/dataplane_driver.hpp"

namespace speaker {

namespace {

class module_host final : public dataplane_host {
 public:
  explicit module_host(std::unique_ptr<dataplane::module> m) : m_(std::move(m)) {}
  dataplane::map_ops& maps() override { return m_->maps(); }
  dataplane::status attach(const dataplane::attach_options& a) override { return m_->attach(a); }
  dataplane::status detach() override { return m_->detach(); }

 private:
  std::unique_ptr<dataplane::module> m_;
};

dataplane::result<std::unique_ptr<dataplane_host>> load(const dataplane_settings& s) {
  if (auto e = dataplane::ensure_bpffs(s.pin_root)) return *e;
  dataplane::load_options o;
  o.pin_root = s.pin_root;
  o.max_services = s.max_services;
  auto m = dataplane::module::load(o);
  if (!m) return m.err();
  return std::unique_ptr<dataplane_host>(std::make_unique<module_host>(std::move(*m)));
}

// RFC 3549 §3.1.1: RTM_GETROUTE with RTA_DST answers the route the kernel would use.
dataplane::result<std::string> route_interface(const model::ip_address& to) {
  const bool v4 = to.family() == model::ip_family::v4;
  struct request {
    nlmsghdr h;
    rtmsg r;
    std::array<char, 64> attrs;
  } req{};
  const std::size_t len = v4 ? 4 : 16;
  std::array<unsigned char, 16> bytes{};  // network order
  for (std::size_t i = 0; i < len; ++i) bytes[i] = static_cast<unsigned char>(to.value() >> (8 * (len - 1 - i)));
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg)) + RTA_SPACE(len);
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.h.nlmsg_seq = 1;
  req.r.rtm_family = v4 ? AF_INET : AF_INET6;
  req.r.rtm_dst_len = v4 ? 32 : 128;
  auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_LENGTH(sizeof(rtmsg)));
  rta->rta_type = RTA_DST;
  rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
  std::memcpy(RTA_DATA(rta), bytes.data(), len);

  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return dataplane::system_error("netlink socket", errno);
  alignas(NLMSG_ALIGNTO) alignas(nlmsghdr) std::array<char, 8192> buf{};
  ssize_t n = -1;
  if (send(fd, &req, req.h.nlmsg_len, 0) >= 0) n = recv(fd, buf.data(), buf.size(), 0);
  const int err = errno;
  close(fd);
  if (n < 0) return dataplane::system_error("route lookup", err);
  // netlink's own macros (NLMSG_NEXT, RTM_RTA, RTA_NEXT) cast char pointers to headers;
  // the buffer is aligned for them and the kernel pads every record to NLMSG_ALIGNTO.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-align"
  for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      return dataplane::system_error("no route", -e->error);
    }
    if (h->nlmsg_type != RTM_NEWROUTE) continue;
    auto* r = static_cast<rtmsg*>(NLMSG_DATA(h));
    int attr_len = static_cast<int>(RTM_PAYLOAD(h));
    for (auto* a = RTM_RTA(r); RTA_OK(a, attr_len); a = RTA_NEXT(a, attr_len)) {
      if (a->rta_type != RTA_OIF) continue;
      int ifindex = 0;
      std::memcpy(&ifindex, RTA_DATA(a), sizeof ifindex);
      char name[IF_NAMESIZE] = {};
      if (!if_indextoname(static_cast<unsigned>(ifindex), name)) return dataplane::system_error("interface name", errno);
      return std::string(name);
    }
  }
#pragma GCC diagnostic pop
  return dataplane::error{"the route names no interface", 0};
}

std::uint64_t monotonic_coarse_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // bpf_ktime_get_coarse_ns()
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

dataplane_kernel linux_dataplane() { return {load, route_interface, monotonic_coarse_ns}; }

dataplane::status detach_dataplane(const std::string& pin_root) {
  if (auto e = dataplane::uninstall(pin_root)) return e;
  // <--dataplane-pin-root>/<node>: the shared directory goes with the last node's pins
  // (ENOTEMPTY while another node's remain; EBUSY for a mount point)
  if (const auto slash = pin_root.rfind('/'); slash != std::string::npos && slash > 0)
    rmdir(pin_root.substr(0, slash).c_str());
  return std::nullopt;
}

}  // namespace speaker
