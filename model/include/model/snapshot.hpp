// model::snapshot: an immutable, indexed view of every object a datastore holds at one
// moment, and the change set between two snapshots. Consumers (allocator, planner) get a
// std::shared_ptr<const snapshot>; nothing mutates one after construction. The per-kind
// tables are persistent (model/table.hpp): a datastore builds the next snapshot from the
// previous one and its edits in O(edits · log n), sharing every other object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "model/error.hpp"
#include "model/objects.hpp"
#include "model/table.hpp"

namespace model {

struct name_key {
  std::string ns;
  std::string name;
  friend auto operator<=>(const name_key&, const name_key&) = default;
};

// A namespace and name seen in an object (or in a name_key) without a copy: the key a
// snapshot's tables read from their objects. Good while what it views lives.
struct name_ref {
  std::string_view ns;
  std::string_view name;
  name_ref() = default;
  name_ref(std::string_view n, std::string_view m) : ns(n), name(m) {}
  name_ref(const name_key& k) : ns(k.ns), name(k.name) {}  // NOLINT: a lookup by an owned key
  name_key owned() const { return {std::string(ns), std::string(name)}; }
  friend auto operator<=>(const name_ref&, const name_ref&) = default;
  friend bool operator==(const name_ref&, const name_ref&) = default;
};

// A snapshot's tables key each object by its own metadata.namespace and .name.
struct meta_key {
  template <class T>
  static name_ref of(const T& o) {
    return {o.meta.ns, o.meta.name};
  }
};

template <class T>
using table = basic_table<name_ref, T, meta_key>;  // iteration is namespace/name order, yields (key, object)

struct change_set {
  std::vector<object_key> added;
  std::vector<object_key> modified;
  std::vector<object_key> removed;
  bool empty() const { return added.empty() && modified.empty() && removed.empty(); }
  friend bool operator==(const change_set&, const change_set&) = default;
};

class snapshot {
 public:
  snapshot() = default;
  // Objects are taken in order; a second object with the key of an earlier one is
  // dropped and reported in conflicts().
  explicit snapshot(std::vector<object> objects, std::uint64_t generation = 0);
  explicit snapshot(const std::vector<object_ptr>& objects, std::uint64_t generation = 0);

  // The next version of `base`: each key set to its object, or removed when the object
  // is null (keys unique); the conflicts are the caller's, as it decides which of two
  // definitions wins. Shares every untouched object and index node with `base`.
  struct edit {
    object_key key;
    object_ptr value;
  };
  snapshot(const snapshot& base, const std::vector<edit>& edits, std::vector<error> conflicts,
           std::uint64_t generation);

  template <class T>
  const table<T>& all() const { return std::get<table<T>>(tables_); }

  template <class T>
  const T* find(std::string_view ns, std::string_view name) const {
    return all<T>().get(name_ref{ns, name});
  }

  // EndpointSlices labelled kubernetes.io/service-name=<service> in the namespace.
  std::vector<const endpoint_slice*> slices_of(const std::string& ns, const std::string& service) const;

  const std::vector<error>& conflicts() const { return conflicts_; }
  std::uint64_t generation() const { return generation_; }
  std::size_t size() const;
  std::vector<object> objects() const;  // every object, kind then namespace/name order

 private:
  // EndpointSlices by the Service they name, then by their own name (the namespace is
  // both's), read from each slice.
  struct slice_ref {
    std::string_view ns;
    std::string_view service;
    std::string_view name;
    friend auto operator<=>(const slice_ref&, const slice_ref&) = default;
    friend bool operator==(const slice_ref&, const slice_ref&) = default;
  };
  struct slice_key {
    static slice_ref of(const endpoint_slice& s) { return {s.meta.ns, s.service_name, s.meta.name}; }
  };

  std::tuple<table<service>, table<endpoint_slice>, table<node>, table<namespace_object>, table<secret>,
             table<ip_address_pool>, table<bgp_advertisement>, table<community>, table<bfd_profile>,
             table<bgp_peer>, table<bgp_configuration>, table<calico_bgp_peer>, table<calico_node>>
      tables_;
  basic_table<slice_ref, endpoint_slice, slice_key> slices_by_service_;
  std::vector<error> conflicts_;
  std::uint64_t generation_ = 0;
};

change_set diff(const snapshot& before, const snapshot& after);

}  // namespace model
