// Adj-RIB-Out bookkeeping and the flush that turns differences into UPDATEs.
#include "rib/adj_rib_out.hpp"

#include "codec/internal.hpp"

#include <algorithm>
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

void adj_rib_out::recheck(std::vector<prefix> prefixes, bool resend) {
  // A resend still under way stays one (the new list holds its prefixes too).
  resend_ = resend || (rechecking() && resend_);
  recheck_ = std::move(prefixes);
  recheck_at_ = 0;
}

void adj_rib_out::recheck_sent() {
  std::vector<prefix> all;
  all.reserve(sent_.size());
  for (const auto& kv : sent_) all.push_back(kv.first);
  recheck(std::move(all), false);
}

std::uint32_t adj_rib_out::hold(const attr_ref& a) {
  auto [it, fresh] = held_index_.try_emplace(a.get(), 0);
  if (fresh) {
    if (!held_free_.empty()) {
      it->second = held_free_.back();
      held_free_.pop_back();
    } else {
      it->second = static_cast<std::uint32_t>(held_.size());
      held_.emplace_back();
    }
    held_[it->second].set = a;
  }
  ++held_[it->second].routes;
  return it->second;
}

void adj_rib_out::release(std::uint32_t i) {
  held& h = held_[i];
  if (--h.routes > 0) return;
  held_index_.erase(h.set.get());
  h.set.reset();
  held_free_.push_back(i);
}

std::size_t adj_rib_out::flush(bytes& out, const session_context& ctx, const std::vector<family>& families,
                               const lookup& desired, std::size_t budget) {
  struct group {
    const attribute_set* attrs;
    std::vector<nlri> routes;
  };
  struct per_family {
    family fam{};
    bool carried = false;
    std::uint32_t path_id = 0;  // RFC 7911: one path per prefix, id 1, when ADD-PATH is on
    std::vector<nlri> withdrawals;
    std::vector<group> announcements;
    boost::unordered_flat_map<const attribute_set*, std::size_t> group_of;
  };
  per_family fams[2];
  fams[0].fam = ipv4_unicast;
  fams[1].fam = ipv6_unicast;
  for (auto& pf : fams) {
    for (auto f : families) pf.carried = pf.carried || f == pf.fam;
    pf.path_id = ctx.add_path(pf.fam) ? 1u : 0u;
  }
  auto family_of = [&](const prefix& p) -> per_family& { return fams[p.is_v4() ? 0 : 1]; };

  auto visit = [&](const prefix& p, bool resend) {
    per_family& pf = family_of(p);
    const attr_ref* d = desired(p);
    const attr_ref want = d ? *d : attr_ref{};
    auto it = sent_.find(p);
    const attribute_set* have = it == sent_.end() ? nullptr : held_[it->second].set.get();
    if (want.get() == have && !(resend && want)) return;  // nothing to say, or undone
    const nlri n{p, pf.path_id};
    std::size_t& count = p.is_v4() ? sent_v4_ : sent_v6_;
    if (!want) {
      pf.withdrawals.push_back(n);
      release(it->second);
      sent_.erase(it);
      --count;
      return;
    }
    auto [gi, fresh] = pf.group_of.try_emplace(want.get(), pf.announcements.size());
    if (fresh) pf.announcements.push_back(group{want.get(), {}});
    pf.announcements[gi->second].routes.push_back(n);
    if (it == sent_.end()) {
      sent_.emplace(p, hold(want));
      ++count;
    } else if (want.get() != have) {
      const auto old = it->second;
      it->second = hold(want);
      release(old);
    }
  };

  std::size_t looked = 0;
  if (!dirty_.empty()) {
    std::vector<prefix> batch;
    batch.reserve(std::min(budget, dirty_.size()));
    for (auto it = dirty_.begin(); it != dirty_.end() && batch.size() < budget; ++it)
      if (family_of(*it).carried) batch.push_back(*it);
    for (const auto& p : batch) {
      dirty_.erase(p);
      visit(p, false);
    }
    looked = batch.size();
  }
  while (recheck_at_ < recheck_.size() && looked < budget) {
    const prefix& p = recheck_[recheck_at_++];
    ++looked;
    if (family_of(p).carried) visit(p, resend_);
  }
  if (recheck_at_ == recheck_.size() && !recheck_.empty()) {
    std::vector<prefix>().swap(recheck_);  // give the memory back
    recheck_at_ = 0;
    resend_ = false;
  }

  std::size_t messages = 0;
  for (const auto& pf : fams)
    if (!pf.withdrawals.empty()) messages += pack_withdraw(out, pf.fam, pf.withdrawals, ctx);
  for (const auto& pf : fams)
    for (const auto& g : pf.announcements)
      messages += pack_announce(out, pf.fam, g.attrs->attrs, g.attrs->next_hops, g.routes, ctx);
  return messages;
}

std::size_t adj_rib_out::sent(family f) const {
  if (f == ipv4_unicast) return sent_v4_;
  if (f == ipv6_unicast) return sent_v6_;
  return 0;
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
