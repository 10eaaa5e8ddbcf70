// BPF_PROG_TEST_RUN table: {description, packet in, map state, verdict, packet out} for
// every single-packet path, run for XDP and tc ingress, IPv4 and IPv6, TCP and UDP.
// Expected packets are built whole by the test's own builder; every checksum of every
// output is also recomputed from scratch (testpkt::verify).
#include <arpa/inet.h>

#include <functional>

#include "bpf_fixture.hpp"

namespace dataplane::testrun {
namespace {

using testpkt::ether;
using testpkt::l4;

struct env {
  world* w;
  hook h;
  int family;
  protocol proto;
  std::uint16_t sport;  // unique per case: no conntrack entry from another case

  address client() const { return w->client(family); }
  l4 flow(std::uint8_t flags = 0x02) const { return client_flow(proto, sport, flags); }  // a SYN (TCP)
  l4 to_backend(std::uint8_t flags = 0x02) const {
    l4 t = flow(flags);
    t.dport = 8080;
    return t;
  }
  bytes from_router(const bytes& ip) const { return ether(w->up0_mac, w->router_mac, ip); }
};

struct expectation {
  verdict v = verdict::pass;
  std::optional<bytes> out;   // nullopt: the input, unchanged
  std::uint32_t counter = 0;  // this counter must grow by one
  bool skip = false;          // the case does not apply to this combination
  std::optional<bytes> meta;  // XDP metadata expected in front of the frame
  std::function<void(const bytes&)> check;  // instead of comparing with `out`
  bool malformed = false;     // the input is broken on purpose: no checksum verification
};

struct row {
  std::string name;
  std::function<bytes(const env&)> in;
  std::function<expectation(const env&, const bytes& in, const bytes& out)> want;  // out: the program's output (empty when only asked whether the row applies)
};

// The ICMP error our program answers with: from the packet's destination, quoting up to
// 128 bytes of it (abi.h BGPLB_ICMP_QUOTE).
bytes icmp_reply(const env& e, const bytes& in, bool too_big, std::uint32_t mtu) {
  bytes ip(in.begin() + 14, in.end());
  std::size_t quote = std::min<std::size_t>(ip.size(), 128);
  address dst = *address::parse(e.family == 4 ? "0.0.0.0" : "::");
  address src = dst;
  // destination of the offending packet = our source
  if (e.family == 4) {
    src = address::v4(ntohl(*reinterpret_cast<const std::uint32_t*>(&ip[16])));
    dst = address::v4(ntohl(*reinterpret_cast<const std::uint32_t*>(&ip[12])));
  } else {
    std::array<std::uint8_t, 16> s{}, d{};
    std::copy(ip.begin() + 24, ip.begin() + 40, s.begin());
    std::copy(ip.begin() + 8, ip.begin() + 24, d.begin());
    src = address::v6(s);
    dst = address::v6(d);
  }
  bytes q(ip.begin(), ip.begin() + static_cast<long>(quote));
  std::uint8_t type = e.family == 4 ? 3 : (too_big ? 2 : 1);
  std::uint8_t code = e.family == 4 ? (too_big ? 4 : 3) : (too_big ? 0 : 4);
  return ether(e.w->router_mac, e.w->up0_mac, testpkt::icmp_error(src, dst, type, code, too_big ? mtu : 0, q));
}

// The encapsulated form of `in` towards `node`; the outer source port (and IPv6 flow
// label) are flow entropy, taken from the program's output after checking their range.
bytes encapsulated(const env& e, const bytes& in, const bytes& out, const address& node, const address& backend) {
  const bool outer6 = !node.is_v4();
  std::size_t udp = 14 + (outer6 ? 40 : 20);
  std::uint16_t sport = out.size() > udp + 2 ? testpkt::u16(out, udp) : 0;
  if (!out.empty()) {
    EXPECT_GE(sport, 0xc000) << "outer UDP source port outside 49152-65535";
  }
  std::uint32_t label = outer6 && out.size() > 18 ? (static_cast<std::uint32_t>(out[15] & 0x0f) << 16 | testpkt::u16(out, 16)) : 0;
  bytes inner(in.begin() + 14, in.end());
  return ether(e.w->peer_mac, e.w->up0_mac, testpkt::gue(e.w->node(outer6 ? 6 : 4), node, sport, 6080, backend, 8080, inner, label));
}

expectation expect(verdict v, std::optional<bytes> out = std::nullopt, std::uint32_t counter = 0) {
  expectation x;
  x.v = v;
  x.out = std::move(out);
  x.counter = counter;
  return x;
}

expectation skip() {
  expectation x;
  x.skip = true;
  return x;
}

const std::vector<row>& rows() {
  static const std::vector<row> table = {
      {"not_a_service_passes_untouched",
       [](const env& e) { return e.from_router(testpkt::ip(e.client(), vip(e.family, "other"), e.flow())); },
       [](const env&, const bytes&, const bytes&) { return expect(verdict::pass, std::nullopt, abi::EV_PASS); }},
      {"local_backend_gets_the_flow_dnat",
       [](const env& e) { return e.from_router(testpkt::ip(e.client(), vip(e.family, "local"), e.flow())); },
       [](const env& e, const bytes&, const bytes&) {
         return expect(verdict::redirect, ether(e.w->pod1_mac, e.w->pod0_mac, testpkt::ip(e.client(), pod(e.family), e.to_backend())),
                            abi::EV_FWD_LOCAL);
       }},
      {"ipv4_options_are_kept",
       [](const env& e) {
         testpkt::ip_opts o;
         o.ipv4_options = {1, 1, 1, 0};  // NOP NOP NOP EOL (RFC 791)
         o.ipv6_ext = 60;                // destination options (RFC 8200 §4.6)
         return e.from_router(testpkt::ip(e.client(), vip(e.family, "local"), e.flow(), o));
       },
       [](const env& e, const bytes&, const bytes&) {
         if (e.family == 6) return expect(verdict::pass, std::nullopt, abi::EV_PASS_EXT_HDR);
         testpkt::ip_opts o;
         o.ipv4_options = {1, 1, 1, 0};
         return expect(verdict::redirect,
                            ether(e.w->pod1_mac, e.w->pod0_mac, testpkt::ip(e.client(), pod(e.family), e.to_backend(), o)),
                            abi::EV_FWD_LOCAL);
       }},
      {"fragments_pass_untouched",
       [](const env& e) {
         testpkt::ip_opts o;
         o.more_fragments = true;
         o.ipv6_ext = 44;  // fragment header
         return e.from_router(testpkt::ip(e.client(), vip(e.family, "local"), e.flow(), o));
       },
       [](const env&, const bytes&, const bytes&) { return expect(verdict::pass, std::nullopt, abi::EV_PASS_FRAGMENT); }},
      {"udp_without_checksum_keeps_none",
       [](const env& e) {
         l4 t = e.flow();
         t.udp_no_checksum = true;
         return e.from_router(testpkt::ip(e.client(), vip(e.family, "local"), t));
       },
       [](const env& e, const bytes&, const bytes&) {
         if (e.family == 6 || e.proto == protocol::tcp) return skip();
         l4 t = e.to_backend();
         t.udp_no_checksum = true;
         return expect(verdict::redirect, ether(e.w->pod1_mac, e.w->pod0_mac, testpkt::ip(e.client(), pod(e.family), t)),
                            abi::EV_FWD_LOCAL);
       }},
      {"truncated_transport_header_passes",
       [](const env& e) {
         bytes f = e.from_router(testpkt::ip(e.client(), vip(e.family, "local"), e.flow()));
         f.resize(14 + (e.family == 4 ? 20 : 40) + 3);
         return f;
       },
       [](const env&, const bytes&, const bytes&) {
         expectation x = expect(verdict::pass);
         x.malformed = true;
         return x;
       }},
      {"remote_backend_is_encapsulated_to_its_node",
       [](const env& e) { return e.from_router(testpkt::ip(e.client(), vip(e.family, "remote"), e.flow())); },
       [](const env& e, const bytes& in, const bytes& out) {
         return expect(verdict::tx, encapsulated(e, in, out, e.w->peer(e.family), remote_pod(e.family)),
                            abi::EV_FWD_REMOTE);
       }},
      {"ipv6_backend_through_an_ipv4_node",
       [](const env& e) { return e.from_router(testpkt::ip(e.client(), vip(e.family, e.family == 6 ? "mixed" : "other"), e.flow())); },
       [](const env& e, const bytes& in, const bytes& out) {
         if (e.family == 4) return skip();
         return expect(verdict::tx, encapsulated(e, in, out, e.w->peer4, *address::parse("fd00:2::2")),
                            abi::EV_FWD_REMOTE);
       }},
      {"tunnel_packet_is_delivered_to_the_pod_it_names",
       [](const env& e) {
         bytes inner = testpkt::ip(e.client(), vip(e.family, "local"), e.flow());
         return ether(e.w->up0_mac, e.w->peer_mac, testpkt::gue(e.w->peer(e.family), e.w->node(e.family), 50000, 6080, pod(e.family), 8080, inner));
       },
       [](const env& e, const bytes&, const bytes&) {
         return expect(verdict::redirect, ether(e.w->pod1_mac, e.w->pod0_mac, testpkt::ip(e.client(), pod(e.family), e.to_backend())),
                            abi::EV_DECAP);
       }},
      {"tunnel_packet_from_a_stranger_is_dropped",
       [](const env& e) {
         bytes inner = testpkt::ip(e.client(), vip(e.family, "local"), e.flow());
         address stranger = *address::parse(e.family == 4 ? "192.0.2.99" : "2001:db8::99");
         return ether(e.w->up0_mac, e.w->peer_mac, testpkt::gue(stranger, e.w->node(e.family), 50000, 6080, pod(e.family), 8080, inner));
       },
       [](const env&, const bytes&, const bytes&) { return expect(verdict::drop, std::nullopt, abi::DROP_TUNNEL_PEER); }},
      {"no_backend_answers_icmp_unreachable",
       [](const env& e) { return e.from_router(testpkt::ip(e.client(), vip(e.family, "empty"), e.flow())); },
       [](const env& e, const bytes& in, const bytes&) {
         return expect(verdict::tx, icmp_reply(e, in, false, 0), abi::DROP_NO_BACKEND);
       }},
      {"source_outside_the_ranges_is_dropped",
       [](const env& e) {
         address outside = *address::parse(e.family == 4 ? "203.0.113.77" : "2001:db8:ff::1:7");
         return e.from_router(testpkt::ip(outside, vip(e.family, "ranges"), e.flow()));
       },
       [](const env&, const bytes&, const bytes&) { return expect(verdict::drop, std::nullopt, abi::DROP_SOURCE_RANGE); }},
      {"source_inside_the_ranges_is_served",
       [](const env& e) { return e.from_router(testpkt::ip(e.client(), vip(e.family, "ranges"), e.flow())); },
       [](const env& e, const bytes&, const bytes&) {
         return expect(verdict::redirect, ether(e.w->pod1_mac, e.w->pod0_mac, testpkt::ip(e.client(), pod(e.family), e.to_backend())),
                            abi::EV_FWD_LOCAL);
       }},
      {"too_big_for_the_tunnel_answers_icmp_with_the_tunnel_mtu",
       [](const env& e) {
         l4 t = e.flow();
         t.payload = 1500 - (e.family == 4 ? 20 : 40) - (e.proto == protocol::tcp ? 20 : 8);
         return e.from_router(testpkt::ip(e.client(), vip(e.family, "remote"), t));
       },
       [](const env& e, const bytes& in, const bytes&) {
         std::uint32_t overhead = e.family == 4 ? 20 + 8 + 4 + 8 : 40 + 8 + 4 + 20;
         return expect(verdict::tx, icmp_reply(e, in, true, 1500 - overhead), abi::DROP_FRAG_NEEDED);
       }},
      {"unresolved_tunnel_neighbour",
       [](const env& e) { return e.from_router(testpkt::ip(e.client(), vip(e.family, "noneigh"), e.flow())); },
       [](const env& e, const bytes& in, const bytes&) {
         // XDP cannot resolve: the untouched frame goes to tc with a metadata mark
         // (where the kernel lets XDP set one); tc encapsulates and lets
         // bpf_redirect_neigh() resolve
         if (e.h == hook::xdp) {
           expectation x = expect(verdict::pass, std::nullopt, abi::EV_PUNT);
           if (e.w->mod->xdp_marks_punts()) x.meta = bytes{0x01, 0xe0, 0xb1, 0xb1};  // BGPLB_PUNT_MAGIC, little-endian
           return x;
         }
         expectation x = expect(verdict::redirect, std::nullopt, abi::EV_FWD_REMOTE);
         x.check = [family = e.family](const bytes& out) {  // towards the node without a neighbour entry
           std::size_t dst_last = 14 + (family == 4 ? 19 : 39);
           ASSERT_GT(out.size(), dst_last);
           EXPECT_EQ(out[dst_last], 3);
         };
         (void)in;
         return x;
       }},
      {"no_route_to_the_node_is_dropped",
       [](const env& e) { return e.from_router(testpkt::ip(e.client(), vip(e.family, "noroute"), e.flow())); },
       [](const env&, const bytes&, const bytes&) { return expect(verdict::drop, std::nullopt, abi::DROP_NO_ROUTE); }},
  };
  return table;
}

using param = std::tuple<std::size_t, hook, int, protocol>;

class table : public ::testing::TestWithParam<param> {};

std::uint16_t next_port() {
  static std::uint16_t port = 20000;
  return ++port;
}

TEST_P(table, row) {
  BGPLB_NEED_WORLD(w);
  auto [index, h, family, proto] = GetParam();
  const row& r = rows()[index];
  env e{w, h, family, proto, next_port()};
  bytes in = r.in(e);
  std::uint64_t before = 0;
  auto probe = r.want(e, in, bytes{});
  if (probe.skip) GTEST_SKIP() << "does not apply";
  if (probe.counter) before = w->counter(probe.counter);
  run_result got = w->run(h, false, in);
  expectation want = r.want(e, in, got.out);
  EXPECT_EQ(got.retval, w->expected_retval(h, want.v)) << "verdict, want " << to_string(want.v);
  bytes frame = got.out;
  if (want.meta) {
    ASSERT_GE(frame.size(), want.meta->size());
    EXPECT_EQ(bytes(frame.begin(), frame.begin() + 4), *want.meta);
    frame.erase(frame.begin(), frame.begin() + static_cast<long>(want.meta->size()));
  }
  if (want.check)
    want.check(frame);
  else
    EXPECT_EQ(testpkt::hex(frame), testpkt::hex(want.out ? *want.out : in));
  if (want.v != verdict::drop && !want.malformed) {
    EXPECT_EQ(testpkt::verify(frame), "");
  }
  if (want.counter) {
    EXPECT_EQ(w->counter(want.counter), before + 1) << "counter " << want.counter;
  }
}

std::string name_of(const ::testing::TestParamInfo<param>& info) {
  auto [index, h, family, proto] = info.param;
  return rows()[index].name + (h == hook::xdp ? "_xdp" : "_tc") + "_v" + std::to_string(family) +
         (proto == protocol::tcp ? "_tcp" : "_udp");
}

INSTANTIATE_TEST_SUITE_P(bpf, table,
                         ::testing::Combine(::testing::Range<std::size_t>(0, rows().size()),
                                            ::testing::Values(hook::xdp, hook::tc), ::testing::Values(4, 6),
                                            ::testing::Values(protocol::tcp, protocol::udp)),
                         name_of);

}  // namespace
}  // namespace dataplane::testrun
