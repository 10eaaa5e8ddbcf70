// Adj-RIB-Out of one peer (RFC 4271 §3.2). What the peer is to have is not copied here:
// it is derived on demand from the speaker's route tables (the `lookup` passed to
// flush). This keeps only what the peer has been sent (prefix -> attribute set, 24
// octets a route), the prefixes changed since the last flush, and a list of prefixes to
// look at again (the initial dump of a new session, a route refresh, a change of every
// route's attributes). flush() sends only differences, in slices, grouping routes that
// share an attribute set into as few UPDATEs as the packer allows; a change undone
// before a flush sends nothing, since only the state at flush time is compared.
#pragma once

#include "rib/route_table.hpp"

#include <bgp/codec.hpp>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include <cstddef>
#include <functional>
#include <limits>
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

class adj_rib_out {
 public:
  // The attribute set the peer is to have for a prefix now; null (or a null attr_ref)
  // when it is to have nothing. The pointer is used before the next call only.
  using lookup = std::function<const attr_ref*(const prefix&)>;
  static constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

  // What the peer is to have for p may have changed.
  void changed(const prefix& p) { dirty_.insert(p); }
  // Look at each of `prefixes` at the next flushes (the initial dump of a session, or
  // every route after a change of the attributes), in place of any recheck still under
  // way: the list must hold every prefix that may differ from what was sent, apart from
  // those changed() since. With `resend`, announce them even when the peer has them
  // already (route refresh, RFC 2918 §4).
  void recheck(std::vector<prefix> prefixes, bool resend);
  // Look again at every prefix the peer has (before withdrawing everything).
  void recheck_sent();

  // Appends UPDATEs for the differences between `desired` and what was sent, looking
  // at no more than `budget` prefixes; returns the number of messages written. Prefixes
  // of families the session does not carry stay pending.
  std::size_t flush(bytes& out, const session_context& ctx, const std::vector<family>& families,
                    const lookup& desired, std::size_t budget = unlimited);

  bool pending() const { return !dirty_.empty() || rechecking(); }
  // A recheck (the initial dump) is not finished yet.
  bool rechecking() const { return recheck_at_ < recheck_.size(); }
  std::size_t sent(family f) const;  // routes the peer has
  // fn(prefix, const attribute_set&) for every route of family f the peer has.
  template <class F>
  void for_each_sent(family f, F&& fn) const {
    for (const auto& kv : sent_)
      if ((kv.first.is_v4() ? ipv4_unicast : ipv6_unicast) == f) fn(kv.first, *held_[kv.second].set);
  }

 private:
  std::uint32_t hold(const attr_ref& a);
  void release(std::uint32_t i);

  // Attribute sets in use by sent routes, each with its number of routes.
  struct held {
    attr_ref set;
    std::uint32_t routes = 0;
  };
  std::vector<held> held_;
  std::vector<std::uint32_t> held_free_;
  boost::unordered_flat_map<const attribute_set*, std::uint32_t> held_index_;

  boost::unordered_flat_map<prefix, std::uint32_t, prefix_hash> sent_;  // -> index in held_
  std::size_t sent_v4_ = 0, sent_v6_ = 0;
  boost::unordered_flat_set<prefix, prefix_hash> dirty_;
  std::vector<prefix> recheck_;
  std::size_t recheck_at_ = 0;
  bool resend_ = false;
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
