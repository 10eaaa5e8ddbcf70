// Google Benchmark of controller::allocate at scale: 100,000 LoadBalancer services across
// 50 pools, on a fresh start (everything new) and on a restart (everything restored from
// the ledger), plus the cost of one added service on top of a full ledger.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>

#include "controller/allocate.hpp"

namespace {

model::snapshot make_world(int services, int pools) {
  std::vector<model::object> objects;
  for (int p = 0; p < pools; ++p) {
    model::ip_address_pool pool;
    pool.meta.name = "pool" + std::to_string(100 + p);
    pool.meta.ns = "metallb-system";
    const auto first = model::ip_address::v4((10u << 24) | (static_cast<std::uint32_t>(p) << 16));
    pool.ranges.push_back(model::ip_range(model::cidr(first, 16)));
    pool.addresses.push_back(pool.ranges.back().first().to_string() + "/16");
    objects.emplace_back(std::move(pool));
  }
  for (int i = 0; i < services; ++i) {
    model::service s;
    s.meta.name = "svc" + std::to_string(i);
    s.meta.ns = "ns" + std::to_string(i % 100);
    s.type = "LoadBalancer";
    s.cluster_ips.push_back(model::ip_address::v4(0x0a600000u + static_cast<std::uint32_t>(i)));
    s.ports.push_back({"http", "TCP", 80});
    if (i % 10 == 0) s.meta.annotations["metallb.io/address-pool"] = "pool" + std::to_string(100 + i % pools);
    objects.emplace_back(std::move(s));
  }
  return model::snapshot(std::move(objects));
}

void fresh(benchmark::State& state) {
  const auto world = make_world(static_cast<int>(state.range(0)), 50);
  for (auto _ : state) benchmark::DoNotOptimize(controller::allocate(world, {}, {}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void restart(benchmark::State& state) {
  const auto world = make_world(static_cast<int>(state.range(0)), 50);
  const auto ledger = controller::allocate(world, {}, {}).ledger;
  for (auto _ : state) benchmark::DoNotOptimize(controller::allocate(world, ledger, {}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Heap bytes per allocation held by the ledger a controller keeps between passes.
void ledger_memory(benchmark::State& state) {
  const auto world = make_world(static_cast<int>(state.range(0)), 50);
  double per = 0;
  for (auto _ : state) {
    const auto before = mallinfo2().uordblks;
    auto ledger = std::make_unique<model::ledger>(controller::allocate(world, {}, {}).ledger);
    const auto after = mallinfo2().uordblks;
    per = static_cast<double>(after - before) / static_cast<double>(state.range(0));
    benchmark::DoNotOptimize(ledger);
  }
  state.counters["bytes_per_allocation"] = per;
}

}  // namespace

BENCHMARK(ledger_memory)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(fresh)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(restart)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
