// Parsing of list responses, watch events and Status bodies (see wire.hpp).
#include "wire.hpp"

#include <boost/json.hpp>

namespace store::kubernetes {

namespace json = boost::json;

namespace {

std::string string_at(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) return std::string(v->get_string());
  return {};
}

// Metadata the API server maintains on every write; no decoder reads it.
constexpr std::string_view volatile_metadata[] = {
    "managedFields", "resourceVersion", "generation", "creationTimestamp", "selfLink",
};
constexpr std::string_view last_applied = "kubectl.kubernetes.io/last-applied-configuration";

// A Node's status changes with every heartbeat and lists every image on the node; the
// model reads only the conditions' type and status and the addresses.
void trim_node_status(json::object& item) {
  auto* status = item.if_contains("status");
  if (status == nullptr || !status->is_object()) return;
  json::object kept;
  if (const auto* conditions = status->get_object().if_contains("conditions"); conditions && conditions->is_array()) {
    json::array out;
    for (const auto& c : conditions->get_array()) {
      if (!c.is_object()) continue;
      json::object one;
      for (const std::string_view k : {"type", "status"}) {
        if (const auto* v = c.get_object().if_contains(k)) one[k] = *v;
      }
      out.push_back(std::move(one));
    }
    kept["conditions"] = std::move(out);
  }
  if (const auto* addresses = status->get_object().if_contains("addresses")) kept["addresses"] = *addresses;
  *status = std::move(kept);
}

}  // namespace

std::optional<object_text> keep_object(const resource& r, std::string_view version, json::object item,
                                       std::string& why) {
  object_text out;
  auto* md = item.if_contains("metadata");
  if (md == nullptr || !md->is_object()) {
    why = "object without metadata";
    return std::nullopt;
  }
  auto& meta = md->get_object();
  out.name = string_at(meta, "name");
  out.ns = r.where == scope::cluster ? "" : string_at(meta, "namespace");
  out.resource_version = string_at(meta, "resourceVersion");
  out.uid = string_at(meta, "uid");
  if (out.name.empty()) {
    why = "object without metadata.name";
    return std::nullopt;
  }
  for (const auto k : volatile_metadata) meta.erase(k);
  if (auto* a = meta.if_contains("annotations"); a != nullptr && a->is_object()) {
    a->get_object().erase(last_applied);
  }
  if (r.kind == model::kind::node) trim_node_status(item);
  item["kind"] = r.kind_text;
  item["apiVersion"] = api_version(r, version);
  out.file = object_file(r, out.ns, out.name);
  out.text = json::serialize(item);
  return out;
}

api_status parse_status(int http_code, std::string_view body) {
  api_status s;
  s.code = http_code;
  json::error_code ec;
  const auto v = json::parse(body, ec);
  if (!ec && v.is_object() && string_at(v.get_object(), "kind") == "Status") {
    const auto& o = v.get_object();
    s.reason = string_at(o, "reason");
    s.message = string_at(o, "message");
    if (const auto* c = o.if_contains("code"); c != nullptr && c->is_int64() && c->get_int64() != 0) {
      s.code = static_cast<int>(c->get_int64());
    }
    return s;
  }
  std::string text(body.substr(0, 200));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  s.message = text;
  return s;
}

std::string describe(const api_status& s) {
  std::string out = std::to_string(s.code);
  if (!s.reason.empty()) out += " " + s.reason;
  if (!s.message.empty()) out += ": " + s.message;
  return out;
}

std::optional<list_page> parse_list(const resource& r, std::string_view version, std::string_view body,
                                    std::string& why) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    why = "list response is not a JSON object" + (ec ? ": " + ec.message() : std::string());
    return std::nullopt;
  }
  auto& o = v.get_object();
  list_page page;
  if (const auto* md = o.if_contains("metadata"); md != nullptr && md->is_object()) {
    page.resource_version = string_at(md->get_object(), "resourceVersion");
    page.continue_token = string_at(md->get_object(), "continue");
  }
  auto* items = o.if_contains("items");
  if (items == nullptr || !(items->is_array() || items->is_null())) {
    why = "list response without items";
    return std::nullopt;
  }
  if (items->is_null()) return page;
  page.items.reserve(items->get_array().size());
  for (auto& item : items->get_array()) {
    if (!item.is_object()) {
      why = "list item is not an object";
      return std::nullopt;
    }
    auto kept = keep_object(r, version, std::move(item.get_object()), why);
    if (!kept) return std::nullopt;
    page.items.push_back(std::move(*kept));
  }
  return page;
}

std::optional<watch_event> parse_watch_event(const resource& r, std::string_view version, std::string_view line,
                                             std::string& why) {
  json::error_code ec;
  auto v = json::parse(line, ec);
  if (ec || !v.is_object()) {
    why = "watch event is not a JSON object" + (ec ? ": " + ec.message() : std::string());
    return std::nullopt;
  }
  auto& o = v.get_object();
  const auto type = string_at(o, "type");
  auto* obj = o.if_contains("object");
  if (obj == nullptr || !obj->is_object()) {
    why = "watch event without object";
    return std::nullopt;
  }
  watch_event e;
  if (type == "ERROR") {
    e.what = watch_event::type::error;
    e.status = parse_status(0, json::serialize(*obj));
    return e;
  }
  if (type == "BOOKMARK") {
    e.what = watch_event::type::bookmark;
    if (const auto* md = obj->get_object().if_contains("metadata"); md != nullptr && md->is_object()) {
      e.resource_version = string_at(md->get_object(), "resourceVersion");
    }
    if (e.resource_version.empty()) {
      why = "BOOKMARK without metadata.resourceVersion";
      return std::nullopt;
    }
    return e;
  }
  if (type == "ADDED") e.what = watch_event::type::added;
  else if (type == "MODIFIED") e.what = watch_event::type::modified;
  else if (type == "DELETED") e.what = watch_event::type::deleted;
  else {
    why = "unknown watch event type \"" + type + "\"";
    return std::nullopt;
  }
  e.object = keep_object(r, version, std::move(obj->get_object()), why);
  if (!e.object) return std::nullopt;
  e.resource_version = e.object->resource_version;
  return e;
}

}  // namespace store::kubernetes
