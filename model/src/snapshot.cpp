// Building the per-kind tables of model::snapshot (whole, or as the next version of
// another snapshot) and diffing two snapshots.
#include "model/snapshot.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <map>
#include <type_traits>

namespace model {

namespace {

constexpr std::size_t kinds = std::variant_size_v<object>;

template <class F, std::size_t... I>
void each_kind(F&& f, std::index_sequence<I...>) {
  (f(std::type_identity<unboxed_t<std::variant_alternative_t<I, object>>>{}), ...);
}
template <class F>
void each_kind(F&& f) {
  each_kind(f, std::make_index_sequence<kinds>{});
}

// The T inside a shared object, sharing its ownership.
template <class T>
std::shared_ptr<const T> alias(const object_ptr& o) {
  return std::shared_ptr<const T>(o, &as<T>(*o));
}

std::size_t index_of(kind k) { return static_cast<std::size_t>(k); }

}  // namespace

snapshot::snapshot(std::vector<object> objects, std::uint64_t generation) : generation_(generation) {
  std::vector<object_ptr> shared;
  shared.reserve(objects.size());
  for (auto& o : objects) shared.push_back(std::make_shared<const object>(std::move(o)));
  *this = snapshot(shared, generation);
}

snapshot::snapshot(const std::vector<object_ptr>& objects, std::uint64_t generation) : generation_(generation) {
  std::array<std::map<name_key, object_ptr>, kinds> winners;
  for (const auto& o : objects) {
    const auto& m = meta_of(*o);
    auto [it, fresh] = winners[o->index()].try_emplace(name_key{m.ns, m.name}, o);
    if (!fresh) {
      conflicts_.push_back({m.file.str(), key_of(*o).to_string(), "metadata.name",
                            "defined twice; the definition in " + meta_of(*it->second).file.str() + " is in force"});
    }
  }
  using slice_table = basic_table<slice_ref, endpoint_slice, slice_key>;
  std::vector<slice_table::edit> index;
  each_kind([&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<typename table<T>::edit> entries;
    entries.reserve(winners[index_of(kind_for<T>())].size());
    for (const auto& [k, o] : winners[index_of(kind_for<T>())]) {
      entries.emplace_back(meta_key::of(as<T>(*o)), alias<T>(o));
      if constexpr (std::is_same_v<T, endpoint_slice>) {
        const auto& s = std::get<endpoint_slice>(*o);
        if (!s.service_name.empty()) index.emplace_back(slice_key::of(s), entries.back().second);
      }
    }
    std::get<table<T>>(tables_) = table<T>::from_sorted(std::move(entries));
  });
  std::sort(index.begin(), index.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  slices_by_service_ = slice_table::from_sorted(std::move(index));
}

snapshot::snapshot(const snapshot& base, const std::vector<edit>& edits, std::vector<error> conflicts,
                   std::uint64_t generation)
    : tables_(base.tables_), slices_by_service_(base.slices_by_service_), conflicts_(std::move(conflicts)),
      generation_(generation) {
  std::array<std::vector<const edit*>, kinds> by_kind;
  for (const auto& e : edits) {
    assert(!e.value || kind_of(*e.value) == e.key.kind);
    by_kind[index_of(e.key.kind)].push_back(&e);
  }
  using slice_table = basic_table<slice_ref, endpoint_slice, slice_key>;
  std::vector<slice_table::edit> index;
  each_kind([&](auto tag) {
    using T = typename decltype(tag)::type;
    auto& list = by_kind[index_of(kind_for<T>())];
    if (list.empty()) return;
    auto by_name = [](const edit* a, const edit* b) {
      return std::tie(a->key.ns, a->key.name) < std::tie(b->key.ns, b->key.name);
    };
    std::sort(list.begin(), list.end(), by_name);
    std::vector<typename table<T>::edit> changes;
    changes.reserve(list.size());
    auto& t = std::get<table<T>>(tables_);
    for (const edit* e : list) {
      const name_ref k{e->key.ns, e->key.name};  // an erasure's key: the edit's, alive until apply returns
      changes.emplace_back(e->value ? meta_key::of(as<T>(*e->value)) : k, e->value ? alias<T>(e->value) : nullptr);
      if constexpr (std::is_same_v<T, endpoint_slice>) {
        // The old slice lives in `base` (views into it stay good here); the new in its edit.
        if (const auto* old = t.get(k); old != nullptr && !old->service_name.empty()) {
          index.emplace_back(slice_key::of(*old), nullptr);
        }
        if (e->value && !changes.back().second->service_name.empty()) {
          index.emplace_back(slice_key::of(*changes.back().second), changes.back().second);
        }
      }
    }
    t = t.apply(changes);
  });
  if (index.empty()) return;
  // A slice that keeps its service has an erase and a set of one key: the set wins.
  std::stable_sort(index.begin(), index.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<slice_table::edit> unique;
  for (auto& e : index) {
    if (!unique.empty() && !(unique.back().first < e.first)) unique.back() = std::move(e);
    else unique.push_back(std::move(e));
  }
  slices_by_service_ = slices_by_service_.apply(unique);
}

std::vector<const endpoint_slice*> snapshot::slices_of(const std::string& ns, const std::string& service) const {
  std::vector<const endpoint_slice*> out;
  for (auto it = slices_by_service_.lower_bound(slice_ref{ns, service, {}}); it != slices_by_service_.end(); ++it) {
    const auto [k, slice] = *it;
    if (k.ns != ns || k.service != service) break;
    out.push_back(&slice);
  }
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
  if (a.same(b)) return;
  constexpr auto k = kind_for<T>();
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && (*ia).first < (*ib).first)) {
      out.removed.push_back({k, std::string((*ia).first.ns), std::string((*ia).first.name)});
      ++ia;
    } else if (ia == a.end() || (*ib).first < (*ia).first) {
      out.added.push_back({k, std::string((*ib).first.ns), std::string((*ib).first.name)});
      ++ib;
    } else {
      if (ia.share() != ib.share() && !((*ia).second == (*ib).second)) {
        out.modified.push_back({k, std::string((*ia).first.ns), std::string((*ia).first.name)});
      }
      ++ia;
      ++ib;
    }
  }
}

}  // namespace

change_set diff(const snapshot& before, const snapshot& after) {
  change_set out;
  each_kind([&](auto tag) {
    using T = typename decltype(tag)::type;
    diff_table(before.all<T>(), after.all<T>(), out);
  });
  return out;
}

}  // namespace model
