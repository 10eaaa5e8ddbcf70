// The ledger on Services and in the holds ConfigMap (see ledger.hpp).
#include "ledger.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "model/objects.hpp"
#include "store/state_dir.hpp"

namespace store::kubernetes {

namespace json = boost::json;

namespace {

const json::object* object_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

std::optional<std::string> string_at(const json::object* o, std::string_view key) {
  if (o == nullptr) return std::nullopt;
  const auto* v = o->if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

service_facts read_service(const json::object& item) {
  service_facts f;
  const auto* md = object_at(item, "metadata");
  f.ns = string_at(md, "namespace").value_or("");
  f.name = string_at(md, "name").value_or("");
  f.uid = string_at(md, "uid").value_or("");
  f.resource_version = string_at(md, "resourceVersion").value_or("");
  const auto* annotations = md != nullptr ? object_at(*md, "annotations") : nullptr;
  f.pool = string_at(annotations, model::annotations::allocated_from_pool);
  f.since = string_at(annotations, since_annotation);
  const auto* spec = object_at(item, "spec");
  f.type = string_at(spec, "type").value_or("ClusterIP");
  f.load_balancer_class = string_at(spec, "loadBalancerClass");
  const auto* status = object_at(item, "status");
  const auto* lb = status != nullptr ? object_at(*status, "loadBalancer") : nullptr;
  if (const auto* ingress = lb != nullptr ? lb->if_contains("ingress") : nullptr; ingress && ingress->is_array()) {
    for (const auto& i : ingress->get_array()) {
      if (!i.is_object()) continue;
      if (auto text = string_at(&i.get_object(), "ip")) {
        if (auto ip = model::ip_address::parse(*text)) f.ingress.push_back(*ip);
      }
    }
  }
  return f;
}

ledger_read decode_holds(const std::string& object, const json::object& config_map) {
  const std::string where = object + " data[" + std::string(holds_key) + "]";
  const auto text = string_at(object_at(config_map, "data"), holds_key);
  if (!text) return {std::nullopt, {{where, "", "", "missing"}}};
  auto r = file::decode_ledger(where, *text);
  if (r.ledger && !r.ledger->entries.empty()) {
    return {std::nullopt, {{where, "", "allocations", "must be empty: allocations live on the Services"}}};
  }
  return r;
}

std::string encode_holds(std::string_view ns, std::string_view name, const model::ledger& l,
                         std::string_view resource_version) {
  model::ledger only{l.revision, {}, l.holds};
  json::object md{{"name", name}, {"namespace", ns}, {"labels", json::object{{"app.kubernetes.io/managed-by", "bgplb"}}}};
  if (!resource_version.empty()) md["resourceVersion"] = resource_version;
  return json::serialize(json::object{{"apiVersion", "v1"},
                                      {"kind", "ConfigMap"},
                                      {"metadata", std::move(md)},
                                      {"data", json::object{{holds_key, file::encode_ledger(only)}}}});
}

model::ledger make_ledger(const std::vector<service_facts>& services, const std::optional<std::string>& load_balancer_class,
                          const model::ledger& holds) {
  model::ledger l;
  l.revision = holds.revision;
  l.holds = holds.holds;
  for (const auto& s : services) {
    if (s.type != "LoadBalancer" || s.load_balancer_class != load_balancer_class || s.ingress.empty()) continue;
    model::ledger_entry e{s.ns, s.name, s.ingress, s.pool.value_or(""), 0};
    if (s.since) {
      try {
        e.since = std::stoll(*s.since);
      } catch (const std::exception&) {
        e.since = 0;  // not ours to refuse: the allocator re-dates it
      }
    }
    l.entries.push_back(std::move(e));
  }
  std::sort(l.entries.begin(), l.entries.end(),
            [](const auto& a, const auto& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  return l;
}

std::string status_patch(const std::vector<model::ip_address>& ingress, std::string_view resource_version) {
  json::object lb;
  if (ingress.empty()) {
    lb["ingress"] = nullptr;
  } else {
    json::array a;
    for (const auto& ip : ingress) a.push_back(json::object{{"ip", ip.to_string()}});
    lb["ingress"] = std::move(a);
  }
  return json::serialize(json::object{{"metadata", json::object{{"resourceVersion", resource_version}}},
                                      {"status", json::object{{"loadBalancer", std::move(lb)}}}});
}

std::string annotation_patch(const std::optional<std::string>& pool, const std::optional<std::string>& since,
                             std::string_view resource_version) {
  json::object a;
  a[model::annotations::allocated_from_pool] = pool ? json::value(*pool) : json::value(nullptr);
  a[since_annotation] = since ? json::value(*since) : json::value(nullptr);
  return json::serialize(
      json::object{{"metadata", json::object{{"resourceVersion", resource_version}, {"annotations", std::move(a)}}}});
}

}  // namespace store::kubernetes
