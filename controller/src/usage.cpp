// Address usage, sharing checks and the lowest-address search (see usage.hpp).
#include "usage.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace controller::detail {

namespace {

std::uint32_t id32(std::size_t id) {
  if (id > UINT32_MAX) {
    std::cerr << "controller: more than 2^32 services\n";
    std::abort();
  }
  return static_cast<std::uint32_t>(id);
}

std::uint32_t v4_key(model::ip_address ip) { return static_cast<std::uint32_t>(ip.value()); }

}  // namespace

std::string to_string(const port_key& p) { return p.protocol + "/" + std::to_string(p.port); }

std::string service_key(std::string_view ns, std::string_view name) {
  std::string k;
  k.reserve(ns.size() + 1 + name.size());
  k.append(ns).push_back('\0');
  return k.append(name);
}

std::string display_name(std::string_view key) {
  std::string n(key);
  std::replace(n.begin(), n.end(), '\0', '/');
  return n;
}

void usage::set_sharing(std::size_t id, sharing s) {
  if (s.sharing_key.empty()) sharing_.erase(id32(id));
  else sharing_.insert_or_assign(id32(id), std::move(s));
}

const sharing* usage::sharing_of(std::size_t id) const {
  auto it = sharing_.find(id32(id));
  return it == sharing_.end() ? nullptr : &it->second;
}

std::optional<std::uint32_t> usage::first_user(model::ip_address ip) const {
  if (ip.family() == model::ip_family::v4) {
    auto it = v4_.find(v4_key(ip));
    if (it != v4_.end()) return it->second;
  } else {
    auto it = v6_.find(ip.value());
    if (it != v6_.end()) return it->second;
  }
  return std::nullopt;
}

std::vector<std::size_t> usage::users(model::ip_address ip) const {
  std::vector<std::size_t> out;
  auto first = first_user(ip);
  if (!first) return out;
  out.push_back(*first);
  if (auto it = more_.find(ip); it != more_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  return out;
}

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
  return it != holds_.end() && it->second != names_[id];
}

std::string usage::check(std::size_t id, model::ip_address ip) const {
  const auto first = first_user(ip);
  if (!first) return "";
  auto rest = more_.find(ip);
  if (rest == more_.end() && *first == id) return "";  // its own address, nobody else's
  std::vector<std::size_t> others;
  for (auto s : users(ip)) {
    if (s != id) others.push_back(s);
  }
  const sharing* keys = sharing_of(*first);
  const sharing* me = sharing_of(id);
  // sharing_ holds only non-empty keys.
  const bool sharing_ok =
      keys != nullptr && me != nullptr && keys->sharing_key == me->sharing_key && keys->backend_key == me->backend_key;
  if (!sharing_ok && !others.empty()) {
    // Name order, so the message does not depend on who came first.
    std::vector<std::string> sorted;
    for (auto s : others) sorted.push_back(display_name(names_[s]));
    std::sort(sorted.begin(), sorted.end());
    std::string names;
    for (const auto& n : sorted) names += (names.empty() ? "" : ",") + n;
    return "can't change sharing key for \"" + display_name(names_[id]) + "\", address also in use by " + names;
  }
  if (me == nullptr) return "";
  for (const auto& p : me->ports) {
    for (auto s : others) {
      const sharing* theirs = sharing_of(s);
      if (theirs == nullptr) continue;
      if (std::find(theirs->ports.begin(), theirs->ports.end(), p) != theirs->ports.end()) {
        return "port " + to_string(p) + " is already in use on \"" + ip.to_string() + "\"";
      }
    }
  }
  return "";
}

void usage::add(std::size_t id, model::ip_address ip) {
  const std::uint32_t me = id32(id);
  bool fresh = false;
  std::uint32_t first = 0;
  if (ip.family() == model::ip_family::v4) {
    const auto [it, inserted] = v4_.try_emplace(v4_key(ip), me);
    fresh = inserted;
    first = it->second;
  } else {
    const auto [it, inserted] = v6_.try_emplace(ip.value(), me);
    fresh = inserted;
    first = it->second;
  }
  if (!fresh) {
    if (first != me) {
      auto& rest = more_[ip];
      if (std::find(rest.begin(), rest.end(), me) == rest.end()) rest.push_back(me);
    }
  } else if (const sharing* s = sharing_of(id)) {
    // The first user sets the address's keys.
    by_sharing_key_[s->sharing_key].insert(ip);
  }
  unhold(ip);
}

void usage::remove(std::size_t id, model::ip_address ip) {
  const auto first = first_user(ip);
  if (!first) return;
  auto rest = more_.find(ip);
  if (*first != id) {
    if (rest == more_.end()) return;
    auto& r = rest->second;
    r.erase(std::remove(r.begin(), r.end(), id32(id)), r.end());
    if (r.empty()) more_.erase(rest);
    return;
  }
  const bool v4 = ip.family() == model::ip_family::v4;
  if (rest != more_.end()) {
    // The next user takes the first place.
    const std::uint32_t next_user = rest->second.front();
    rest->second.erase(rest->second.begin());
    if (rest->second.empty()) more_.erase(rest);
    if (v4) v4_.find(v4_key(ip))->second = next_user;
    else v6_.find(ip.value())->second = next_user;
    return;
  }
  if (const sharing* s = sharing_of(id)) {
    auto k = by_sharing_key_.find(s->sharing_key);
    if (k != by_sharing_key_.end()) {
      k->second.erase(ip);
      if (k->second.empty()) by_sharing_key_.erase(k);
    }
  }
  if (v4) v4_.erase(v4_key(ip));
  else v6_.erase(ip.value());
  lower_cursor(ip);
}

std::optional<model::ip_address> usage::first_available(std::size_t id, const model::ip_range& r, bool avoid_buggy) {
  auto cur = cursor_.try_emplace(r.first(), r.first()).first;
  model::ip_address a = std::max(cur->second, r.first());
  std::optional<model::ip_address> free;
  // Addresses below the cursor are used, avoided or held for others; holds only end
  // between calls, so the cursor never has to move back for them.
  while (true) {
    const bool buggy = avoid_buggy && model::is_buggy_firmware_address(a);
    if (!buggy && !used(a) && !held_against(a, id)) {
      free = a;
      break;
    }
    if (a == r.last()) break;
    a = model::next(a);
  }
  cur->second = a;
  // Below the cursor, only an address held for this very service can still be free for it.
  if (auto own = holds_by_owner_.find(names_[id]); own != holds_by_owner_.end()) {
    for (auto h = own->second.lower_bound(r.first()); h != own->second.end() && *h < a && *h <= r.last(); ++h) {
      if (used(*h) || (avoid_buggy && model::is_buggy_firmware_address(*h))) continue;
      free = *h;
      break;
    }
  }

  if (const sharing* me = sharing_of(id)) {
    auto k = by_sharing_key_.find(me->sharing_key);
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
