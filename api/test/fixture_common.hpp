// Test-only: what api_fixture (loopback topology) and api_speaker (peers given on the
// command line, for namespace tests with real routers) share: the API options they
// take, the audit log they write, the routes they originate and the run loop.
#pragma once

#include <api/server.hpp>
#include <bgp/speaker.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <pthread.h>
#include <signal.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace fixture {

inline bgp::ip_address ip(const std::string& s) {
  const auto a = bgp::ip_address::parse(s);
  if (!a) throw std::invalid_argument("not an IP address: " + s);
  return *a;
}

inline bgp::route route(const char* pfx) {
  bgp::route r;
  r.destination = *bgp::prefix::parse(pfx);
  return r;
}

// The routes both fixtures originate (as in setup/routes.sh of the reference capture).
inline void originate(bgp::speaker& a) {
  auto r1 = route("10.1.0.1/32");
  r1.origin = bgp::origin_type::incomplete;
  r1.local_pref = 200;
  r1.communities = {65001u << 16 | 100};
  a.announce(r1);
  auto r2 = route("10.1.0.2/32");
  r2.origin = bgp::origin_type::egp;
  r2.next_hop = ip("192.0.2.11");
  r2.med = 50;
  r2.communities = {65001u << 16 | 200, 0xFFFFFF01};
  a.announce(r2);
  auto r3 = route("2001:db8::1/128");
  r3.origin = bgp::origin_type::incomplete;
  r3.local_pref = 150;
  r3.communities = {65001u << 16 | 300};
  a.announce(r3);
  auto r4 = route("2001:db8::2/128");
  r4.next_hop = ip("2001:db8::ff");
  r4.as_path = {65100, 65200};
  r4.med = 10;
  a.announce(r4);
  auto r5 = route("10.77.0.0/16");
  r5.as_path = {65002};
  r5.large_communities = {{1, 1, 1}, {2, 2, 2}};
  a.announce(r5);
}

// The API options: --api ADDR, --control-socket PATH (none by default: tests must not
// share /run/bgplb), --audit-log FILE, --allow-writes, --allow-remote, --tls-cert F,
// --tls-key F. `take(flag, next)` returns false for a flag that is not one of them.
struct api_options {
  api::server_config cfg = [] {
    api::server_config c;
    c.control_socket.clear();
    return c;
  }();

  template <class Next>
  bool take(const std::string& a, Next next) {
    if (a == "--api") cfg.listen = next();
    else if (a == "--control-socket") cfg.control_socket = next();
    else if (a == "--audit-log") audit_to(next());
    else if (a == "--allow-writes") cfg.allow_writes = true;
    else if (a == "--allow-remote") cfg.allow_remote = true;
    else if (a == "--tls-cert") cfg.tls_certificate_file = next();
    else if (a == "--tls-key") cfg.tls_private_key_file = next();
    else return false;
    return true;
  }

  // One line per audited call, flushed at once (tests read the file while we run).
  void audit_to(const std::string& path) {
    auto out = std::make_shared<std::ofstream>(path, std::ios::app);
    auto m = std::make_shared<std::mutex>();
    cfg.audit = [out, m](const api::audit_record& r) {
      std::lock_guard lock(*m);
      *out << "rpc=" << r.rpc << " transport=" << r.transport << " caller=\"" << r.caller
           << "\" uid=" << (r.uid ? std::to_string(*r.uid) : "-") << " pid=" << (r.pid ? std::to_string(*r.pid) : "-")
           << " request=\"" << r.request << "\" allowed=" << r.allowed << " status=" << r.status_code
           << " message=\"" << r.status_message << "\"" << std::endl;
    };
  }
};

// Blocks SIGTERM/SIGINT in every thread created after this (main waits for them).
inline sigset_t block_signals() {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  return sigs;
}

// Runs `io` on a thread, starts the API, calls `settle` (waits for sessions), prints
// "ready api-port=P", waits for SIGTERM/SIGINT, stops the API, then calls `abort`
// on the io thread and joins it. Returns the exit status.
inline int serve(const char* name, boost::asio::io_context& io, api::gobgp_server& server, const sigset_t& sigs,
                 const std::function<void()>& settle, std::function<void()> abort) {
  std::thread core([&io] {
    auto guard = boost::asio::make_work_guard(io);
    io.run();
  });
  int status = 0;
  try {
    server.start();
    settle();
    std::cout << "ready api-port=" << server.port() << std::endl;
    int sig = 0;
    sigwait(&sigs, &sig);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << '\n';
    status = 1;
  }
  server.stop();
  boost::asio::post(io, [&io, abort = std::move(abort)] {
    abort();
    io.stop();
  });
  core.join();
  return status;
}

}  // namespace fixture
