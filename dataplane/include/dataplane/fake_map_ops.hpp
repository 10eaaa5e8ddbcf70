// map_ops in memory, for tests of the reconciler and of what feeds it. after_write runs
// after every write, so a test can check what a packet would see at each step of an
// update (no half-written backend set); fail_at makes the n-th write fail.
#pragma once

#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "dataplane/map_ops.hpp"

namespace dataplane {

class fake_map_ops : public map_ops {
 public:
  explicit fake_map_ops(map_limits limits = {}) : slots(limits.maglev_slots, 0), limits_(limits) {}

  std::map<abi::frontend_key, abi::frontend_value, pod_less> frontend_map;
  std::map<std::uint32_t, abi::service_value> service_map;
  std::map<std::uint32_t, abi::backend_value> backend_map;  // non-zero slots
  std::vector<std::uint32_t> slots;  // the Maglev rows side by side
  std::set<abi::range_key, pod_less> range_set;
  std::set<abi::addr16, pod_less> peer_set;
  abi::config config_value{};
  std::map<std::uint32_t, abi::service_stats> stats_map;
  std::map<abi::ct_key, abi::ct_value, pod_less> ct_map;

  std::function<void(const fake_map_ops&)> after_write;
  long fail_at = -1;  // the write with this index fails (EIO)
  long writes = 0;

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
  result<std::vector<std::pair<abi::ct_key, abi::ct_value>>> conntrack() const override;

 private:
  status write(const std::function<status()>& op);
  map_limits limits_;
};

}  // namespace dataplane
