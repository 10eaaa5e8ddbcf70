// Address usage, sharing checks and the lowest-address search (see usage.hpp).
#include "usage.hpp"

#include <algorithm>

namespace controller::detail {

std::string to_string(const port_key& p) { return p.protocol + "/" + std::to_string(p.port); }

void usage::hold(model::ip_address ip, std::string owner) {
  unhold(ip);
  holds_by_owner_[owner].insert(ip);
  holds_[ip] = std::move(owner);
}

void usage::unhold(model::ip_address ip) {
  auto it = holds_.find(ip);
  if (it == holds_.end()) return;
  auto o = holds_by_owner_.find(it->second);
  o->second.erase(ip);
  if (o->second.empty()) holds_by_owner_.erase(o);
  holds_.erase(it);
  lower_cursor(ip);
}

void usage::lower_cursor(model::ip_address ip) {
  auto c = cursor_.upper_bound(ip);
  if (c == cursor_.begin()) return;
  --c;
  if (ip < c->second) c->second = ip;
}

bool usage::held_against(model::ip_address ip, std::size_t id) const {
  auto it = holds_.find(ip);
  return it != holds_.end() && it->second != services_[id].name;
}

std::string usage::check(std::size_t id, model::ip_address ip) const {
  auto it = uses_.find(ip);
  if (it == uses_.end()) return "";
  const use& u = it->second;
  const sharer& me = services_[id];
  std::vector<std::size_t> others;
  for (auto s : u.services) {
    if (s != id) others.push_back(s);
  }
  const sharer& keys = keys_of(u);
  const bool sharing_ok = !keys.sharing_key.empty() && !me.sharing_key.empty() && keys.sharing_key == me.sharing_key &&
                          keys.backend_key == me.backend_key;
  if (!sharing_ok && !others.empty()) {
    // Name order, so the message does not depend on who came first.
    std::vector<std::string_view> sorted;
    for (auto s : others) sorted.push_back(services_[s].name);
    std::sort(sorted.begin(), sorted.end());
    std::string names;
    for (auto n : sorted) names += (names.empty() ? "" : ",") + std::string(n);
    return "can't change sharing key for \"" + me.name + "\", address also in use by " + names;
  }
  for (const auto& p : me.ports) {
    for (auto s : others) {
      const auto& theirs = services_[s].ports;
      if (std::find(theirs.begin(), theirs.end(), p) != theirs.end()) {
        return "port " + to_string(p) + " is already in use on \"" + ip.to_string() + "\"";
      }
    }
  }
  return "";
}

void usage::add(std::size_t id, model::ip_address ip) {
  use& u = uses_[ip];
  if (std::find(u.services.begin(), u.services.end(), id) == u.services.end()) u.services.push_back(id);
  // The first user sets the address's keys.
  if (u.services.size() == 1 && !services_[id].sharing_key.empty()) by_sharing_key_[services_[id].sharing_key].insert(ip);
  unhold(ip);
}

void usage::remove(std::size_t id, model::ip_address ip) {
  auto it = uses_.find(ip);
  if (it == uses_.end()) return;
  auto& s = it->second.services;
  const std::string key = keys_of(it->second).sharing_key;
  s.erase(std::remove(s.begin(), s.end(), id), s.end());
  if (!s.empty()) return;
  if (!key.empty()) {
    auto k = by_sharing_key_.find(key);
    k->second.erase(ip);
    if (k->second.empty()) by_sharing_key_.erase(k);
  }
  uses_.erase(it);
  lower_cursor(ip);
}

std::optional<model::ip_address> usage::first_available(std::size_t id, const model::ip_range& r, bool avoid_buggy) {
  auto cur = cursor_.try_emplace(r.first(), r.first()).first;
  model::ip_address a = std::max(cur->second, r.first());
  auto it = uses_.lower_bound(a);
  std::optional<model::ip_address> free;
  // Addresses below the cursor are used, avoided or held for others; holds only end
  // between calls, so the cursor never has to move back for them.
  while (true) {
    const bool buggy = avoid_buggy && model::is_buggy_firmware_address(a);
    const bool used = it != uses_.end() && it->first == a;
    if (used) ++it;
    if (!buggy && !used && !held_against(a, id)) {
      free = a;
      break;
    }
    if (a == r.last()) break;
    a = model::next(a);
  }
  cur->second = a;
  // Below the cursor, only an address held for this very service can still be free for it.
  if (auto own = holds_by_owner_.find(services_[id].name); own != holds_by_owner_.end()) {
    for (auto h = own->second.lower_bound(r.first()); h != own->second.end() && *h < a && *h <= r.last(); ++h) {
      if (uses_.contains(*h) || (avoid_buggy && model::is_buggy_firmware_address(*h))) continue;
      free = *h;
      break;
    }
  }

  const sharer& me = services_[id];
  if (!me.sharing_key.empty()) {
    auto k = by_sharing_key_.find(me.sharing_key);
    if (k != by_sharing_key_.end()) {
      for (auto s = k->second.lower_bound(r.first()); s != k->second.end() && *s <= r.last(); ++s) {
        if (free && *free < *s) break;
        if (avoid_buggy && model::is_buggy_firmware_address(*s)) continue;
        if (check(id, *s).empty()) return *s;
      }
    }
  }
  return free;
}

}  // namespace controller::detail
