// The Adj-RIB-In (issue 18 item 10): nothing is held per received prefix unless the
// peer's config keeps what it sends; then every route with its attributes.
#include "rib/adj_rib_in.hpp"

#include "hex.hpp"
#include "scripted_peer.hpp"

#include <bgp/codec.hpp>

#include <gtest/gtest.h>

#include <malloc.h>
#include <sys/socket.h>

#include <iostream>

namespace bgp {
namespace {

using namespace std::chrono_literals;

update_message announce(std::uint32_t first, std::uint32_t count, std::uint32_t med = 0) {
  update_message u;
  u.attrs.origin = origin_type::igp;
  u.attrs.path = as_path{{segment_type::as_sequence, {65002}}};
  u.attrs.next_hop = ip_address::v4(0x7F000003);
  u.attrs.med = med;
  for (std::uint32_t i = 0; i < count; ++i) u.routes.push_back(nlri{prefix::make(ip_address::v4(first + i), 32), 0});
  return u;
}

TEST(adj_rib_in, holds_nothing_unless_kept) {
  rib::adj_rib_in in;
  in.apply(announce(0x0A000000, 1000), false);
  EXPECT_EQ(in.size(), 0u);
  EXPECT_TRUE(in.sizes().empty());
  in.keep(true);
  in.apply(announce(0x0A000000, 1000), false);
  EXPECT_EQ(in.size(ipv4_unicast), 1000u);
  // Treat-as-withdraw (RFC 7606) and withdrawals remove; keep(false) drops everything.
  in.apply(announce(0x0A000000, 10), true);
  update_message w;
  w.withdrawn = {nlri{prefix::make(ip_address::v4(0x0A0003E7), 32), 0}};  // 10.0.3.231
  in.apply(w, false);
  EXPECT_EQ(in.size(ipv4_unicast), 989u);
  in.keep(false);
  EXPECT_EQ(in.size(), 0u);
}

TEST(adj_rib_in, routes_share_their_update_attributes) {
  rib::adj_rib_in in;
  in.keep(true);
  in.apply(announce(0x0A000000, 3, 7), false);
  std::vector<const rib::adj_rib_in::path*> paths;
  in.for_each(ipv4_unicast, [&](const nlri&, const rib::adj_rib_in::path& p) { paths.push_back(&p); });
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(paths[0], paths[1]);  // one copy per UPDATE
  EXPECT_EQ(paths[0]->attrs.med, 7u);
  EXPECT_EQ(paths[0]->next_hops, std::vector<ip_address>{ip_address::v4(0x7F000003)});
}

// ---- On a live session: the speaker's heap with 50,000 received prefixes.

#if defined(__SANITIZE_ADDRESS__)
constexpr bool heap_measurable = false;  // ASan's allocator does not report to mallinfo2
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool heap_measurable = false;
#else
constexpr bool heap_measurable = true;
#endif
#else
constexpr bool heap_measurable = true;
#endif

struct memory_case {
  bool keep;
  bool one_route_an_update;  // every route with attributes of its own
};

class received_memory : public test::scripted_peer_fixture, public ::testing::WithParamInterface<memory_case> {};

TEST_P(received_memory, per_prefix) {
  const auto [keep, one_each] = GetParam();
  constexpr std::uint32_t n = 50000;
  start_speaker(90, 65002, keep, [](peer_config& p) { p.max_prefixes.reset(); });
  // Everything the peer sends is built here, before measuring; the speaker runs on
  // this thread (main arena, which mallinfo2 reports), the peer on its own.
  bytes stream;
  for (std::uint32_t i = 0; i < n;) {
    const std::uint32_t k = one_each ? 1 : std::min<std::uint32_t>(800, n - i);
    encode(stream, announce(0x0B000000 + i, k, one_each ? i : 0), {});
    i += k;
  }
  std::atomic<bool> up{false}, go{false};
  std::thread t([&] {
    if (!establish()) return;
    up = true;
    while (!go) std::this_thread::sleep_for(1ms);
    hostile.send(stream);
    while (auto m = hostile.read_message()) {  // KEEPALIVEs, until the test closes
    }
  });
  const auto end = std::chrono::steady_clock::now() + 20s;
  while (!(up && spk->peers().at(0).state == peer_state::established) && std::chrono::steady_clock::now() < end)
    io.run_for(5ms);
  io.run_for(50ms);  // the initial End-of-RIB and the like
  const auto before = mallinfo2().uordblks;
  go = true;
  while (spk->peers().at(0).counters.prefixes_announced < n && std::chrono::steady_clock::now() < end) io.run_for(5ms);
  const auto after = mallinfo2().uordblks;
  const auto st = spk->peers().at(0);
  ::shutdown(hostile.conn, SHUT_RDWR);
  t.join();
  ASSERT_EQ(st.counters.prefixes_announced, n);
  EXPECT_EQ(st.state, peer_state::established);
  EXPECT_EQ(st.received_prefixes, keep ? n : 0u);  // the entries held
  const double per_prefix = (static_cast<double>(after) - static_cast<double>(before)) / n;
  std::cout << "[ heap     ] " << (keep ? "kept" : "not kept") << (one_each ? ", one route an UPDATE" : ", 800 routes an UPDATE")
            << ": " << per_prefix << " octets a received prefix\n";
  if (!heap_measurable) GTEST_SKIP() << "heap not measurable under AddressSanitizer";
  if (keep)
    EXPECT_GT(per_prefix, 16.0);  // the measurement sees what is held
  else
    EXPECT_LT(per_prefix, 1.0);   // nothing per prefix
}

INSTANTIATE_TEST_SUITE_P(table, received_memory,
                         ::testing::Values(memory_case{false, false}, memory_case{false, true},
                                           memory_case{true, false}, memory_case{true, true}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.keep ? "kept" : "not_kept") +
                                  (param_info.param.one_route_an_update ? "_one_route_an_update" : "_shared");
                         });

}  // namespace
}  // namespace bgp
