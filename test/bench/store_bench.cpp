// Google Benchmark of the file datastore (issue 5): one EndpointSlice file rewritten on top
// of the speaker e2e bench's manifests (bgp.yaml, 10,000 Services in services.yaml, 9,999
// EndpointSlices in slices.yaml, the edited slice alone in target.yaml), measured through
// store::file::backend::wait, i.e. what the daemon's reader thread pays per change.
//   change_in_memory: an in-memory filesystem and a scripted watcher (the backend logic
//     alone); /0 the watcher names no paths (full rescan), /1 it names target.yaml.
//   change_on_disk: a temporary directory, write-then-rename, real inotify (quiet 0 ms).
//   next_snapshot: model::snapshot's next version after one edit, on 20,004 objects;
//   whole_snapshot: the same 20,004 objects built into a snapshot from scratch.
// Run with `taskset -c 1 build/test/bench/store_bench`.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "../../store/test/fakes.hpp"
#include "e2e_manifests.hpp"
#include "model/decode.hpp"
#include "store/file_backend.hpp"

namespace {

constexpr int services = 10000;

std::map<std::string, std::string> manifests() {
  return {{"bgp.yaml", bench::bgp_yaml()},
          {"services.yaml", bench::services_yaml(services)},
          {"slices.yaml", bench::slices_yaml(1, services - 1)},
          {"target.yaml", bench::slice_doc(0, true)}};
}

// ---- in memory ----

void change_in_memory(benchmark::State& state) {
  using store::file::fakes::fake_disk;
  auto disk = std::make_shared<fake_disk>(fake_disk{manifests(), {}, {}, 0, {}});
  auto script = std::make_shared<std::deque<bool>>();
  // /1: the watcher names target.yaml; /0: it names nothing, so the backend reads everything.
  auto named = state.range(0) != 0 ? std::make_shared<std::optional<std::vector<std::string>>>() : nullptr;
  store::file::backend b("/m", std::make_unique<store::file::fakes::fake_filesystem>(disk),
                         std::make_unique<store::file::fakes::fake_watcher>(script, named),
                         store::file::options{std::chrono::milliseconds{0}, std::chrono::milliseconds{1000}, {}});
  if (b.list().snapshot->size() != 2 * services + 4) state.SkipWithError("unexpected initial snapshot");
  bool ready = true;
  for (auto _ : state) {
    ready = !ready;
    disk->files["target.yaml"] = bench::slice_doc(0, ready);
    *script = {true, false};
    if (named) *named = std::vector<std::string>{"target.yaml"};
    auto u = b.wait(std::chrono::milliseconds{0});
    if (!u || u->changes.modified.size() != 1) state.SkipWithError("expected one modified object");
    benchmark::DoNotOptimize(u);
  }
}

// ---- on disk ----

namespace fs = std::filesystem;

void write_atomic(const fs::path& dir, const std::string& name, const std::string& text) {
  const auto tmp = dir / (".tmp-" + name);
  std::ofstream(tmp) << text;
  fs::rename(tmp, dir / name);
}

void change_on_disk(benchmark::State& state) {
  std::string tmpl = (fs::temp_directory_path() / "bgplb-store-bench-XXXXXX").string();
  const fs::path dir = ::mkdtemp(tmpl.data());
  for (const auto& [name, text] : manifests()) write_atomic(dir, name, text);
  {
    store::file::backend b(dir, store::file::make_posix_filesystem(), store::file::make_inotify_watcher(dir),
                           store::file::options{std::chrono::milliseconds{0}, std::chrono::milliseconds{1000}, {}});
    if (b.list().snapshot->size() != 2 * services + 4) state.SkipWithError("unexpected initial snapshot");
    bool ready = true;
    for (auto _ : state) {
      ready = !ready;
      write_atomic(dir, "target.yaml", bench::slice_doc(0, ready));
      auto u = b.wait(std::chrono::milliseconds{1000});
      if (!u || u->changes.modified.size() != 1) state.SkipWithError("expected one modified object");
      benchmark::DoNotOptimize(u);
    }
  }
  fs::remove_all(dir);
}

std::vector<model::object_ptr> all_objects() {
  std::vector<model::object_ptr> out;
  for (const auto& [name, text] : manifests()) {
    for (auto& o : model::decode(name, text).objects) out.push_back(std::make_shared<const model::object>(std::move(o)));
  }
  return out;
}

void next_snapshot(benchmark::State& state) {
  const model::snapshot base(all_objects(), 1);
  std::vector<model::snapshot::edit> edits{{model::object_key{model::kind::endpoint_slice, "bench", "s0-a"}, nullptr}};
  const auto decoded = model::decode("target.yaml", bench::slice_doc(0, false)).objects;
  edits.front().value = std::make_shared<const model::object>(decoded.at(0));
  for (auto _ : state) {
    model::snapshot next(base, edits, {}, 2);
    benchmark::DoNotOptimize(next);
  }
}

void whole_snapshot(benchmark::State& state) {
  const auto objects = all_objects();
  for (auto _ : state) {
    model::snapshot s(objects, 1);
    benchmark::DoNotOptimize(s);
  }
}

}  // namespace

BENCHMARK(next_snapshot)->Unit(benchmark::kMicrosecond);
BENCHMARK(whole_snapshot)->Unit(benchmark::kMillisecond);
BENCHMARK(change_in_memory)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(change_on_disk)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
