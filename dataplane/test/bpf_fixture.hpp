// The world the BPF_PROG_TEST_RUN tests run in: a private network namespace (so the
// program's FIB lookups see our routes and neighbours), a node with an uplink (up0) to
// a router and another node, a pod interface (pod0), the module loaded with a unique pin
// root, and a set of services covering every path. Needs root; skips otherwise.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dataplane/loader.hpp"
#include "dataplane/reconciler.hpp"
#include "packet.hpp"

namespace dataplane::testrun {

using testpkt::bytes;
using testpkt::mac;

// Verdicts independent of the hook.
enum class verdict { pass, drop, tx, redirect };
std::string to_string(verdict v);

struct run_result {
  int retval = -1;
  bytes out;
};

struct world {
  // addresses (see bpf_fixture.cpp for the routes)
  address node4, node6, router4, router6, peer4, peer6, client4, client6;
  mac up0_mac{}, router_mac{}, peer_mac{}, pod0_mac{}, pod1_mac{};
  int up0_index = 0, pod0_index = 0;

  std::unique_ptr<module> mod;
  std::unique_ptr<reconciler> rec;
  desired state;
  std::string pin_root;

  address client(int family) const { return family == 4 ? client4 : client6; }
  address node(int family) const { return family == 4 ? node4 : node6; }
  address peer(int family) const { return family == 4 ? peer4 : peer6; }

  // BPF_PROG_TEST_RUN of the XDP program, the tc ingress or the tc egress program, as if
  // the frame arrived on (or left by) up0.
  run_result run(hook h, bool egress, const bytes& frame, const module* other = nullptr) const;
  int expected_retval(hook h, verdict v) const;
  std::uint64_t counter(std::uint32_t code) const;
  void apply();  // state -> maps (and the XDP flag that allows redirects to pods)
};

// The shared world, or nullptr with the reason the tests skip.
// Null with the reason when there is no world. `refused` tells why: true when this
// machine can run BPF programs but ours failed to load (the verifier refused it, say),
// which is a failure of the product, not of the machine.
world* the_world(std::string& why_not, bool& refused);

// Services by role (names in state.services): "<role><family>/<tcp|udp>".
address vip(int family, const std::string& role);
std::uint16_t service_port(protocol p);  // 80 (TCP) or 53 (UDP)
// client:sport -> the service port; TCP flags only for TCP (0x02: SYN)
testpkt::l4 client_flow(protocol p, std::uint16_t sport, std::uint8_t tcp_flags);
address pod(int family, int n = 1);      // a local pod: 10.1.0.n / fd00:1::n
address remote_pod(int family);          // 10.2.0.1 / fd00:2::1 on the peer node

#define BGPLB_NEED_WORLD(w)                          \
  std::string why_not_;                              \
  bool refused_ = false;                             \
  world* w = the_world(why_not_, refused_);          \
  if (!w && refused_) GTEST_FAIL() << why_not_;      \
  if (!w) GTEST_SKIP() << why_not_

}  // namespace dataplane::testrun
