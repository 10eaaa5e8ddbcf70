// The gobgp-style commands: argument handling and RPCs as cmd/gobgp does them
// (global.go, neighbor.go, monitor.go); rendering is in gobgp_view.cpp.
#include "gobgp_command.hpp"

#include "gobgp_json.hpp"
#include "gobgp_view.hpp"

#include "gobgp.grpc.pb.h"

#include <bgp/types.hpp>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace bgplbctl {

namespace {

struct options {
  std::string host = "127.0.0.1";
  int port = 50051;
  std::string target;
  bool tls = false;
  std::string tls_ca_file;
  bool json = false;
  bool quiet = false;
  std::string family;  // -a
  bool current = false;
  std::string reason;
  std::vector<std::string> args;
};

// An error as gobgp prints it (the Go error's text).
struct failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string code_name(grpc::StatusCode c) {
  static const char* names[] = {"OK",          "Canceled",          "Unknown",       "InvalidArgument",
                                "DeadlineExceeded", "NotFound",      "AlreadyExists", "PermissionDenied",
                                "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
                                "Unimplemented", "Internal",        "Unavailable",   "DataLoss",
                                "Unauthenticated"};
  const int i = static_cast<int>(c);
  return i >= 0 && i < 17 ? names[i] : "Code(" + std::to_string(i) + ")";
}

void check(const grpc::Status& s) {
  if (!s.ok()) throw failure("rpc error: code = " + code_name(s.error_code()) + " desc = " + s.error_message());
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::unique_ptr<apipb::GobgpApi::Stub> connect(const options& o) {
  std::string target = o.target.empty() ? o.host + ":" + std::to_string(o.port) : o.target;
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (o.tls) {
    grpc::SslCredentialsOptions tls;
    if (!o.tls_ca_file.empty()) {
      std::ifstream in(o.tls_ca_file);
      std::ostringstream s;
      s << in.rdbuf();
      if (!in) throw failure("failed to read " + o.tls_ca_file);
      tls.pem_root_certs = s.str();
    }
    creds = grpc::SslCredentials(tls);
  }
  auto channel = grpc::CreateChannel(target, creds);
  // gobgp dials with a 1 s timeout and blocks until connected.
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(1)))
    throw failure("context deadline exceeded");
  return apipb::GobgpApi::NewStub(channel);
}

apipb::Family family_or(const options& o, const apipb::Family& def) {
  apipb::Family f = def;
  const auto& a = o.family;
  if (a.empty()) return f;
  if (a == "ipv4" || a == "v4" || a == "4") {
    f.set_afi(apipb::Family::AFI_IP);
  } else if (a == "ipv6" || a == "v6" || a == "6") {
    f.set_afi(apipb::Family::AFI_IP6);
  } else {
    throw failure("unsupported address family: " + a);
  }
  f.set_safi(apipb::Family::SAFI_UNICAST);
  return f;
}

apipb::Family ipv4_unicast() {
  apipb::Family f;
  f.set_afi(apipb::Family::AFI_IP);
  f.set_safi(apipb::Family::SAFI_UNICAST);
  return f;
}

apipb::Family family_of_address(const std::string& a) {
  auto f = ipv4_unicast();
  if (auto ip = bgp::ip_address::parse(a); ip && !ip->is_v4()) f.set_afi(apipb::Family::AFI_IP6);
  return f;
}

std::vector<apipb::Peer> list_peers(apipb::GobgpApi::Stub& api, const std::string& address, bool advertised) {
  grpc::ClientContext ctx;
  apipb::ListPeerRequest req;
  req.set_address(address);
  req.set_enableadvertised(advertised);
  auto reader = api.ListPeer(&ctx, req);
  std::vector<apipb::Peer> out;
  apipb::ListPeerResponse r;
  while (reader->Read(&r)) out.push_back(r.peer());
  check(reader->Finish());
  if (!address.empty() && out.empty()) throw failure("not found neighbor " + address);
  return out;
}

bool valid_cidr_or_ip(const std::string& s) {
  if (bgp::ip_address::parse(s)) return true;
  const auto slash = s.find('/');
  if (slash == std::string::npos) return false;
  const auto a = bgp::ip_address::parse(s.substr(0, slash));
  const std::string len = s.substr(slash + 1);
  if (!a || len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos) return false;
  return std::stoi(len) <= (a->is_v4() ? 32 : 128);
}

