// Ledger and status values in etcd (see codec.hpp). Decoding wraps one value into the
// document the file backend's strict reader takes, after checking on its own that it is
// one JSON object, so nothing in a value can reach outside its item.
#include "codec.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <tuple>

#include "store/state_dir.hpp"

namespace store::etcd {

namespace json = boost::json;

namespace {

json::array ip_array(const std::vector<model::ip_address>& ips) {
  json::array a;
  for (const auto& ip : ips) a.emplace_back(ip.to_string());
  return a;
}

constexpr std::string_view ledger_head = R"({"format":"bgplb-ledger","version":1,"revision":)";

// The value when it is one JSON object and nothing else (json::parse refuses anything
// after the value), so it can be embedded in a ledger document as an item; or the error.
std::optional<std::string> object_text(std::string_view key, std::string_view text, std::vector<model::error>& errors) {
  boost::system::error_code ec;
  const auto v = json::parse(text, ec);
  if (ec) {
    errors.push_back({std::string(key), "", "", "invalid JSON: " + ec.message()});
    return std::nullopt;
  }
  if (!v.is_object()) {
    errors.push_back({std::string(key), "", "", "expected a JSON object"});
    return std::nullopt;
  }
  return std::string(text);
}

// "allocations[0].ips[1]" -> "ips[1]": the path within the key's own value.
std::vector<model::error> within(std::vector<model::error> errors, std::string_view item) {
  for (auto& e : errors) {
    if (e.path.starts_with(item)) {
      e.path.erase(0, item.size());
      if (e.path.starts_with('.')) e.path.erase(0, 1);
    }
  }
  return errors;
}

}  // namespace

std::string encode_entry(const model::ledger_entry& e) {
  json::object o;
  o["namespace"] = e.ns;
  o["name"] = e.name;
  o["ips"] = ip_array(e.ips);
  o["pool"] = e.pool;
  o["since"] = e.since;
  return json::serialize(o);
}

std::string encode_hold(const model::ledger_hold& h) {
  json::object o;
  o["ip"] = h.ip.to_string();
  o["namespace"] = h.ns;
  o["name"] = h.name;
  o["pool"] = h.pool;
  o["released_at"] = h.released_at;
  return json::serialize(o);
}

std::string encode_revision(std::uint64_t revision) { return std::string(ledger_head) + std::to_string(revision) + "}"; }

std::string encode_service_status(const model::service_status& s) {
  state st;
  st.services.push_back(s);
  auto doc = json::parse(file::encode_status(st));
  return json::serialize(doc.as_object()["services"].as_array()[0]);
}

std::string encode_pools_status(const state& s) {
  state st;
  st.ledger.revision = s.ledger.revision;
  st.pools = s.pools;
  st.config_errors = s.config_errors;
  return file::encode_status(st);
}

namespace {

// One allocation ("allocations") or hold ("holds") item through the ledger reader, as
// the only item of its list; errors at paths within the item.
std::optional<model::ledger> decode_item(std::string_view key, std::string_view text, std::string_view list,
                                         std::vector<model::error>& errors) {
  const auto item = object_text(key, text, errors);
  if (!item) return std::nullopt;
  const bool allocation = list == "allocations";
  auto r = file::decode_ledger(key, std::string(ledger_head) + "0,\"allocations\":[" + (allocation ? *item : "") +
                                        "],\"holds\":[" + (allocation ? "" : *item) + "]}");
  if (!r.ledger) errors = within(std::move(r.errors), std::string(list) + "[0]");
  return std::move(r.ledger);
}

}  // namespace

read_result<model::ledger_entry> decode_entry(std::string_view key, const layout::parsed& p, std::string_view text) {
  read_result<model::ledger_entry> out;
  auto l = decode_item(key, text, "allocations", out.errors);
  if (!l) return out;
  auto& e = l->entries.at(0);
  if (e.ns != p.object.ns || e.name != p.object.name) {
    out.errors.push_back({std::string(key), "", "", "names service " + e.ns + "/" + e.name + "; the key names " +
                                                       p.object.ns + "/" + p.object.name});
    return out;
  }
  out.value = std::move(e);
  return out;
}

read_result<model::ledger_hold> decode_hold(std::string_view key, const layout::parsed& p, std::string_view text) {
  read_result<model::ledger_hold> out;
  auto l = decode_item(key, text, "holds", out.errors);
  if (!l) return out;
  auto& h = l->holds.at(0);
  if (h.ip.to_string() != p.hold) {
    out.errors.push_back({std::string(key), "", "ip", "\"" + h.ip.to_string() + "\" differs from the key's address " + p.hold});
    return out;
  }
  out.value = std::move(h);
  return out;
}

read_result<std::uint64_t> decode_revision(std::string_view key, std::string_view text) {
  read_result<std::uint64_t> out;
  auto item = object_text(key, text, out.errors);
  if (!item) return out;
  const auto parsed = json::parse(*item);
  for (const auto& kv : parsed.as_object()) {
    if (kv.key() != "format" && kv.key() != "version" && kv.key() != "revision") {
      out.errors.push_back({std::string(key), "", std::string(kv.key()), "unknown field"});
      return out;
    }
  }
  item->resize(item->rfind('}'));  // the reader wants the lists too
  const bool empty = parsed.as_object().empty();
  auto r = file::decode_ledger(key, *item + (empty ? "" : ",") + "\"allocations\":[],\"holds\":[]}");
  if (!r.ledger) {
    out.errors = std::move(r.errors);
    return out;
  }
  out.value = r.ledger->revision;
  return out;
}

ledger_read decode_ledger_keys(const layout& l, const std::vector<ledger_key>& keys) {
  ledger_read out;
  model::ledger ledger;
  for (const auto& k : keys) {
    const auto p = l.parse(k.key);
    switch (p.kind) {
      case layout::parsed::what::ledger_entry: {
        auto r = decode_entry(k.key, p, k.value);
        if (!r.value) return {std::nullopt, std::move(r.errors)};
        ledger.entries.push_back(std::move(*r.value));
        break;
      }
      case layout::parsed::what::ledger_hold: {
        auto r = decode_hold(k.key, p, k.value);
        if (!r.value) return {std::nullopt, std::move(r.errors)};
        ledger.holds.push_back(std::move(*r.value));
        break;
      }
      case layout::parsed::what::ledger_revision: {
        auto r = decode_revision(k.key, k.value);
        if (!r.value) return {std::nullopt, std::move(r.errors)};
        ledger.revision = *r.value;
        break;
      }
      default:
        return {std::nullopt, {{k.key, "", "", l.unknown_reason()}}};
    }
  }
  std::sort(ledger.entries.begin(), ledger.entries.end(),
            [](const auto& a, const auto& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  std::sort(ledger.holds.begin(), ledger.holds.end(), [](const auto& a, const auto& b) { return a.ip < b.ip; });
  out.ledger = std::move(ledger);
  return out;
}

file::status_read decode_status_keys(const layout& l, const std::vector<ledger_key>& keys) {
  const auto pools_key = l.status_pools_key();
  const auto services_prefix = l.status_prefix() + "services/";
  const auto pools = std::find_if(keys.begin(), keys.end(), [&](const ledger_key& k) { return k.key == pools_key; });
  if (pools == keys.end()) return {std::nullopt, {{pools_key, "", "", "not written yet (has a controller led?)"}}};
  auto out = file::decode_status(pools->key, pools->value);
  if (!out.status) return out;
  for (const auto& k : keys) {
    if (k.key == pools_key) continue;
    if (!k.key.starts_with(services_prefix)) return {std::nullopt, {{k.key, "", "", l.unknown_reason()}}};
    // The item as the only service of the pools document, through the same reader.
    std::vector<model::error> errors;
    const auto item = object_text(k.key, k.value, errors);
    if (!item) return {std::nullopt, std::move(errors)};
    auto doc = json::parse(pools->value).as_object();
    doc["services"] = json::array{json::parse(*item)};
    auto r = file::decode_status(k.key, json::serialize(doc));
    if (!r.status) return {std::nullopt, within(std::move(r.errors), "services[0]")};
    out.status->services.push_back(std::move(r.status->services.at(0)));
  }
  std::sort(out.status->services.begin(), out.status->services.end(),
            [](const auto& a, const auto& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  return out;
}

}  // namespace store::etcd
