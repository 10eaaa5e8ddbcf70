// The etcd datastore on demand (issue 13), against a real 3-member etcd on loopback
// (store/test/etcd/cluster.hpp), with the speaker e2e bench's manifests (10,000 Local
// LoadBalancer Services, 10,000 EndpointSlices, a pool, a peer, an advertisement, a node)
// stored one object per key as bgplbctl apply stores them:
//   cold start: open_etcd + start until the first (full) change is delivered: the paged
//     list of 20,004 keys, decoding every value, admission and the snapshot; also the list
//     alone and view::reset alone on the listed values.
//   change latency: a Service's value put (through another client) until the change
//     naming it is delivered to the sink, one at a time, with coalesce 5 ms and 0 ms.
//   ledger: the controller's write() of a 10,000-entry ledger (time on the caller's thread,
//     and until it is in etcd), a speaker's cold start with it, and one service's ledger
//     entry written by the leader until the speaker's change carries it.
// Run: build/test/bench/etcd_bench [services] (needs /usr/bin/etcd).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "../../store/test/etcd/cluster.hpp"
#include "../../store/test/etcd/recorder.hpp"
#include "e2e_manifests.hpp"
#include "etcd/client.hpp"
#include "etcd/open.hpp"
#include "etcd/view.hpp"
#include "etcd/writer.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using store::etcd::testing::cluster;
using store::etcd::testing::recorder;

double ms(clock_type::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of the calling thread: what a step costs whatever else the machine runs.
double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

struct percentiles {
  double p50, p99, max;
};
percentiles of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
  return {at(0.5), at(0.99), v.back()};
}

void load(store::etcd::client& c, const std::vector<std::pair<std::string, std::string>>& kvs) {
  for (std::size_t at = 0; at < kvs.size(); at += 128) {
    etcdserverpb::TxnRequest t;
    for (std::size_t i = at; i < std::min(kvs.size(), at + 128); ++i) {
      auto* p = t.add_success()->mutable_request_put();
      p->set_key(kvs[i].first);
      p->set_value(kvs[i].second);
    }
    etcdserverpb::TxnResponse r;
    if (auto e = c.txn(t, r)) {
      std::fprintf(stderr, "load: %s\n", e.message.c_str());
      std::exit(1);
    }
  }
}

std::string service_key(const store::etcd::layout& l, int i) {
  return l.key({model::kind::service, "bench", "s" + std::to_string(i)});
}

void change_latency(const cluster& c, store::etcd::client& writer, int services, std::chrono::milliseconds coalesce,
                    int rounds) {
  const store::etcd::layout l("/bgplb");
  recorder r;
  store::open_options o;
  o.coalesce = coalesce;
  auto ds = store::etcd::open_etcd(c.uri(), o);
  ds->start(r.changes(), r.health());
  r.wait([](const recorder& x) { return !x.all_changes().empty(); }, 120s);
  std::vector<double> took;
  for (int i = 0; i < rounds; ++i) {
    const int s = (i * 7919) % services;
    auto doc = bench::service_doc(s);
    doc.insert(doc.find("namespace: bench}") + 16,
               ", labels: {round: '" + std::to_string(coalesce.count()) + "-" + std::to_string(i) + "'}");
    const auto before = r.count();
    const auto start = clock_type::now();
    etcdserverpb::TxnRequest t;
    auto* p = t.add_success()->mutable_request_put();
    p->set_key(service_key(l, s));
    p->set_value(doc);
    etcdserverpb::TxnResponse resp;
    writer.txn(t, resp);
    if (!r.wait([&](const recorder& x) { return x.all_changes().size() > before; }, 10s)) {
      std::fprintf(stderr, "change %d was not delivered\n", i);
      std::exit(1);
    }
    r.wait([&](const recorder& x) {
      if (!x.all_changes().back().change.objects.errors.empty()) {
        std::fprintf(stderr, "change %d refused: %s\n", i, model::to_string(x.all_changes().back().change.objects.errors).c_str());
        std::exit(1);
      }
      took.push_back(ms(x.all_changes().back().at - start));
      return true;
    }, 0ms);
  }
  ds->stop();
  const auto p = of(took);
  std::printf("change put -> delivered (coalesce %lld ms, %d changes): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              static_cast<long long>(coalesce.count()), rounds, p.p50, p.p99, p.max);
}

}  // namespace

