// The kernel boundary: every read and write of the module's maps goes through map_ops,
// so the reconciler above it runs against an in-memory fake in tests (as Katran's
// BpfAdapter does). Keys and values are the ABI structs of bpf/abi.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "dataplane/abi.hpp"
#include "dataplane/error.hpp"

namespace dataplane {

// Orders ABI structs by their bytes (they have no padding holes: abi.h asserts sizes).
struct pod_less {
  template <class T>
  bool operator()(const T& a, const T& b) const {
    return std::memcmp(&a, &b, sizeof(T)) < 0;
  }
};

template <class T>
bool pod_equal(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Hashing and equality of ABI structs by their bytes, for unordered containers.
struct pod_hash {
  template <class T>
  std::size_t operator()(const T& v) const {
    const auto* b = reinterpret_cast<const unsigned char*>(&v);
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
    for (std::size_t i = 0; i < sizeof(T); ++i) h = (h ^ b[i]) * 0x100000001b3ULL;
    return static_cast<std::size_t>(h);
  }
};

struct pod_eq {
  template <class T>
  bool operator()(const T& a, const T& b) const {
    return pod_equal(a, b);
  }
};

struct map_limits {
  std::uint32_t services = BGPLB_MAX_SERVICES;  // svc ids 1..services-1
  std::uint32_t backends = BGPLB_MAX_BACKENDS;  // backend ids 1..backends-1
  std::uint32_t maglev_slots = BGPLB_MAGLEV_SLOTS;  // room for all Maglev rows together
};

class map_ops {
 public:
  virtual ~map_ops() = default;
  virtual map_limits limits() const = 0;

  virtual status put_frontend(const abi::frontend_key& k, const abi::frontend_value& v) = 0;
  virtual status delete_frontend(const abi::frontend_key& k) = 0;
  virtual status put_service(std::uint32_t id, const abi::service_value& v) = 0;  // atomic swap
  virtual status delete_service(std::uint32_t id) = 0;
  virtual status put_backend(std::uint32_t id, const abi::backend_value& v) = 0;  // zero value frees
  // Writes a Maglev row into slots [offset, offset + row.size()), which no service refers to.
  virtual status put_row(std::uint32_t offset, std::span<const std::uint32_t> row) = 0;
  virtual status put_range(const abi::range_key& k) = 0;
  virtual status delete_range(const abi::range_key& k) = 0;
  virtual status put_peer(const abi::addr16& a) = 0;
  virtual status delete_peer(const abi::addr16& a) = 0;
  virtual status put_config(const abi::config& c) = 0;
  virtual status reset_service_stats(std::uint32_t id) = 0;

  // Reading back: after a restart, and for inspection.
  virtual result<std::vector<std::pair<abi::frontend_key, abi::frontend_value>>> frontends() const = 0;
  virtual result<std::map<std::uint32_t, abi::service_value>> services() const = 0;
  virtual result<std::map<std::uint32_t, abi::backend_value>> backends() const = 0;  // used slots
  virtual result<std::vector<std::uint32_t>> row(std::uint32_t offset, std::uint32_t size) const = 0;
  virtual result<std::vector<abi::range_key>> ranges() const = 0;
  virtual result<std::vector<abi::addr16>> peers() const = 0;
  virtual result<abi::config> config() const = 0;
  virtual result<std::vector<std::uint64_t>> counters() const = 0;  // summed over CPUs, COUNTER_MAX
  virtual result<abi::service_stats> service_stats(std::uint32_t id) const = 0;
  // Every service id's stats, summed over CPUs, indexed by id (limits().services of them).
  // The default reads them one at a time; the kernel's reads the map in one batch.
  virtual result<std::vector<abi::service_stats>> all_service_stats() const {
    std::vector<abi::service_stats> out(limits().services);
    for (std::uint32_t id = 0; id < out.size(); ++id) {
      auto s = service_stats(id);
      if (!s) return s.err();
      out[id] = *s;
    }
    return out;
  }
  virtual result<std::vector<std::pair<abi::ct_key, abi::ct_value>>> conntrack() const = 0;
};

}  // namespace dataplane
