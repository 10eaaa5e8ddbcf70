// map_ops through bpf(2): element updates, one fresh inner map per Maglev row, and walks
// over the maps for reading back.
#include "libbpf_map_ops.hpp"
#include "libbpf_opts.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dataplane::detail {

namespace {

status check(int rc, const char* what) {
  if (rc == 0) return std::nullopt;
  return system_error(what, rc < 0 ? -rc : errno);
}

// Every (key, value) of a hash-like map, by get_next_key + lookup. Entries deleted during
// the walk are skipped.
template <class K, class V>
result<std::vector<std::pair<K, V>>> walk(int fd, const char* what) {
  std::vector<std::pair<K, V>> out;
  K key{}, next{};
  const void* prev = nullptr;
  while (true) {
    int rc = bpf_map_get_next_key(fd, prev, &next);
    if (rc) {
      int e = rc < 0 ? -rc : errno;
      if (e == ENOENT) break;
      return system_error(what, e);
    }
    V value{};
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) out.emplace_back(next, value);
    key = next;
    prev = &key;
  }
  return out;
}

// The keys of a set-like map (values are 1).
template <class K>
result<std::vector<K>> keys_of(int fd, const char* what) {
  auto all = walk<K, std::uint8_t>(fd, what);
  if (!all) return all.err();
  std::vector<K> out;
  for (const auto& [k, v] : *all) out.push_back(k);
  return out;
}

// IPv4-mapped (::ffff:a.b.c.d): the wide form of an IPv4 address (abi.h).
bool is_v4(const abi::addr16& a) { return a.w[0] == 0 && a.w[1] == 0 && a.w[2] == htonl(0xffff); }

abi::addr16 widen(std::uint32_t v4) {
  abi::addr16 a{};
  a.w[2] = htonl(0xffff);
  a.w[3] = v4;
  return a;
}

abi::frontend4_key narrow(const abi::frontend_key& k) {
  abi::frontend4_key n{};
  n.addr = k.addr.w[3];
  n.port = k.port;
  n.proto = k.proto;
  return n;
}

abi::frontend_key widen(const abi::frontend4_key& n) {
  abi::frontend_key k{};
  k.addr = widen(n.addr);
  k.port = n.port;
  k.proto = n.proto;
  return k;
}

abi::ct_key widen(const abi::ct4_key& n) {
  abi::ct_key k{};
  k.src = widen(n.src);
  k.dst = widen(n.dst);
  k.sport = n.sport;
  k.dport = n.dport;
  k.proto = n.proto;
  k.dir = n.dir;
  return k;
}

// Both maps of a family pair: the wide one's entries, then the compact one's, widened.
template <class K, class K4, class V>
result<std::vector<std::pair<K, V>>> walk_both(int fd, int fd4, const char* what) {
  auto wide = walk<K, V>(fd, what);
  if (!wide) return wide.err();
  auto compact = walk<K4, V>(fd4, what);
  if (!compact) return compact.err();
  for (const auto& [k, v] : *compact) wide->emplace_back(widen(k), v);
  return wide;
}

// An array map read in batches of a bounded size: `visit(key, values)` for each slot,
// `values` pointing at `per_key` consecutive values (one per CPU for a per-CPU map). The
// buffers hold one batch, not the whole map: the backends array has 262,144 slots, and a
// read of them all at once was the largest allocation of a small node's whole run.
template <class V, class Visit>
status batch_read(int fd, std::size_t per_key, const char* what, Visit&& visit) {
  constexpr std::uint32_t batch_size = 4096;
  std::vector<std::uint32_t> keys(batch_size);
  std::vector<V> values(batch_size * per_key);
  std::uint32_t in_batch = 0, out_batch = 0;
  bool first = true;
  while (true) {
    std::uint32_t count = batch_size;
    auto opts = libbpf_opts<bpf_map_batch_opts>();
    const int rc = bpf_map_lookup_batch(fd, first ? nullptr : &in_batch, &out_batch, keys.data(), values.data(),
                                        &count, &opts);
    const int e = rc == 0 ? 0 : rc < 0 ? -rc : errno;
    if (e && e != ENOENT) return system_error(what, e);
    for (std::uint32_t i = 0; i < count; ++i) visit(keys[i], &values[i * per_key]);
    if (e == ENOENT || count == 0) return std::nullopt;  // the last batch
    in_batch = out_batch;
    first = false;
  }
}

// One service's values of the per-CPU array, added up.
abi::service_stats sum_over_cpus(const abi::service_stats* per_cpu, std::size_t cpus) {
  abi::service_stats sum{};
  for (std::size_t c = 0; c < cpus; ++c) {
    sum.packets += per_cpu[c].packets;
    sum.bytes += per_cpu[c].bytes;
    sum.new_flows += per_cpu[c].new_flows;
    sum.drops += per_cpu[c].drops;
  }
  return sum;
}

}  // namespace