// `global rib ...` and `neighbor ADDR adj-in|adj-out ...` (showNeighborRib / showRibInfo).
void show_rib(apipb::GobgpApi::Stub& api, const options& o, apipb::TableType table, const std::string& name,
              std::vector<std::string> args) {
  const bool global = table == apipb::GLOBAL;
  const apipb::Family fam = family_or(o, global ? ipv4_unicast() : family_of_address(name));
  if (!args.empty() && args[0] == "summary") {
    grpc::ClientContext ctx;
    apipb::GetTableRequest req;
    req.set_table_type(table);
    *req.mutable_family() = fam;
    req.set_name(name);
    apipb::GetTableResponse resp;
    check(api.GetTable(&ctx, req, &resp));
    if (o.json) std::cout << gobgp::go_json(resp) << "\n";
    else gobgp::print_table_summary(std::cout, fam, resp);
    return;
  }
  apipb::ListPathRequest req;
  req.set_table_type(table);
  *req.mutable_family() = fam;
  req.set_name(name);
  req.set_sort_type(apipb::ListPathRequest::PREFIX);
  if (!args.empty()) {
    if (!valid_cidr_or_ip(args[0])) throw failure("invalid CIDR/IP");
    auto* l = req.add_prefixes();
    l->set_prefix(args[0]);
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "longer-prefixes") l->set_type(apipb::TableLookupPrefix::LONGER);
      else if (args[i] == "shorter-prefixes") l->set_type(apipb::TableLookupPrefix::SHORTER);
      else throw failure("invalid format for route filtering");
    }
  }
  grpc::ClientContext ctx;
  auto reader = api.ListPath(&ctx, req);
  std::vector<apipb::Destination> rib;
  apipb::ListPathResponse r;
  while (reader->Read(&r)) rib.push_back(r.destination());
  check(reader->Finish());
  if (!global && rib.empty()) {
    const auto peers = list_peers(api, name, false);
    if (peers[0].state().session_state() != apipb::PeerState::ESTABLISHED)
      throw failure("neighbor " + name + "'s BGP session is not established");
  }
  if (o.json) {
    std::cout << gobgp::rib_json(rib) << "\n";
  } else if (rib.empty()) {
    std::cout << "Network not in table\n";
  } else {
    const auto id = table == apipb::ADJ_IN    ? gobgp::id_column::received
                    : table == apipb::ADJ_OUT ? gobgp::id_column::sent
                                              : gobgp::id_column::none;
    gobgp::print_rib(std::cout, rib, table != apipb::ADJ_OUT, global, id, unix_now());
  }
}

void run_global(const options& o) {
  auto api = connect(o);
  const auto& a = o.args;
  if (a.empty()) {
    grpc::ClientContext ctx;
    apipb::GetBgpResponse resp;
    check(api->GetBgp(&ctx, {}, &resp));
    if (o.json) std::cout << gobgp::go_json(resp.global()) << "\n";
    else gobgp::print_global(std::cout, resp.global());
    return;
  }
  if (a[0] != "rib") throw failure("unknown command \"" + a[0] + "\" for \"bgplbctl global\"");
  if (a.size() > 1 && (a[1] == "add" || a[1] == "del"))
    throw failure("bgplbctl does not change routes: use `gobgp global rib " + a[1] + "` with API writes enabled");
  show_rib(*api, o, apipb::GLOBAL, "", {a.begin() + 1, a.end()});
}

void run_neighbor(const options& o) {
  auto api = connect(o);
  const auto& a = o.args;
  const std::int64_t now = unix_now();
  std::optional<apipb::Family> fam;
  if (!o.family.empty()) fam = family_or(o, ipv4_unicast());
  if (a.empty()) {
    auto peers = list_peers(*api, "", false);
    if (o.json) {
      std::string j = "[";
      for (std::size_t i = 0; i < peers.size(); ++i) j += (i ? "," : "") + gobgp::go_json(peers[i]);
      std::cout << j << "]\n";
    } else if (o.quiet) {
      for (const auto& p : peers) std::cout << p.state().neighbor_address() << "\n";
    } else {
      gobgp::print_neighbors(std::cout, std::move(peers), fam ? &*fam : nullptr, now);
    }
    return;
  }
  const std::string& addr = a[0];
  if (a.size() == 1) {
    const auto peers = list_peers(*api, addr, true);
    if (o.json) std::cout << gobgp::go_json(peers[0]) << "\n";
    else gobgp::print_neighbor(std::cout, peers[0], fam ? &*fam : nullptr, now);
    return;
  }
  const std::string& cmd = a[1];
  if (cmd == "adj-in" || cmd == "adj-out") {
    if (addr == "all") throw failure("all is not supported for " + cmd);
    // gobgp resolves the name to the neighbour's address first.
    const auto peers = list_peers(*api, addr, false);
    show_rib(*api, o, cmd == "adj-in" ? apipb::ADJ_IN : apipb::ADJ_OUT, peers[0].state().neighbor_address(),
             {a.begin() + 2, a.end()});
    return;
  }
  if (addr != "all") list_peers(*api, addr, false);
  grpc::ClientContext ctx;
  google::protobuf::Empty empty;
  if (cmd == "reset" || cmd == "softreset" || cmd == "softresetin" || cmd == "softresetout") {
    apipb::ResetPeerRequest req;
    req.set_address(addr);
    req.set_soft(cmd != "reset");
    if (cmd == "reset") req.set_communication(o.reason);
    req.set_direction(cmd == "softresetin"    ? apipb::ResetPeerRequest::IN
                      : cmd == "softresetout" ? apipb::ResetPeerRequest::OUT
                                              : apipb::ResetPeerRequest::BOTH);
    check(api->ResetPeer(&ctx, req, &empty));
  } else if (cmd == "shutdown") {
    std::cout << "WARNING: command `shutdown` is deprecated. use `disable` instead\n";
    apipb::ShutdownPeerRequest req;
    req.set_address(addr);
    req.set_communication(o.reason);
    check(api->ShutdownPeer(&ctx, req, &empty));
  } else if (cmd == "enable") {
    apipb::EnablePeerRequest req;
    req.set_address(addr);
    check(api->EnablePeer(&ctx, req, &empty));
  } else if (cmd == "disable") {
    apipb::DisablePeerRequest req;
    req.set_address(addr);
    check(api->DisablePeer(&ctx, req, &empty));
  } else {
    throw failure("unknown command \"" + cmd + "\" for \"bgplbctl neighbor\"");
  }
}

