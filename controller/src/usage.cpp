// Address usage, sharing checks and the lowest-address search (see usage.hpp).
#include "usage.hpp"

#include <algorithm>

namespace controller::detail {

std::string to_string(const port_key& p) { return p.protocol + "/" + std::to_string(p.port); }

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
  const bool sharing_ok = !u.sharing_key.empty() && !me.sharing_key.empty() && u.sharing_key == me.sharing_key &&
                          u.backend_key == me.backend_key;
  if (!sharing_ok && !others.empty()) {
    std::string names;
    for (auto s : others) names += (names.empty() ? "" : ",") + services_[s].name;
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
  if (u.services.size() == 1) {
    // The sole user sets (or changes) the address's keys.
    if (!u.sharing_key.empty()) by_sharing_key_[u.sharing_key].erase(ip);
    u.sharing_key = services_[id].sharing_key;
    u.backend_key = services_[id].backend_key;
    if (!u.sharing_key.empty()) by_sharing_key_[u.sharing_key].insert(ip);
  }
  holds_.erase(ip);
}

void usage::remove(std::size_t id, model::ip_address ip) {
  auto it = uses_.find(ip);
  if (it == uses_.end()) return;
  auto& s = it->second.services;
  s.erase(std::remove(s.begin(), s.end(), id), s.end());
  if (!s.empty()) return;
  if (!it->second.sharing_key.empty()) by_sharing_key_[it->second.sharing_key].erase(ip);
  uses_.erase(it);
  auto c = cursor_.upper_bound(ip);
  if (c != cursor_.begin()) {
    --c;
    if (ip < c->second) c->second = ip;
  }
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
