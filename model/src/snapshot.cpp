// Building the per-kind indexes of model::snapshot and diffing two snapshots.
#include "model/snapshot.hpp"

#include <algorithm>

namespace model {

snapshot::snapshot(std::vector<object> objects, std::uint64_t generation) : generation_(generation) {
  for (auto& o : objects) {
    std::visit(
        [&](auto&& x) {
          using T = std::decay_t<decltype(x)>;
          auto& t = std::get<table<T>>(tables_);
          name_key k{x.meta.ns, x.meta.name};
          if (auto it = t.find(k); it != t.end()) {
            conflicts_.push_back({x.meta.file, key_of(o).to_string(), "metadata.name",
                                  "defined twice; the definition in " + it->second.meta.file + " is in force"});
            return;
          }
          if constexpr (std::is_same_v<T, endpoint_slice>) {
            if (!x.service_name.empty()) slices_by_service_.emplace(name_key{x.meta.ns, x.service_name}, k);
          }
          t.emplace(std::move(k), std::move(x));
        },
        o);
  }
}

std::vector<const endpoint_slice*> snapshot::slices_of(const std::string& ns, const std::string& service) const {
  std::vector<const endpoint_slice*> out;
  auto [lo, hi] = slices_by_service_.equal_range(name_key{ns, service});
  for (auto it = lo; it != hi; ++it) out.push_back(find<endpoint_slice>(it->second.ns, it->second.name));
  return out;
}

std::size_t snapshot::size() const {
  return std::apply([](const auto&... t) { return (t.size() + ...); }, tables_);
}

std::vector<object> snapshot::objects() const {
  std::vector<object> out;
  out.reserve(size());
  auto append = [&](const auto& t) {
    for (const auto& kv : t) out.emplace_back(kv.second);
  };
  std::apply([&](const auto&... t) { (append(t), ...); }, tables_);
  return out;
}

namespace {

template <class T>
void diff_table(const table<T>& a, const table<T>& b, change_set& out) {
  constexpr auto k = kind_for<T>();
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      out.removed.push_back({k, ia->first.ns, ia->first.name});
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      out.added.push_back({k, ib->first.ns, ib->first.name});
      ++ib;
    } else {
      if (!(ia->second == ib->second)) out.modified.push_back({k, ia->first.ns, ia->first.name});
      ++ia;
      ++ib;
    }
  }
}

}  // namespace

change_set diff(const snapshot& before, const snapshot& after) {
  change_set out;
  diff_table(before.all<service>(), after.all<service>(), out);
  diff_table(before.all<endpoint_slice>(), after.all<endpoint_slice>(), out);
  diff_table(before.all<node>(), after.all<node>(), out);
  diff_table(before.all<namespace_object>(), after.all<namespace_object>(), out);
  diff_table(before.all<secret>(), after.all<secret>(), out);
  diff_table(before.all<ip_address_pool>(), after.all<ip_address_pool>(), out);
  diff_table(before.all<bgp_advertisement>(), after.all<bgp_advertisement>(), out);
  diff_table(before.all<community>(), after.all<community>(), out);
  diff_table(before.all<bfd_profile>(), after.all<bfd_profile>(), out);
  diff_table(before.all<bgp_peer>(), after.all<bgp_peer>(), out);
  diff_table(before.all<bgp_configuration>(), after.all<bgp_configuration>(), out);
  return out;
}

}  // namespace model
