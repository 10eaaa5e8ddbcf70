// Adj-RIB-Out bookkeeping and the flush that turns differences into UPDATEs.
#include "rib/adj_rib_out.hpp"

#include "codec/internal.hpp"

#include <cstring>

namespace bgp::rib {

std::size_t nlri_hash::operator()(const nlri& n) const noexcept {
  // Two 64-bit words of address (host bits are zero by construction), then length,
  // family and path id, folded with multiply-xorshift.
  std::uint64_t lo = 0, hi = 0;
  std::memcpy(&lo, n.route.address.octets.data(), 8);
  std::memcpy(&hi, n.route.address.octets.data() + 8, 8);
  std::uint64_t h = lo * 0x9E3779B97F4A7C15ull;
  h ^= (hi + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2)) * 0xBF58476D1CE4E5B9ull;
  h ^= (std::uint64_t{n.route.length} << 40) ^ (std::uint64_t{static_cast<std::uint8_t>(n.route.address.family)} << 48) ^
       n.path_id;
  h ^= h >> 31;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 29;
  return static_cast<std::size_t>(h);
}

void adj_rib_out::touch(family f, slot& s) {
  if (!s.second.dirty) {
    s.second.dirty = true;
    dirty_.emplace_back(f, &s);
  }
}

void adj_rib_out::announce(family f, const nlri& n, attr_ref a) {
  auto& t = tables_[f];
  auto it = t.try_emplace(n).first;
  it->second.desired = std::move(a);
  touch(f, *it);
}

void adj_rib_out::withdraw(family f, const nlri& n) {
  auto t = tables_.find(f);
  if (t == tables_.end()) return;
  auto it = t->second.find(n);
  if (it == t->second.end() || !it->second.desired) return;
  it->second.desired.reset();
  touch(f, *it);
}

void adj_rib_out::withdraw_all() {
  for (auto& [f, t] : tables_)
    for (auto it = t.begin(); it != t.end(); ++it)
      if (it->second.desired) {
        it->second.desired.reset();
        touch(f, *it);
      }
}

void adj_rib_out::forget_sent() {
  for (auto& [f, t] : tables_) {
    for (auto it = t.begin(); it != t.end();) {
      it->second.sent.reset();
      if (!it->second.desired && !it->second.dirty) {
        it = t.erase(it);
        continue;
      }
      if (it->second.desired) touch(f, *it);
      ++it;
    }
  }
}

std::size_t adj_rib_out::flush(bytes& out, const session_context& ctx,
                               const std::vector<family>& families) {
  struct group {
    const attribute_set* attrs;
    std::vector<nlri> routes;
  };
  std::map<family, std::vector<nlri>> withdrawals;
  std::map<family, std::vector<group>> announcements;
  std::map<const attribute_set*, std::size_t> group_index;
  std::vector<std::pair<family, slot*>> keep;  // dirty entries of families not carried
  auto carried = [&](family f) {
    for (auto x : families)
      if (x == f) return true;
    return false;
  };

  for (const auto& [f, s] : dirty_) {
    const nlri& n = s->first;
    entry& e = s->second;
    if (!carried(f)) {
      keep.emplace_back(f, s);
      continue;
    }
    e.dirty = false;
    if (e.desired == e.sent) {
      // Changed and changed back before this flush: nothing to send.
    } else if (!e.desired) {
      withdrawals[f].push_back(n);
    } else {
      auto [gi, fresh] = group_index.try_emplace(e.desired.get(), announcements[f].size());
      if (fresh) announcements[f].push_back(group{e.desired.get(), {}});
      announcements[f][gi->second].routes.push_back(n);
    }
    e.sent = e.desired;
    if (!e.desired) {
      const nlri key = n;  // not a reference into the element being erased
      tables_[f].erase(key);
    }
  }
  dirty_ = std::move(keep);

  std::size_t messages = 0;
  for (const auto& [f, routes] : withdrawals) messages += pack_withdraw(out, f, routes, ctx);
  for (const auto& [f, groups] : announcements)
    for (const auto& g : groups)
      messages += pack_announce(out, f, g.attrs->attrs, g.attrs->next_hops, g.routes, ctx);
  return messages;
}

std::size_t adj_rib_out::size() const {
  std::size_t n = 0;
  for (const auto& [f, t] : tables_)
    for (const auto& [k, e] : t)
      if (e.desired) ++n;
  return n;
}

std::size_t adj_rib_out::sent(family f) const {
  auto t = tables_.find(f);
  if (t == tables_.end()) return 0;
  std::size_t n = 0;
  for (const auto& [k, e] : t->second)
    if (e.sent) ++n;
  return n;
}

attr_ref attribute_pool::intern(attribute_set s) {
  // The canonical wire form of the attributes plus the next hops is the key.
  bytes key;
  {
    codec::writer w(key);
    codec::encode_path_attributes(w, s.attrs, session_context{});
    for (const auto& nh : s.next_hops) {
      w.u8(static_cast<std::uint8_t>(nh.size()));
      w.put(nh.octets.data(), nh.size());
    }
  }
  std::string k(key.begin(), key.end());
  auto& slot = pool_[k];
  if (auto existing = slot.lock()) return existing;
  auto made = std::make_shared<const attribute_set>(std::move(s));
  slot = made;
  if (pool_.size() > 1024 && pool_.size() % 1024 == 0)
    for (auto it = pool_.begin(); it != pool_.end();)
      it = it->second.expired() ? pool_.erase(it) : std::next(it);
  return made;
}

}  // namespace bgp::rib
