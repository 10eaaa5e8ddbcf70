// map_ops on the real maps, through libbpf's syscall wrappers. Frontends and conntrack
// entries of IPv4 live in the compact-key maps frontends4, conntrack4 and conntrack4_rev
// (abi.h); this class moves between those keys and the wide ones map_ops speaks, and
// reads the forward and reverse conntrack maps as one table.
#pragma once

#include <memory>
#include <vector>

#include "dataplane/map_ops.hpp"

namespace dataplane::detail {

struct map_fds {
  int frontends = -1, frontends4 = -1, services = -1, backends = -1, maglev = -1, conntrack = -1, conntrack4 = -1,
      conntrack_rev = -1, conntrack4_rev = -1, affinity = -1, source_ranges = -1, tunnel_peers = -1, config = -1,
      counters = -1, service_stats = -1;
};

class libbpf_map_ops : public map_ops {
 public:
  // Maps the `maglev` array (BPF_F_MMAPABLE) into this process, a chunk at a time (below).
  static result<std::unique_ptr<libbpf_map_ops>> open(map_fds fds, map_limits limits);
  ~libbpf_map_ops() override;
  libbpf_map_ops(const libbpf_map_ops&) = delete;
  libbpf_map_ops& operator=(const libbpf_map_ops&) = delete;

  map_limits limits() const override { return limits_; }
  status put_frontend(const abi::frontend_key& k, const abi::frontend_value& v) override;
  status delete_frontend(const abi::frontend_key& k) override;
  status put_service(std::uint32_t id, const abi::service_value& v) override;
  status delete_service(std::uint32_t id) override;
  status put_backend(std::uint32_t id, const abi::backend_value& v) override;
  status put_row(std::uint32_t offset, std::span<const std::uint32_t> row) override;
  status put_range(const abi::range_key& k) override;
  status delete_range(const abi::range_key& k) override;
  status put_peer(const abi::addr16& a) override;
  status delete_peer(const abi::addr16& a) override;
  status put_config(const abi::config& c) override;
  status reset_service_stats(std::uint32_t id) override;

  result<std::vector<std::pair<abi::frontend_key, abi::frontend_value>>> frontends() const override;
  result<std::map<std::uint32_t, abi::service_value>> services() const override;
  result<std::map<std::uint32_t, abi::backend_value>> backends() const override;
  result<std::vector<std::uint32_t>> row(std::uint32_t offset, std::uint32_t size) const override;
  result<std::vector<abi::range_key>> ranges() const override;
  result<std::vector<abi::addr16>> peers() const override;
  result<abi::config> config() const override;
  result<std::vector<std::uint64_t>> counters() const override;
  result<abi::service_stats> service_stats(std::uint32_t id) const override;
  result<std::vector<abi::service_stats>> all_service_stats() const override;
  result<std::vector<std::pair<abi::ct_key, abi::ct_value>>> conntrack() const override;

 private:
  libbpf_map_ops(map_fds fds, map_limits limits, std::uint32_t* slots, std::size_t mapped);
  map_fds fds_;
  map_limits limits_;
  int cpus_;
  // The maglev map's slots: an address range as large as the map, reserved, into which
  // each chunk of 1 MiB is mapped when a row first reaches it. The kernel maps a BPF
  // array's pages when it is mmap()ed (remap_vmalloc_range), so mapping it whole put all
  // of it (32 MiB by default) in this process's RSS, rows or none; now what is mapped is
  // where rows are, which first fit keeps at the start.
  static constexpr std::size_t chunk_bytes = std::size_t{1} << 20;
  status map_slots(std::uint32_t offset, std::size_t count) const;  // the chunks under them
  std::uint32_t* slots_;
  std::size_t mapped_;                       // bytes reserved
  mutable std::vector<bool> chunk_mapped_;
};

}  // namespace dataplane::detail
