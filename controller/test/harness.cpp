// Allocator test helpers (see harness.hpp).
#include "harness.hpp"

#include <gtest/gtest.h>

#include "model/decode.hpp"
#include "model/validate.hpp"

namespace controller::test {

std::string svc(const std::string& ns, const std::string& name, const std::string& spec, const std::string& meta) {
  std::string defaults;
  auto add = [&](const std::string& part) { defaults += (defaults.empty() ? "" : ", ") + part; };
  if (spec.find("type:") == std::string::npos) add("type: LoadBalancer");
  if (spec.find("clusterIP") == std::string::npos) add("clusterIP: 10.96.0.1");
  if (spec.find("ports:") == std::string::npos) add("ports: [{port: 80}]");
  if (!spec.empty()) add(spec);
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns + (meta.empty() ? "" : ", ") +
         meta + "}\nspec: {" + defaults + "}\n---\n";
}

std::string pool(const std::string& name, const std::string& addresses, const std::string& spec, const std::string& meta) {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name + (meta.empty() ? "" : ", ") +
         meta + "}\nspec: {addresses: " + addresses + (spec.empty() ? "" : ", ") + spec + "}\n---\n";
}

model::snapshot snapshot_of(const std::string& manifests) {
  auto d = model::decode("test.yaml", manifests);
  EXPECT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  model::snapshot s(std::move(d.objects));
  const auto errs = model::validate(s);
  EXPECT_TRUE(errs.empty()) << model::to_string(errs);
  return s;
}

std::vector<std::string> render(const result& r) {
  std::vector<std::string> out;
  for (const auto& s : r.services) {
    std::string line = s.ns + "/" + s.name + ":";
    for (const auto& ip : s.ingress) line += " " + ip.to_string();
    if (!s.pool.empty()) line += " (" + s.pool + ")";
    out.push_back(line);
    for (const auto& e : s.events) out.push_back("  " + e.type + " " + e.reason + ": " + e.message);
  }
  return out;
}

std::vector<std::string> render_pools(const result& r) {
  std::vector<std::string> out;
  for (const auto& p : r.pools) {
    out.push_back(p.name + ": v4 " + std::to_string(p.assigned_ipv4) + "/" + std::to_string(p.available_ipv4) + " v6 " +
                  std::to_string(p.assigned_ipv6) + "/" + std::to_string(p.available_ipv6) +
                  (p.stranded != 0 ? " stranded " + std::to_string(p.stranded) : ""));
  }
  return out;
}

std::string render_ledger(const model::ledger& l) {
  std::string out = "rev " + std::to_string(l.revision) + ";";
  for (const auto& e : l.entries) {
    out += " " + e.ns + "/" + e.name + "=";
    for (std::size_t i = 0; i < e.ips.size(); ++i) out += (i ? "," : "") + e.ips[i].to_string();
    out += "@" + std::to_string(e.since);
  }
  for (const auto& h : l.holds) out += " hold " + h.ip.to_string() + " for " + h.ns + "/" + h.name + "@" + std::to_string(h.released_at);
  return out;
}

}  // namespace controller::test
