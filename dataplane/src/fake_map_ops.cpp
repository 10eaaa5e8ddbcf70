// The in-memory map_ops: std containers with the kernel maps' rules that matter to the
// reconciler (ids within limits, a row installed only into a free slot).
#include "dataplane/fake_map_ops.hpp"

#include <cerrno>

namespace dataplane {

namespace {
error bad(const char* what, int code) { return system_error(what, code); }
}  // namespace

status fake_map_ops::write(const std::function<status()>& op) {
  if (writes++ == fail_at) return bad("fake write", EIO);
  auto s = op();
  if (!s && after_write) after_write(*this);
  return s;
}

status fake_map_ops::put_frontend(const abi::frontend_key& k, const abi::frontend_value& v) {
  return write([&]() -> status {
    frontend_map[k] = v;
    return std::nullopt;
  });
}

status fake_map_ops::delete_frontend(const abi::frontend_key& k) {
  return write([&]() -> status {
    if (!frontend_map.erase(k)) return bad("delete frontend", ENOENT);
    return std::nullopt;
  });
}

status fake_map_ops::put_service(std::uint32_t id, const abi::service_value& v) {
  return write([&]() -> status {
    if (id == 0 || id >= limits_.services) return bad("put service", E2BIG);
    service_map[id] = v;
    return std::nullopt;
  });
}

status fake_map_ops::delete_service(std::uint32_t id) {
  return write([&]() -> status {
    if (!service_map.erase(id)) return bad("delete service", ENOENT);
    return std::nullopt;
  });
}

status fake_map_ops::put_backend(std::uint32_t id, const abi::backend_value& v) {
  return write([&]() -> status {
    if (id >= limits_.backends) return bad("put backend", E2BIG);
    static const abi::backend_value zero{};
    if (std::memcmp(&v, &zero, sizeof v) == 0)
      backend_map.erase(id);
    else
      backend_map[id] = v;
    return std::nullopt;
  });
}

status fake_map_ops::put_row(std::uint32_t offset, std::span<const std::uint32_t> row) {
  return write([&]() -> status {
    if (offset % 2 || static_cast<std::size_t>(offset) + row.size() > slots.size()) return bad("put row", E2BIG);
    std::copy(row.begin(), row.end(), slots.begin() + offset);
    return std::nullopt;
  });
}

status fake_map_ops::put_range(const abi::range_key& k) {
  return write([&]() -> status {
    range_set.insert(k);
    return std::nullopt;
  });
}

status fake_map_ops::delete_range(const abi::range_key& k) {
  return write([&]() -> status {
    if (!range_set.erase(k)) return bad("delete range", ENOENT);
    return std::nullopt;
  });
}

status fake_map_ops::put_peer(const abi::addr16& a) {
  return write([&]() -> status {
    peer_set.insert(a);
    return std::nullopt;
  });
}

status fake_map_ops::delete_peer(const abi::addr16& a) {
  return write([&]() -> status {
    if (!peer_set.erase(a)) return bad("delete peer", ENOENT);
    return std::nullopt;
  });
}

status fake_map_ops::put_config(const abi::config& c) {
  return write([&]() -> status {
    config_value = c;
    return std::nullopt;
  });
}

status fake_map_ops::reset_service_stats(std::uint32_t id) {
  return write([&]() -> status {
    stats_map.erase(id);
    return std::nullopt;
  });
}

result<std::vector<std::pair<abi::frontend_key, abi::frontend_value>>> fake_map_ops::frontends() const {
  return std::vector<std::pair<abi::frontend_key, abi::frontend_value>>(frontend_map.begin(), frontend_map.end());
}

result<std::map<std::uint32_t, abi::service_value>> fake_map_ops::services() const { return service_map; }

result<std::map<std::uint32_t, abi::backend_value>> fake_map_ops::backends() const { return backend_map; }

result<std::vector<std::uint32_t>> fake_map_ops::row(std::uint32_t offset, std::uint32_t size) const {
  if (static_cast<std::size_t>(offset) + size > slots.size()) return bad("read row", E2BIG);
  return std::vector<std::uint32_t>(slots.begin() + offset, slots.begin() + offset + size);
}

result<std::vector<abi::range_key>> fake_map_ops::ranges() const {
  return std::vector<abi::range_key>(range_set.begin(), range_set.end());
}

result<std::vector<abi::addr16>> fake_map_ops::peers() const {
  return std::vector<abi::addr16>(peer_set.begin(), peer_set.end());
}

result<abi::config> fake_map_ops::config() const { return config_value; }

result<std::vector<std::uint64_t>> fake_map_ops::counters() const {
  return std::vector<std::uint64_t>(abi::COUNTER_MAX, 0);
}

result<abi::service_stats> fake_map_ops::service_stats(std::uint32_t id) const {
  auto it = stats_map.find(id);
  return it == stats_map.end() ? abi::service_stats{} : it->second;
}

result<std::vector<std::pair<abi::ct_key, abi::ct_value>>> fake_map_ops::conntrack() const {
  return std::vector<std::pair<abi::ct_key, abi::ct_value>>(ct_map.begin(), ct_map.end());
}

}  // namespace dataplane