libbpf_map_ops::libbpf_map_ops(map_fds fds, map_limits limits, std::uint32_t* slots, std::size_t mapped)
    : fds_(fds),
      limits_(limits),
      cpus_(libbpf_num_possible_cpus()),
      slots_(slots),
      mapped_(mapped),
      chunk_mapped_((mapped + chunk_bytes - 1) / chunk_bytes, false) {}

result<std::unique_ptr<libbpf_map_ops>> libbpf_map_ops::open(map_fds fds, map_limits limits) {
  const std::size_t bytes = static_cast<std::size_t>(limits.maglev_slots) * sizeof(std::uint32_t);
  void* p = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return system_error("reserve addresses for the maglev map", errno);
  std::unique_ptr<libbpf_map_ops> ops(new libbpf_map_ops(fds, limits, static_cast<std::uint32_t*>(p), bytes));
  if (bytes)  // the first chunk now: a map that cannot be mapped fails the load, not a later row
    if (auto e = ops->map_slots(0, 1)) return *e;
  return ops;
}

status libbpf_map_ops::map_slots(std::uint32_t offset, std::size_t count) const {
  if (count == 0) return std::nullopt;
  const std::size_t first = std::size_t{offset} * sizeof(std::uint32_t) / chunk_bytes;
  const std::size_t last = ((std::size_t{offset} + count) * sizeof(std::uint32_t) - 1) / chunk_bytes;
  for (std::size_t i = first; i <= last && i < chunk_mapped_.size(); ++i) {
    if (chunk_mapped_[i]) continue;
    const std::size_t at = i * chunk_bytes, len = std::min(chunk_bytes, mapped_ - at);
    void* p = mmap(reinterpret_cast<char*>(slots_) + at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fds_.maglev,
                   static_cast<off_t>(at));
    if (p == MAP_FAILED) return system_error("mmap the maglev map at byte " + std::to_string(at), errno);
    chunk_mapped_[i] = true;
  }
  return std::nullopt;
}

libbpf_map_ops::~libbpf_map_ops() { munmap(slots_, mapped_); }

status libbpf_map_ops::put_frontend(const abi::frontend_key& k, const abi::frontend_value& v) {
  if (is_v4(k.addr)) {
    const auto n = narrow(k);
    return check(bpf_map_update_elem(fds_.frontends4, &n, &v, BPF_ANY), "update frontends4");
  }
  return check(bpf_map_update_elem(fds_.frontends, &k, &v, BPF_ANY), "update frontends");
}

status libbpf_map_ops::delete_frontend(const abi::frontend_key& k) {
  if (is_v4(k.addr)) {
    const auto n = narrow(k);
    return check(bpf_map_delete_elem(fds_.frontends4, &n), "delete from frontends4");
  }
  return check(bpf_map_delete_elem(fds_.frontends, &k), "delete from frontends");
}

status libbpf_map_ops::put_service(std::uint32_t id, const abi::service_value& v) {
  return check(bpf_map_update_elem(fds_.services, &id, &v, BPF_ANY), "update services");
}

status libbpf_map_ops::delete_service(std::uint32_t id) {
  return check(bpf_map_delete_elem(fds_.services, &id), "delete from services");
}

status libbpf_map_ops::put_backend(std::uint32_t id, const abi::backend_value& v) {
  return check(bpf_map_update_elem(fds_.backends, &id, &v, BPF_ANY), "update backends");
}

// The map and the BPF program share these pages: a row written here is what a packet
// reads, once the service entry (a syscall later) points at it.
status libbpf_map_ops::put_row(std::uint32_t offset, std::span<const std::uint32_t> row) {
  if (offset % 2 || static_cast<std::size_t>(offset) + row.size() > limits_.maglev_slots)
    return error{"Maglev row outside the slots", E2BIG};
  if (auto e = map_slots(offset, row.size())) return e;
  std::memcpy(slots_ + offset, row.data(), row.size_bytes());
  return std::nullopt;
}

status libbpf_map_ops::put_range(const abi::range_key& k) {
  std::uint8_t one = 1;
  return check(bpf_map_update_elem(fds_.source_ranges, &k, &one, BPF_ANY), "update source_ranges");
}

status libbpf_map_ops::delete_range(const abi::range_key& k) {
  return check(bpf_map_delete_elem(fds_.source_ranges, &k), "delete from source_ranges");
}

status libbpf_map_ops::put_peer(const abi::addr16& a) {
  std::uint8_t one = 1;
  return check(bpf_map_update_elem(fds_.tunnel_peers, &a, &one, BPF_ANY), "update tunnel_peers");
}

status libbpf_map_ops::delete_peer(const abi::addr16& a) {
  return check(bpf_map_delete_elem(fds_.tunnel_peers, &a), "delete from tunnel_peers");
}

