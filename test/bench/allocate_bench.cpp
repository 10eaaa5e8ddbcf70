// Google Benchmark of the controller's allocator at scale (issue 4 targets):
// - fresh / restart: allocate() over 100,000 LoadBalancer services across 50 pools, on a
//   fresh start (everything new) and a restart (everything restored from the ledger);
//   target under 1 s on one core (run with taskset -c 1);
// - change: one service change through incremental_allocator::apply at 1k, 10k and 100k
//   services; the time per change should grow like log n, not like n;
// - memory: heap bytes per allocation held by the ledger and by the whole incremental
//   allocator state; target under 256 bytes per allocation.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>

#include "controller/allocate.hpp"
#include "controller/incremental.hpp"

namespace {

constexpr int pools = 50;

model::service make_service(int i) {
  model::service s;
  s.meta.name = "svc" + std::to_string(i);
  s.meta.ns = "ns" + std::to_string(i % 100);
  s.type = "LoadBalancer";
  s.cluster_ips.push_back(model::ip_address::v4(0x0a600000u + static_cast<std::uint32_t>(i)));
  s.ports.push_back({"http", "TCP", 80});
  if (i % 10 == 0) s.meta.annotations["metallb.io/address-pool"] = "pool" + std::to_string(100 + i % pools);
  return s;
}

// `services` services plus, when `extra` is set, the service svc<extra>; when `bumped`
// is set, that service's port is 81 instead of 80.
model::snapshot make_world(int services, int extra = -1, int bumped = -1) {
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
    auto s = make_service(i);
    if (i == bumped) s.ports[0].port = 81;
    objects.emplace_back(std::move(s));
  }
  if (extra >= 0) objects.emplace_back(make_service(extra));
  return model::snapshot(std::move(objects));
}

model::object_key service_key(int i) {
  const auto s = make_service(i);
  return {model::kind::service, s.meta.ns, s.meta.name};
}

void fresh(benchmark::State& state) {
  const auto world = make_world(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(controller::allocate(world, {}, {}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void restart(benchmark::State& state) {
  const auto world = make_world(static_cast<int>(state.range(0)));
  const auto ledger = controller::allocate(world, {}, {}).ledger;
  for (auto _ : state) benchmark::DoNotOptimize(controller::allocate(world, ledger, {}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// One iteration is two single-service changes: a new service appears (and gets an
// address), then it is deleted again (its address goes on hold-down, and comes back to it
// on the next iteration).
void change_add_delete(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto without = make_world(n);
  const auto with = make_world(n, n);
  controller::options o;
  o.hold_down = std::chrono::hours{24};
  controller::incremental_allocator a(without, {}, o);
  a.apply(without, {}, 1);  // settle the IPAllocated events of the first pass
  model::change_set added;
  added.added.push_back(service_key(n));
  model::change_set removed;
  removed.removed.push_back(service_key(n));
  std::int64_t now = 2;
  std::size_t rerun = 0;
  for (auto _ : state) {
    rerun += a.apply(with, added, now).rerun;
    rerun += a.apply(without, removed, now).rerun;
    ++now;
  }
  state.SetItemsProcessed(state.iterations() * 2);
  state.counters["rerun_per_change"] = static_cast<double>(rerun) / static_cast<double>(state.iterations() * 2);
}

// One iteration is two single-service changes: a service's port changes, then back.
void change_modify(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto plain = make_world(n);
  const auto bumped = make_world(n, -1, n / 2);
  controller::incremental_allocator a(plain, {}, {});
  a.apply(plain, {}, 1);
  model::change_set modified;
  modified.modified.push_back(service_key(n / 2));
  std::int64_t now = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a.apply(bumped, modified, now));
    benchmark::DoNotOptimize(a.apply(plain, modified, now));
    ++now;
  }
  state.SetItemsProcessed(state.iterations() * 2);
}

// Heap bytes per allocation: the ledger a controller keeps between passes, and the whole
// state of an incremental_allocator (ledger included, snapshot excluded).
void memory(benchmark::State& state) {
  const auto world = make_world(static_cast<int>(state.range(0)));
  const auto n = static_cast<double>(state.range(0));
  for (auto _ : state) {
    const auto before = mallinfo2().uordblks;
    auto ledger = std::make_unique<model::ledger>(controller::allocate(world, {}, {}).ledger);
    const auto with_ledger = mallinfo2().uordblks;
    auto inc = std::make_unique<controller::incremental_allocator>(world, model::ledger{}, controller::options{});
    const auto with_state = mallinfo2().uordblks;
    inc->apply(world, {}, 1);  // the one-shot IPAllocated events go
    inc->apply(world, {}, 2);  // and so does that pass's list of changed services
    const auto settled = mallinfo2().uordblks;
    state.counters["ledger_bytes_per_allocation"] = static_cast<double>(with_ledger - before) / n;
    state.counters["state_bytes_per_allocation_first_pass"] = static_cast<double>(with_state - with_ledger) / n;
    state.counters["state_bytes_per_allocation_settled"] = static_cast<double>(settled - with_ledger) / n;
    benchmark::DoNotOptimize(ledger);
    benchmark::DoNotOptimize(inc);
  }
}

}  // namespace

BENCHMARK(memory)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(fresh)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(restart)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(change_add_delete)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(change_modify)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
