// The node's service's command-line options (see speaker/service.hpp).
#include <CLI/CLI.hpp>

#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <iostream>

#include "speaker/service.hpp"

namespace speaker {

namespace {

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

// The first IPv4 address of an interface that is up and not loopback: the router ID of
// last resort (BGPPeer routerID and the Node's InternalIP come first).
std::optional<model::ip_address> first_interface_ipv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<model::ip_address> out;
  for (auto* i = list; i && !out; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    const std::uint32_t v = ntohl(sin->sin_addr.s_addr);
    if ((v >> 24) == 127) continue;
    out = model::ip_address::v4(v);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace

namespace {
void add_dataplane_options(CLI::App& app, dataplane_settings& d);
}

void add_options(CLI::App& app, service_options& o) {
  o.node = host_name();
  app.add_option("--node", o.node, "this node's name (default: the host name)")->capture_default_str();
  app.add_option_function<std::string>(
      "--router-id",
      [&o](const std::string& text) {
        auto a = model::ip_address::parse(text);
        if (!a || a->family() != model::ip_family::v4) throw CLI::ValidationError("--router-id", text + ": want an IPv4 address");
        o.agent.router_id = a;
      },
      "IPv4 router ID when neither BGPPeer routerID nor the Node's InternalIP gives one");
  app.add_option_function<int>(
         "--shutdown-drain", [&o](int s) { o.agent.shutdown_drain = std::chrono::seconds(s); },
         "seconds routes carry GRACEFUL_SHUTDOWN before withdrawal (RFC 8326; default 5)")
      ->check(CLI::Range(0, 3600));
  app.add_flag("--adj-rib-in", o.agent.keep_received,
               "keep the routes each peer sends, with their attributes, for `gobgp neighbor ADDR adj-in` "
               "(default: only counted)");
  app.add_option_function<std::uint64_t>(
         "--max-received-prefixes",
         [&o](std::uint64_t n) {
           o.agent.max_received = n > 0 ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(n)) : std::nullopt;
         },
         "with --adj-rib-in: close a session (RFC 4486 Cease 1) whose peer sends more prefixes of one family; "
         "0: no limit (default " + std::to_string(bgp::default_max_received_prefixes) + ")")
      ->check(CLI::Range(0u, 4294967295u));
  app.add_option("--api-address", o.api.listen,
                 "GoBGP gRPC API for read-only RPCs: HOST:PORT or unix:/path; '' disables the API (docs/api.md)")
      ->capture_default_str();
  app.add_option("--api-socket", o.api_socket,
                 "owner-only Unix socket for the API's control RPCs and writes (default /run/bgplb/NODE/api.sock; "
                 "'' for none)");
  app.add_flag("--api-allow-remote", o.api.allow_remote, "accept a non-loopback API address and remote clients");
  app.add_flag("--api-allow-writes", o.api.allow_writes, "enable AddPath/DeletePath (gobgp global rib add/del)");
  app.add_option("--api-tls-cert", o.api.tls_certificate_file, "PEM certificate: serve the API over TLS only")
      ->check(CLI::ExistingFile);
  app.add_option("--api-tls-key", o.api.tls_private_key_file, "PEM private key for --api-tls-cert")->check(CLI::ExistingFile);
  add_dataplane_options(app, o.dataplane);
}

namespace {

void add_dataplane_options(CLI::App& app, dataplane_settings& d) {
  d.pin_root = "/sys/fs/bpf/bgplb";
  d.mode = dataplane_mode::automatic;
  app.add_option_function<std::string>(
         "--dataplane",
         [&d](const std::string& m) {
           d.mode = m == "off" ? dataplane_mode::off
                    : m == "xdp" ? dataplane_mode::xdp
                    : m == "tc"  ? dataplane_mode::tc
                                 : dataplane_mode::automatic;
         },
         "eBPF forwarding of service traffic: auto (XDP, else tc, else none with the reason logged), "
         "xdp, tc (not ready when impossible) or off; default auto (docs/dataplane.md)")
      ->check(CLI::IsMember({"auto", "off", "xdp", "tc"}));
  app.add_option("--dataplane-interface", d.interfaces,
                 "attach to this interface (repeatable; default: the interfaces the routes to the BGP peers leave by)");
  app.add_option("--dataplane-pin-root", d.pin_root, "maps pinned under DIR/<node> (bpffs; mounted at /sys/fs/bpf if missing)")
      ->capture_default_str();
  app.add_flag("--dataplane-xdp-generic", d.xdp_generic, "XDP in generic (skb) mode, for drivers without native XDP");
  app.add_option("--dataplane-max-services", d.max_services,
                 "entries of the service and frontend maps when they are created (one dataplane service per Service "
                 "port and address family; maps already pinned keep their size: docs/dataplane.md)")
      ->check(CLI::Range(16u, 4194304u))
      ->capture_default_str();
}

}  // namespace

CLI::App* add_dataplane_command(CLI::App& app, int& status) {
  auto* dp = app.add_subcommand("dataplane", "the node's eBPF dataplane");
  dp->require_subcommand(1);
  auto* detach = dp->add_subcommand("detach", "remove this node's eBPF programs from every interface, and its maps and pins");
  auto o = std::make_shared<service_options>();
  o->node = host_name();
  o->dataplane.pin_root = "/sys/fs/bpf/bgplb";
  detach->add_option("--node", o->node, "this node's name (default: the host name)")->capture_default_str();
  detach->add_option("--dataplane-pin-root", o->dataplane.pin_root, "maps pinned under DIR/<node>")->capture_default_str();
  detach->callback([o, &status] {
    if (auto err = finish_options(*o); !err.empty()) {
      std::cerr << err << "\n";
      status = 2;
      return;
    }
    if (auto e = detach_dataplane(o->dataplane.pin_root)) {
      std::cerr << "dataplane detach: " << e->message << "\n";
      status = 1;
      return;
    }
    std::cout << "detached: no bgplb program on any interface of this network namespace; " << o->dataplane.pin_root
              << " removed\n";
    status = 0;
  });
  return dp;
}

std::string finish_options(service_options& o) {
  if (o.api.tls_certificate_file.empty() != o.api.tls_private_key_file.empty())
    return "--api-tls-cert and --api-tls-key go together";
  o.api.control_socket = o.api_socket.value_or(api::default_control_socket(o.node));
  if (!o.agent.router_id) o.agent.router_id = first_interface_ipv4();
  // The FQDN capability names the node, so routers tell the nodes apart.
  o.agent.hostname = o.node;
  if (o.node.empty() || o.node.find('/') != std::string::npos || o.node == "." || o.node == "..")
    return "--node " + o.node + ": not usable as a directory name under --dataplane-pin-root";
  o.dataplane.pin_root += "/" + o.node;
  return "";
}

}  // namespace speaker
