// Adj-RIB-Out of one peer (RFC 4271 §3.2): what we want the peer to have (desired) and
// what it has been sent (sent). Changes accumulate; flush() sends only the difference,
// grouping routes that share an attribute set into as few UPDATEs as the codec's
// packer allows. A change that is undone before a flush sends nothing.
#pragma once

#include <bgp/codec.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

namespace bgp::rib {

// Everything that travels with a route to one peer except its NLRI.
struct attribute_set {
  path_attributes attrs;
  std::vector<ip_address> next_hops;  // IPv4: one; IPv6: global [, link-local]
  friend bool operator==(const attribute_set&, const attribute_set&) = default;
};
using attr_ref = std::shared_ptr<const attribute_set>;

struct nlri_hash {
  std::size_t operator()(const nlri& n) const noexcept;
};
struct prefix_hash {
  std::size_t operator()(const prefix& p) const noexcept { return nlri_hash{}(nlri{p, 0}); }
};

class adj_rib_out {
 public:
  adj_rib_out() = default;
  adj_rib_out(adj_rib_out&&) = default;             // moves keep the elements in place
  adj_rib_out& operator=(adj_rib_out&&) = default;
  adj_rib_out(const adj_rib_out&) = delete;         // a copy's dirty list would point into this one
  adj_rib_out& operator=(const adj_rib_out&) = delete;

  void announce(family f, const nlri& n, attr_ref a);
  void withdraw(family f, const nlri& n);
  void withdraw_all();

  // Appends UPDATEs for every difference between desired and sent; returns the number
  // of messages written. Families the session cannot carry are left pending.
  std::size_t flush(bytes& out, const session_context& ctx, const std::vector<family>& families);

  // The peer has nothing (new session, or it asked for a route refresh): the next
  // flush sends every desired route again.
  void forget_sent();

  // Calls fn(nlri, attribute_set) for each route of family f the peer is to have.
  template <class F>
  void for_each_desired(family f, F&& fn) const {
    if (auto t = tables_.find(f); t != tables_.end())
      for (const auto& [n, e] : t->second)
        if (e.desired) fn(n, *e.desired);
  }

  bool pending() const { return !dirty_.empty(); }
  std::size_t size() const;            // desired routes
  std::size_t sent(family f) const;    // routes the peer has

 private:
  struct entry {
    attr_ref desired;
    attr_ref sent;
    bool dirty = false;
  };
  using table = std::unordered_map<nlri, entry, nlri_hash>;
  // An element of a table: its address is stable until it is erased (rehashing moves no
  // element), so the dirty list points at elements and flush() needs no lookups.
  using slot = table::value_type;
  void touch(family f, slot& s);

  std::map<family, table> tables_;
  std::vector<std::pair<family, slot*>> dirty_;  // an element is erased only in flush()
};

// Interns attribute sets so that routes with equal attributes share one object, which
// makes grouping and comparison a pointer compare.
class attribute_pool {
 public:
  attr_ref intern(attribute_set s);
  std::size_t size() const { return pool_.size(); }

 private:
  std::unordered_map<std::string, std::weak_ptr<const attribute_set>> pool_;
};

}  // namespace bgp::rib
