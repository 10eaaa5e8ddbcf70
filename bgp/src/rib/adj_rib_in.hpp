// Adj-RIB-In of one peer (RFC 4271 §3.2), as much of it as a speaker that does not
// route keeps. By default nothing per prefix: what the peer sends is counted by the
// session (peer_counters) and forgotten, so a peer that sends a full table costs no
// memory. With `keep` (peer_config::keep_received), every route the peer has announced
// and not withdrawn is held with the attributes it came with (one shared copy per
// UPDATE), for inspection, and counted per family for the maximum-prefix limit.
#pragma once

#include "rib/adj_rib_out.hpp"

#include <bgp/message.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace bgp::rib {

class adj_rib_in {
 public:
  struct path {
    path_attributes attrs;               // as received (without NEXT_HOP for MP_REACH_NLRI routes)
    std::vector<ip_address> next_hops;   // NEXT_HOP, or MP_REACH_NLRI's
  };

  // Off drops everything held.
  void keep(bool on);
  bool keeping() const { return keep_; }
  // One UPDATE; with `treat_as_withdraw` (RFC 7606) its routes count as withdrawn.
  void apply(const update_message& u, bool treat_as_withdraw);
  void clear() { routes_.clear(); }

  // Routes held, per family and in all (0 unless keeping).
  std::size_t size(family f) const;
  std::size_t size() const;
  std::vector<std::pair<family, std::uint64_t>> sizes() const;
  // fn(const nlri&, const path&) for every route of family f held.
  template <class F>
  void for_each(family f, F&& fn) const {
    const auto t = routes_.find(f);
    if (t == routes_.end()) return;
    for (const auto& [n, p] : t->second) fn(n, *p);
  }

 private:
  using table = boost::unordered_flat_map<nlri, std::shared_ptr<const path>, nlri_hash>;
  void add(const std::vector<nlri>& routes, family f, const update_message& u,
           const std::vector<ip_address>* next_hops);
  void remove(const std::vector<nlri>& routes, family f);

  bool keep_ = false;
  std::map<family, table> routes_;
};

}  // namespace bgp::rib
