// Speaker throughput without a network: two bgp::speakers over loopback in one
// process, session up; time from announcing N /32 routes to the receiver holding all
// of them. Announcer and receiver share one core here. This is not the peer comparison
// of issue 3 (namespaces, real routers), only bgplb's own path.
#include <bgp/speaker.hpp>

#include <benchmark/benchmark.h>

#include <chrono>

namespace {

using namespace std::chrono_literals;

void announce_to_receiver(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    boost::asio::io_context io;
    const auto a_addr = bgp::ip_address::v4(0x7F000001), b_addr = bgp::ip_address::v4(0x7F000002);
    bgp::speaker_config bc;
    bc.asn = 65002;
    bc.router_id = 0x02020202;
    bc.listen_address = b_addr;
    bc.listen_port = 0;
    bgp::speaker b(io, bc);
    bgp::peer_config pa;
    pa.address = a_addr;
    pa.peer_as = 65001;
    pa.passive = true;
    b.set_peer(pa);
    std::size_t received = 0;
    bool up = false;
    b.subscribe([&](const bgp::speaker_event& e) {
      if (e.what == bgp::speaker_event::kind::peer_state && e.state == bgp::peer_state::established) up = true;
      if (e.what == bgp::speaker_event::kind::routes_received) received += e.update->routes.size();
    });
    b.start();
    bgp::speaker_config ac;
    ac.asn = 65001;
    ac.router_id = 0x01010101;
    bgp::speaker a(io, ac);
    bgp::peer_config pb;
    pb.address = b_addr;
    pb.port = b.listen_port();
    pb.peer_as = 65002;
    pb.local_address = a_addr;
    a.set_peer(pb);
    a.start();
    while (!up) io.run_one_for(10ms);
    io.run_for(50ms);  // let End-of-RIB and keepalives settle
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < n; ++i) {
      bgp::route r;
      r.destination = bgp::prefix::make(bgp::ip_address::v4(0x0A000000 + i), 32);
      r.communities = {0xFDE90064};
      a.announce(r);
    }
    while (received < n && std::chrono::steady_clock::now() - t0 < 60s) io.run_one_for(10ms);
    state.PauseTiming();
    if (received < n) state.SkipWithError("receiver did not get every route");
    a.abort();
    b.abort();
    state.ResumeTiming();
  }
  state.counters["routes_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()) * n, benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(announce_to_receiver)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

BENCHMARK_MAIN();