void run_monitor(const options& o) {
  const auto& a = o.args;
  const bool rib = a.size() == 2 && a[0] == "global" && a[1] == "rib";
  const bool neighbor = !a.empty() && a[0] == "neighbor" && a.size() <= 2;
  if (!rib && !neighbor) throw failure("usage: bgplbctl monitor global rib [--current] | monitor neighbor [ADDRESS]");
  if (rib) family_or(o, ipv4_unicast());  // validated only, as gobgp does: every family is streamed
  auto api = connect(o);
  apipb::WatchEventRequest req;
  if (rib) {
    auto* f = req.mutable_table()->add_filters();
    f->set_type(apipb::WatchEventRequest::Table::Filter::BEST);
    f->set_init(o.current);
  } else {
    req.mutable_peer();
  }
  const std::string name = a.size() == 2 && neighbor ? a[1] : "";
  grpc::ClientContext ctx;
  auto reader = api->WatchEvent(&ctx, req);
  apipb::WatchEventResponse r;
  while (reader->Read(&r)) {
    if (r.has_table()) {
      if (o.json) std::cout << gobgp::monitor_paths_json(r.table().paths()) << std::endl;
      else {
        gobgp::print_monitor_paths(std::cout, r.table().paths(), utc_now());
        std::cout.flush();
      }
    } else if (r.has_peer() && r.peer().type() == apipb::WatchEventResponse::PeerEvent::STATE) {
      const auto& p = r.peer().peer();
      // gobgp prints only events whose address equals its argument, so with none it
      // prints nothing; bgplbctl shows every peer's events then.
      if (!name.empty() && p.conf().neighbor_address() != name) continue;
      if (o.json) std::cout << gobgp::go_json(p) << std::endl;
      else {
        gobgp::print_monitor_peer(std::cout, p, utc_now());
        std::cout.flush();
      }
    }
  }
  check(reader->Finish());
}

// Connection options and -j, accepted before the command (as gobgp does) and after it.
void add_connection_options(CLI::App& c, options& o) {
  c.add_option("-u,--host", o.host, "host of the GoBGP API (gobgp-style commands)")->capture_default_str();
  c.add_option("-p,--port", o.port, "port of the GoBGP API")->capture_default_str();
  c.add_option("--target", o.target, "API address: host:port or unix:///path (overrides -u/-p)");
  c.add_option_function<std::string>(
      "--api-socket", [&o](const std::string& path) { o.target = "unix://" + path; },
      "the speaker's owner-only Unix socket, for control and writes: --target unix://PATH");
  c.add_flag("--tls", o.tls, "connect with TLS");
  c.add_option("--tls-ca-file", o.tls_ca_file, "CA certificate for --tls");
  c.add_flag("-j,--json", o.json, "JSON output");
}

void add(CLI::App& app, const std::shared_ptr<options>& o, const char* name, const char* help, int& status,
         void (*run)(const options&)) {
  auto* c = app.add_subcommand(name, help);
  c->add_option("args", o->args, "as gobgp's");
  add_connection_options(*c, *o);
  c->add_option("-a,--address-family", o->family, "ipv4 or ipv6");
  if (std::string(name) == "neighbor") {
    c->add_flag("-q,--quiet", o->quiet, "addresses only");
    c->add_option("--reason", o->reason, "shutdown communication (reset, shutdown)");
  }
  if (std::string(name) == "monitor") c->add_flag("--current", o->current, "dump the current contents first");
  c->callback([o, run, &status] {
    try {
      run(*o);
      status = 0;
    } catch (const failure& e) {
      if (o->json) {
        std::string j = "{\"error\":";
        gobgp::append_json_string(j, e.what());
        std::cout << j << "}\n";
      } else {
        std::cout << e.what() << "\n";
      }
      status = 1;
    }
  });
}

}  // namespace

void add_gobgp_commands(CLI::App& app, int& status) {
  auto o = std::make_shared<options>();
  add_connection_options(app, *o);
  add(app, o, "global", "As gobgp: global settings, global rib [-a ipv4|ipv6] [PREFIX [longer|shorter]]", status,
      run_global);
  add(app, o, "neighbor", "As gobgp: peers, one peer, adj-in/adj-out, (soft)reset, enable, disable", status,
      run_neighbor);
  add(app, o, "monitor", "As gobgp: monitor global rib [--current], monitor neighbor [ADDR] (no ADDR: every peer)", status, run_monitor);
}

}  // namespace bgplbctl
