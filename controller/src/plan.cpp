// Rendering an allocation result for `bgplb plan` (see plan.hpp).
#include "controller/plan.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "store/status_json.hpp"

namespace controller {

namespace json = boost::json;

namespace {

// boost::json::serialize is compact; plans are read by people too, so indent.
void pretty(std::string& out, const json::value& v, int depth) {
  const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(depth + 1) * 2, ' ');
  if (const auto* o = v.if_object(); o != nullptr && !o->empty()) {
    out += "{\n";
    std::size_t i = 0;
    for (const auto& kv : *o) {
      out += inner + json::serialize(json::value(kv.key())) + ": ";
      pretty(out, kv.value(), depth + 1);
      out += ++i < o->size() ? ",\n" : "\n";
    }
    out += pad + "}";
  } else if (const auto* a = v.if_array(); a != nullptr && !a->empty()) {
    const bool scalars = std::all_of(a->begin(), a->end(), [](const json::value& e) { return !e.is_structured(); });
    if (scalars && depth > 1) {
      out += json::serialize(v);
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < a->size(); ++i) {
      out += inner;
      pretty(out, (*a)[i], depth + 1);
      out += i + 1 < a->size() ? ",\n" : "\n";
    }
    out += pad + "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string pretty_json(std::string_view compact_json) {
  std::string out;
  pretty(out, json::parse(compact_json), 0);
  return out + "\n";
}

std::string plan_json(const result& r, const std::vector<model::error>& errors) {
  json::array services;
  for (const auto& s : r.services) {
    json::array ips;
    for (const auto& ip : s.ingress) ips.emplace_back(ip.to_string());
    json::array events;
    for (const auto& e : s.events) events.push_back(json::object{{"type", e.type}, {"reason", e.reason}, {"message", e.message}});
    json::object o{{"namespace", s.ns}, {"name", s.name}, {"ips", std::move(ips)}};
    o["pool"] = s.pool.empty() ? json::value(nullptr) : json::value(s.pool);
    o["events"] = std::move(events);
    services.push_back(std::move(o));
  }
  json::array pools;
  for (const auto& p : r.pools) {
    auto o = store::pool_json(p);
    o.erase("stranded");  // the plan's documented shape (docs/plan.md) has no stranded count
    pools.push_back(std::move(o));
  }
  json::array errs;
  for (const auto& e : errors) errs.emplace_back(e.to_string());
  std::string out;
  pretty(out, json::object{{"services", std::move(services)}, {"pools", std::move(pools)}, {"errors", std::move(errs)}}, 0);
  return out + "\n";
}

std::string plan_table(const result& r, const std::vector<model::error>& errors) {
  std::string out = fmt::format("{:<40} {:<32} {:<16} {}\n", "SERVICE", "IPS", "POOL", "EVENTS");
  for (const auto& s : r.services) {
    std::string ips;
    for (const auto& ip : s.ingress) ips += (ips.empty() ? "" : ",") + ip.to_string();
    std::string events;
    for (const auto& e : s.events) events += (events.empty() ? "" : "; ") + e.reason + ": " + e.message;
    out += fmt::format("{:<40} {:<32} {:<16} {}\n", s.ns + "/" + s.name, ips.empty() ? "-" : ips,
                       s.pool.empty() ? "-" : s.pool, events);
  }
  out += fmt::format("\n{:<24} {:>12} {:>20} {:>12} {:>20}\n", "POOL", "ASSIGNED-V4", "AVAILABLE-V4", "ASSIGNED-V6",
                     "AVAILABLE-V6");
  for (const auto& p : r.pools) {
    out += fmt::format("{:<24} {:>12} {:>20} {:>12} {:>20}\n", p.name, p.assigned_ipv4, p.available_ipv4,
                       p.assigned_ipv6, p.available_ipv6);
  }
  if (!errors.empty()) {
    out += "\nERRORS\n";
    for (const auto& e : errors) out += e.to_string() + "\n";
  }
  return out;
}

}  // namespace controller