int main(int argc, char** argv) {
  if (auto why = cluster::missing(); !why.empty()) {
    std::fprintf(stderr, "etcd_bench: %s\n", why.c_str());
    return 77;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int services = argc > 1 ? std::atoi(argv[1]) : 10000;
  cluster c;
  if (!c.wait_ready(30s)) return 1;
  const store::etcd::layout l("/bgplb");
  store::etcd::client direct(store::etcd::parse_uri(c.uri("/bgplb", "timeout=10s")));

  std::vector<std::pair<std::string, std::string>> kvs;
  {
    const auto bgp = bench::bgp_yaml();
    std::size_t start = 0;
    const model::object_key ids[] = {{model::kind::ip_address_pool, "metallb-system", "bench"},
                                     {model::kind::bgp_peer, "metallb-system", "rcv"},
                                     {model::kind::bgp_advertisement, "metallb-system", "all"},
                                     {model::kind::node, "", "n1"}};
    for (const auto& id : ids) {
      const auto end = bgp.find("---\n", start);
      kvs.emplace_back(l.key(id), bgp.substr(start, end == std::string::npos ? std::string::npos : end - start));
      start = end == std::string::npos ? bgp.size() : end + 4;
    }
  }
  for (int i = 0; i < services; ++i) {
    kvs.emplace_back(service_key(l, i), bench::service_doc(i));
    kvs.emplace_back(l.key({model::kind::endpoint_slice, "bench", "s" + std::to_string(i) + "-a"}), bench::slice_doc(i, true));
  }
  auto t0 = clock_type::now();
  load(direct, kvs);
  std::printf("loaded %zu keys in %.0f ms (Txns of 128 puts)\n", kvs.size(), ms(clock_type::now() - t0));

  // Cold start, five times; and its parts.
  std::vector<double> cold;
  for (int i = 0; i < 5; ++i) {
    recorder r;
    t0 = clock_type::now();
    auto ds = store::etcd::open_etcd(c.uri(), {});
    ds->start(r.changes(), r.health());
    r.wait([](const recorder& x) { return !x.all_changes().empty(); }, 120s);
    cold.push_back(ms(r.all_changes().front().at - t0));
    ds->stop();
    if (r.snapshot()->size() != kvs.size() || !r.all_changes().front().change.objects.errors.empty()) {
      std::fprintf(stderr, "cold start delivered %zu objects, %zu errors\n", r.snapshot()->size(),
                   r.all_changes().front().change.objects.errors.size());
      return 1;
    }
  }
  std::vector<store::etcd::kv_item> listed;
  std::int64_t revision = 0;
  t0 = clock_type::now();
  direct.list(l.data_prefix(), listed, revision);
  const double list_ms = ms(clock_type::now() - t0);
  store::etcd::view v(l, {});
  t0 = clock_type::now();
  double cpu0 = cpu_ms();
  v.reset(listed, revision);
  const double reset_cpu = cpu_ms() - cpu0;
  const double reset_ms = ms(clock_type::now() - t0);
  const auto cs = of(cold);
  std::printf("cold start, %zu objects (5 runs): median %.0f ms, max %.0f ms; list alone %.0f ms, "
              "decode+admit+snapshot %.0f ms (%.0f ms CPU)\n",
              kvs.size(), cs.p50, cs.max, list_ms, reset_ms, reset_cpu);

  change_latency(c, direct, services, 5ms, 500);
  change_latency(c, direct, services, 0ms, 500);

  // The ledger: a controller writes 10,000 entries; a speaker starts with them.
  recorder lead;
  store::open_options co;
  co.controller = true;
  auto ctl = store::etcd::open_etcd(c.uri("/bgplb", "timeout=10s"), co);
  ctl->campaign(lead.leader());
  lead.wait([](const recorder& x) { return x.leading(); }, 30s);
  store::state st;
  st.ledger.revision = 1;
  for (int i = 0; i < services; ++i) {
    st.ledger.entries.push_back({"bench", "s" + std::to_string(i),
                                 {*model::ip_address::parse("10.200." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1))},
                                 "bench", 1700000000});
  }
  std::sort(st.ledger.entries.begin(), st.ledger.entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  t0 = clock_type::now();
  ctl->writer()->write(st);
  const double call_ms = ms(clock_type::now() - t0);
  static_cast<store::etcd::writer*>(ctl->writer())->flush(120s);
  const double written_ms = ms(clock_type::now() - t0);
  std::printf("ledger of %d entries: write() returned in %.2f ms; in etcd after %.0f ms\n", services, call_ms, written_ms);

  recorder sp;
  t0 = clock_type::now();
  auto speaker = store::etcd::open_etcd(c.uri(), {});
  speaker->start(sp.changes(), sp.health());
  sp.wait([&](const recorder& x) { return x.assignments() != nullptr; }, 120s);
  std::printf("speaker cold start with the ledger: %.0f ms (%zu assignments)\n", ms(sp.all_changes().front().at - t0),
              sp.assignments()->size());
  direct.list(l.data_prefix(), listed, revision);
  store::etcd::view lv(l, {});
  cpu0 = cpu_ms();
  lv.reset(listed, revision);
  std::printf("  view::reset of %zu keys (objects and ledger): %.0f ms CPU\n", listed.size(), cpu_ms() - cpu0);

  std::vector<double> took, call;
  for (int i = 0; i < 200; ++i) {
    auto& e = st.ledger.entries[static_cast<std::size_t>((i * 7919) % services)];
    e.ips = {*model::ip_address::parse("10.201." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1))};
    ++st.ledger.revision;
    const auto before = sp.count();
    const auto start = clock_type::now();
    ctl->writer()->write(st);
    call.push_back(ms(clock_type::now() - start));
    if (!sp.wait([&](const recorder& x) { return x.all_changes().size() > before; }, 10s)) {
      std::fprintf(stderr, "ledger change %d was not delivered\n", i);
      std::exit(1);
    }
    sp.wait([&](const recorder& x) {
      took.push_back(ms(x.all_changes().back().at - start));
      return true;
    }, 0ms);
  }
  const auto w = of(took);
  const auto cw = of(call);
  std::printf("ledger entry write() -> speaker change (200, coalesce 5 ms): p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
              "write() on the caller: p50 %.2f ms, p99 %.2f ms\n", w.p50, w.p99, w.max, cw.p50, cw.p99);
  speaker->stop();
  ctl->stop();
  return 0;
}
