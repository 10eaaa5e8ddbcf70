// speaker::detail::route_book: the planner's routes, held once. Each route a service gives a
// peer is one entry keyed (peer, prefix, service), so the contributors of one (peer, prefix)
// sit side by side; the merged table (their union per (peer, prefix), what the agent
// announces) is brought up to date from them for the keys a change touched. Peer names are
// held once each and a route names its peer by number; a prefix is kept in 24 bytes
// instead of model::cidr's 48 (docs/memory.md).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "speaker/plan.hpp"

namespace speaker::detail {

// Contributions to one (peer, prefix) merge: communities united, the highest local
// preference, link bandwidth summed over the contributors' endpoints.
void merge(route_plan& into, const route_plan& from);

class route_book {
 public:
  // The service a route comes from: any address that is unique per service and stays put
  // while it holds routes (the planner uses its entry's). Compared, never dereferenced.
  using owner = const void*;

  struct key {
    std::uint32_t peer = 0;  // index into the peer names
    model::ip_family family = model::ip_family::v4;
    std::uint8_t length = 0;
    std::uint64_t high = 0, low = 0;  // the network address
    std::uintptr_t owner = 0;         // 0: the first of the (peer, prefix)'s contributors
    friend auto operator<=>(const key&, const key&) = default;
  };
  using entries = std::map<key, route_plan>;
  using handle = entries::const_iterator;

  // `o`'s route toward `peer` for `prefix`: a new entry, or merged into the one it already
  // gave (two of its addresses in one aggregate). Marks the (peer, prefix) changed.
  handle add(std::string_view peer, const model::cidr& prefix, const route_plan& attrs, owner o);
  // Takes the route back (each handle once) and marks its (peer, prefix) changed.
  void remove(handle h);

  // Merges every (peer, prefix) marked since the last call into routes(); returns the ones
  // whose merged route changed, in (peer name, prefix) order (withdrawn: no route).
  std::vector<route_change> flush();

  const route_table& routes() const { return merged_; }
  const std::string& peer_name(handle h) const { return peers_[h->first.peer]; }
  std::size_t size() const { return entries_.size(); }

  static model::cidr prefix_of(const key& k);

 private:
  std::uint32_t intern(std::string_view peer);

  // Every peer name a route has named, never shrunk: peers are a handful, and a number
  // must keep its name while any route holds it.
  std::vector<std::string> peers_;
  entries entries_;
  std::vector<key> dirty_;  // (peer, prefix) with owner 0, in any order, repeated
  route_table merged_;
};

}  // namespace speaker::detail
