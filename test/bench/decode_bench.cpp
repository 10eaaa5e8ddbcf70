// Google Benchmark of model::decode on the cold-start bench's manifests (issue 5): one file
// of 10,000 Services and one of 10,000 EndpointSlices, written exactly as
// test/bench/speaker_e2e/run.py writes them. items_per_second is documents per second;
// run with `taskset -c 1 build/test/bench/decode_bench`.
#include <benchmark/benchmark.h>

#include <string>

#include "e2e_manifests.hpp"
#include "model/decode.hpp"

namespace {

constexpr int documents = 10000;

void run(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    auto r = model::decode("bench.yaml", text);
    if (r.objects.size() != documents || !r.errors.empty()) state.SkipWithError("unexpected decode result");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * documents);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void decode_services(benchmark::State& state) { run(state, bench::services_yaml(documents)); }
void decode_slices(benchmark::State& state) { run(state, bench::slices_yaml(1, documents)); }

}  // namespace

BENCHMARK(decode_services)->Unit(benchmark::kMillisecond);
BENCHMARK(decode_slices)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
