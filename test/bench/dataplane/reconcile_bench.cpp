// reconcile_bench: how fast services reach the real maps (root; no interface involved).
//   sudo build/test/bench/dataplane/reconcile_bench [services=10000]
// 1. N services with one backend each, from empty maps (no Maglev rows needed);
// 2. N services with two backends each and Maglev rows of 4,099 (N rows: 16 KiB each);
// 3. after each, one endpoint change of one more 2-backend service (same row size), in a
//    process that holds the reconciler (apply_service), and the same through a full
//    apply() of all N + 1 services (only the changed one is written).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "dataplane/loader.hpp"
#include "dataplane/reconciler.hpp"

using namespace dataplane;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

service make(int i, int backends) {
  service s;
  s.name = "svc-" + std::to_string(i);
  s.frontends = {{address::v4(0xc6140000u + static_cast<std::uint32_t>(i)), 80}};
  for (int b = 0; b < backends; ++b)
    s.backends.push_back({address::v4(0x0a000000u + static_cast<std::uint32_t>(i * 4 + b)), 8080, std::nullopt, false});
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void run_case(const char* what, int n, int backends, std::uint32_t m) {
  const std::uint32_t rows = backends >= 2 ? static_cast<std::uint32_t>(n) : 0;
  std::random_device rd;
  std::string pin = "/sys/fs/bpf/bgplb-rbench-" + std::to_string(getpid()) + "-" + std::to_string(rd() % 100000);
  load_options lo;
  lo.pin_root = pin;
  lo.max_services = static_cast<std::uint32_t>(2 * n + 16);
  lo.max_backends = static_cast<std::uint32_t>(4 * n + 16);
  lo.conntrack_entries = 4096;
  lo.maglev_slots = (rows + 2) * (m + 1) + 4 * 65538;  // every row, and the changing one twice
  auto mod = module::load(lo);
  if (!mod) {
    std::fprintf(stderr, "%s\n", mod.err().message.c_str());
    std::exit(77);
  }
  auto rec = reconciler::open((*mod)->maps());
  desired d;
  d.maglev_size = m;
  for (int i = 0; i < n; ++i) d.services.push_back(make(i, backends));
  auto t0 = clock_type::now();
  auto rep = (*rec)->apply(d);
  double all = ms_since(t0);
  std::printf("%s: %d services x %d backends, rows of %u: apply from empty %.1f ms (%zu writes, %zu rows)\n", what, n,
              backends, m, all, rep->writes, rep->rows_built);

  // one endpoint change of a 2-backend service
  desired one = d;
  service changing = make(n + 1, 2);
  one.services.push_back(changing);
  (void)(*rec)->apply(one);
  std::vector<double> incremental, full;
  for (int k = 0; k < 20; ++k) {
    changing.backends[1].addr = address::v4(0x0b000000u + static_cast<std::uint32_t>(k));
    auto t1 = clock_type::now();
    (void)(*rec)->apply_service(changing);
    incremental.push_back(ms_since(t1));
    one.services.back() = changing;
    changing.backends[1].addr = address::v4(0x0c000000u + static_cast<std::uint32_t>(k));
    one.services.back() = changing;
    auto t2 = clock_type::now();
    (void)(*rec)->apply(one);
    full.push_back(ms_since(t2));
  }
  std::printf("  one endpoint change (row of %u): apply_service median %.2f ms [%.2f-%.2f], full apply of %d median "
              "%.2f ms [%.2f-%.2f]\n",
              m, median(incremental), *std::min_element(incremental.begin(), incremental.end()),
              *std::max_element(incremental.begin(), incremental.end()), n + 1, median(full),
              *std::min_element(full.begin(), full.end()), *std::max_element(full.begin(), full.end()));
  rec->reset();
  mod->reset();
  (void)uninstall(pin);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::stoi(argv[1]) : 10000;
  run_case("single backend", n, 1, 65537);
  run_case("two backends", n, 2, 4099);
  return 0;
}
