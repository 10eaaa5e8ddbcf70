// Codec throughput: encode (pack_announce) and decode of UPDATEs full of /32 and /128
// NLRI, in prefixes per second on one core. Issue target: 10 million per second each
// way; the "x_target" counter prints the ratio to that. `encode_attributes` times the
// path attribute encoder alone: one UPDATE carrying every attribute we know (and two
// unknown ones) per iteration, on a four-octet and a two-octet AS session.
#include <bgp/codec.hpp>

#include <benchmark/benchmark.h>

namespace {

constexpr double target_per_second = 10e6;
constexpr std::size_t batch = 100000;

std::vector<bgp::nlri> hosts(bool v6) {
  std::vector<bgp::nlri> out;
  out.reserve(batch);
  auto a = v6 ? *bgp::ip_address::parse("2001:db8::") : bgp::ip_address::v4(0x0A000000);
  for (std::size_t i = 0; i < batch; ++i) {
    auto x = a;
    const std::size_t at = v6 ? 12 : 0;
    x.octets[at + 0] = static_cast<std::uint8_t>(v6 ? i >> 24 : 10);
    x.octets[at + 1] = static_cast<std::uint8_t>(i >> 16);
    x.octets[at + 2] = static_cast<std::uint8_t>(i >> 8);
    x.octets[at + 3] = static_cast<std::uint8_t>(i);
    out.push_back(bgp::nlri{bgp::prefix::make(x, v6 ? 128 : 32), 0});
  }
  return out;
}

bgp::path_attributes attrs() {
  bgp::path_attributes a;
  a.origin = bgp::origin_type::igp;
  a.path = bgp::as_path{{bgp::segment_type::as_sequence, {65001}}};
  a.communities = {0xFDE90064};
  a.large_communities = {{65001, 1, 2}};
  return a;
}

bgp::ip_address next_hop(bool v6) {
  return v6 ? *bgp::ip_address::parse("2001:db8::1") : bgp::ip_address::v4(0xC0000201);
}

void report(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["prefixes_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
  state.counters["x_target"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch) / target_per_second, benchmark::Counter::kIsRate);
}

void encode_hosts(benchmark::State& state) {
  const bool v6 = state.range(0) == 6;
  const auto routes = hosts(v6);
  const auto a = attrs();
  const auto nh = next_hop(v6);
  const bgp::session_context ctx;
  bgp::bytes out;
  out.reserve(batch * 20);
  std::size_t messages = 0;
  for (auto _ : state) {
    out.clear();
    messages = bgp::pack_announce(out, v6 ? bgp::ipv6_unicast : bgp::ipv4_unicast, a, {&nh, 1}, routes, ctx);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["messages"] = static_cast<double>(messages);
  report(state);
}

void decode_hosts(benchmark::State& state) {
  const bool v6 = state.range(0) == 6;
  const auto routes = hosts(v6);
  const auto nh = next_hop(v6);
  const bgp::session_context ctx;
  bgp::bytes wire;
  bgp::pack_announce(wire, v6 ? bgp::ipv6_unicast : bgp::ipv4_unicast, attrs(), {&nh, 1}, routes, ctx);
  std::size_t decoded = 0;
  for (auto _ : state) {
    decoded = 0;
    std::size_t at = 0;
    while (at < wire.size()) {
      const bgp::byte_view rest(wire.data() + at, wire.size() - at);
      const auto f = bgp::frame(rest, ctx);
      auto r = bgp::decode(rest.first(f.length), ctx);
      const auto& u = std::get<bgp::update_message>(*r.msg);
      decoded += u.routes.size() + (u.reach ? u.reach->routes.size() : 0);
      benchmark::DoNotOptimize(r);
      at += f.length;
    }
  }
  if (decoded != batch) state.SkipWithError("decoded a different number of prefixes");
  report(state);
}

bgp::update_message every_attribute() {
  bgp::update_message m;
  auto& a = m.attrs;
  a.origin = bgp::origin_type::egp;
  a.path = bgp::as_path{{bgp::segment_type::as_sequence, {65001, 4200000001u, 65003}},
                        {bgp::segment_type::as_set, {64512, 64513}}};
  a.next_hop = bgp::ip_address::v4(0xC0000201);
  a.med = 10;
  a.local_pref = 200;
  a.atomic_aggregate = true;
  a.aggregator = bgp::aggregator_info{4200000001u, 0x0A000001};
  a.communities = {0xFDE90064, 0xFDE90065, 0xFFFF0000};
  a.originator_id = 0x01020304;
  a.cluster_list = {0x01010101, 0x02020202};
  a.extended_communities = {0x0002FDE900000064ull};
  a.large_communities = {{65001, 1, 2}, {65001, 3, 4}};
  a.unknown = {{0xC0, 99, {1, 2, 3, 4}}, {0xC0, 40, {5, 6}}};
  m.routes = {bgp::nlri{*bgp::prefix::parse("10.1.0.0/24"), 0}};
  return m;
}

void encode_attributes(benchmark::State& state) {
  const auto m = every_attribute();
  bgp::session_context ctx;
  ctx.four_octet_as = state.range(0) == 4;
  bgp::bytes out;
  out.reserve(4096);
  for (auto _ : state) {
    out.clear();
    bgp::encode(out, m, ctx);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["bytes"] = static_cast<double>(out.size());
}

}  // namespace

BENCHMARK(encode_attributes)->Arg(4)->Arg(2)->ArgName("as_octets");
BENCHMARK(encode_hosts)->Arg(4)->Arg(6)->ArgName("ipv")->Unit(benchmark::kMillisecond);
BENCHMARK(decode_hosts)->Arg(4)->Arg(6)->ArgName("ipv")->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