status libbpf_map_ops::put_config(const abi::config& c) {
  std::uint32_t zero = 0;
  return check(bpf_map_update_elem(fds_.config, &zero, &c, BPF_ANY), "update config");
}

status libbpf_map_ops::reset_service_stats(std::uint32_t id) {
  std::vector<abi::service_stats> zeros(static_cast<std::size_t>(cpus_));
  return check(bpf_map_update_elem(fds_.service_stats, &id, zeros.data(), BPF_ANY), "reset service_stats");
}

result<std::vector<std::pair<abi::frontend_key, abi::frontend_value>>> libbpf_map_ops::frontends() const {
  return walk_both<abi::frontend_key, abi::frontend4_key, abi::frontend_value>(fds_.frontends, fds_.frontends4,
                                                                              "read frontends");
}

result<std::map<std::uint32_t, abi::service_value>> libbpf_map_ops::services() const {
  auto all = walk<std::uint32_t, abi::service_value>(fds_.services, "read services");
  if (!all) return all.err();
  return std::map<std::uint32_t, abi::service_value>(all->begin(), all->end());
}

result<std::map<std::uint32_t, abi::backend_value>> libbpf_map_ops::backends() const {
  std::map<std::uint32_t, abi::backend_value> out;
  if (auto e = batch_read<abi::backend_value>(fds_.backends, 1, "read backends",
                                              [&](std::uint32_t id, const abi::backend_value* v) {
                                                if (v->flags & abi::BE_F_USED) out[id] = *v;
                                              }))
    return *e;
  return out;
}

result<std::vector<std::uint32_t>> libbpf_map_ops::row(std::uint32_t offset, std::uint32_t size) const {
  if (static_cast<std::size_t>(offset) + size > limits_.maglev_slots) return error{"Maglev row outside the slots", E2BIG};
  if (auto e = map_slots(offset, size)) return *e;
  return std::vector<std::uint32_t>(slots_ + offset, slots_ + offset + size);
}

result<std::vector<abi::range_key>> libbpf_map_ops::ranges() const {
  return keys_of<abi::range_key>(fds_.source_ranges, "read source_ranges");
}

result<std::vector<abi::addr16>> libbpf_map_ops::peers() const {
  return keys_of<abi::addr16>(fds_.tunnel_peers, "read tunnel_peers");
}

result<abi::config> libbpf_map_ops::config() const {
  std::uint32_t zero = 0;
  abi::config c{};
  if (bpf_map_lookup_elem(fds_.config, &zero, &c)) return system_error("read config", errno);
  return c;
}

result<std::vector<std::uint64_t>> libbpf_map_ops::counters() const {
  std::vector<std::uint64_t> out(abi::COUNTER_MAX, 0);
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(cpus_));
  for (std::uint32_t code = 0; code < abi::COUNTER_MAX; ++code) {
    if (bpf_map_lookup_elem(fds_.counters, &code, per_cpu.data())) return system_error("read counters", errno);
    for (auto v : per_cpu) out[code] += v;
  }
  return out;
}

// BPF_MAP_LOOKUP_BATCH of the per-CPU array, a bounded batch at a time (a scrape at
// 65,535 services is 16 system calls, not 65,535).
result<std::vector<abi::service_stats>> libbpf_map_ops::all_service_stats() const {
  static_assert(sizeof(abi::service_stats) % 8 == 0, "per-CPU values are laid out 8-byte aligned");
  const std::uint32_t n = limits_.services;
  const auto cpus = static_cast<std::size_t>(cpus_);
  std::vector<abi::service_stats> out(n);
  if (auto e = batch_read<abi::service_stats>(fds_.service_stats, cpus, "read service_stats",
                                              [&](std::uint32_t id, const abi::service_stats* per_cpu) {
                                                if (id < n) out[id] = sum_over_cpus(per_cpu, cpus);
                                              }))
    return *e;
  return out;
}

result<abi::service_stats> libbpf_map_ops::service_stats(std::uint32_t id) const {
  std::vector<abi::service_stats> per_cpu(static_cast<std::size_t>(cpus_));
  if (bpf_map_lookup_elem(fds_.service_stats, &id, per_cpu.data())) return system_error("read service_stats", errno);
  return sum_over_cpus(per_cpu.data(), per_cpu.size());
}

result<std::vector<std::pair<abi::ct_key, abi::ct_value>>> libbpf_map_ops::conntrack() const {
  auto out = walk_both<abi::ct_key, abi::ct4_key, abi::ct_value>(fds_.conntrack, fds_.conntrack4, "read conntrack");
  if (!out) return out;
  auto rev = walk_both<abi::ct_key, abi::ct4_key, abi::ct_value>(fds_.conntrack_rev, fds_.conntrack4_rev,
                                                                  "read conntrack_rev");
  if (!rev) return rev.err();
  out->insert(out->end(), rev->begin(), rev->end());
  return out;
}

}  // namespace dataplane::detail
