// JSON encoding of the state directory's files, and the strict ledger reader: every field
// is checked and the first problem refuses the whole file, since a controller that
// restored half a ledger would renumber the other half.
#include <boost/json.hpp>

#include <set>

#include "store/state_dir.hpp"
#include "store/status_json.hpp"

namespace store::file {

namespace json = boost::json;

namespace {

json::array ip_array(const std::vector<model::ip_address>& ips) {
  json::array a;
  for (const auto& ip : ips) a.emplace_back(ip.to_string());
  return a;
}

// `"head": [` and one object a line, each built by `to_object`, serialized and dropped
// before the next: the objects of 100,000 services never exist at once beside the text.
template <class Items, class F>
void append_lines(text_sink& out, std::string_view head, const Items& items, F to_object, bool last) {
  out.append("  \"");
  out.append(head);
  out.append("\": [");
  bool first = true;
  for (const auto& item : items) {
    out.append(first ? "\n    " : ",\n    ");
    first = false;
    out.append(json::serialize(to_object(item)));
  }
  out.append(first ? "]" : "\n  ]");
  out.append(last ? "\n" : ",\n");
}

struct string_sink final : text_sink {
  std::string text;
  void append(std::string_view t) override { text += t; }
};

class checker {
 public:
  checker(std::string_view file, std::vector<model::error>& errors) : file_(file), errors_(errors) {}

  bool fail(const std::string& path, std::string message) {
    if (errors_.empty()) errors_.push_back({file_, "", path, std::move(message)});
    return false;
  }
  bool ok() const { return errors_.empty(); }

  const json::object* object(const json::value& v, const std::string& path) {
    if (const auto* o = v.if_object()) return o;
    fail(path, "expected an object");
    return nullptr;
  }
  bool only(const json::object& o, const std::string& path, std::initializer_list<std::string_view> keys) {
    for (const auto& kv : o) {
      if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end()) {
        return fail(join(path, kv.key()), "unknown field");
      }
    }
    return true;
  }
  const json::value* field(const json::object& o, const std::string& path, std::string_view key) {
    if (const auto* v = o.if_contains(key)) return v;
    fail(join(path, key), "required");
    return nullptr;
  }
  std::optional<std::string> string(const json::object& o, const std::string& path, std::string_view key,
                                    bool non_empty = true) {
    const auto* v = field(o, path, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string() || (non_empty && v->as_string().empty())) {
      fail(join(path, key), non_empty ? "expected a non-empty string" : "expected a string");
      return std::nullopt;
    }
    return std::string(v->as_string());
  }
  std::optional<std::int64_t> integer(const json::object& o, const std::string& path, std::string_view key) {
    const auto* v = field(o, path, key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
      return static_cast<std::int64_t>(v->as_uint64());
    }
    fail(join(path, key), "expected an integer");
    return std::nullopt;
  }
  const json::array* array(const json::object& o, const std::string& path, std::string_view key) {
    const auto* v = field(o, path, key);
    if (v == nullptr) return nullptr;
    if (const auto* a = v->if_array()) return a;
    fail(join(path, key), "expected a list");
    return nullptr;
  }
  std::optional<model::ip_address> ip(const json::value& v, const std::string& path) {
    if (v.is_string()) {
      if (auto a = model::ip_address::parse(std::string_view(v.as_string()))) return a;
      fail(path, "\"" + std::string(v.as_string()) + "\" is not an IP address");
      return std::nullopt;
    }
    fail(path, "expected an IP address string");
    return std::nullopt;
  }

  // Calls f(object, path) for each element of the list o[key], each an object with only
  // `fields`; stops at the first problem.
  template <class F>
  void each(const json::object& o, const std::string& path, std::string_view key,
            std::initializer_list<std::string_view> fields, F&& f) {
    const auto* list = array(o, path, key);
    for (std::size_t i = 0; list != nullptr && ok() && i < list->size(); ++i) {
      const std::string item = join(path, key) + "[" + std::to_string(i) + "]";
      const auto* e = object((*list)[i], item);
      if (e == nullptr || !only(*e, item, fields)) return;
      f(*e, item);
    }
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

 private:
  std::string file_;
  std::vector<model::error>& errors_;
};

}  // namespace

void encode_ledger(const model::ledger& l, text_sink& out) {
  out.append("{\n  \"format\": \"bgplb-ledger\",\n  \"version\": 1,\n  \"revision\": " + std::to_string(l.revision) + ",\n");
  append_lines(out, "allocations", l.entries, [](const model::ledger_entry& e) {
    return json::object{{"namespace", e.ns}, {"name", e.name}, {"ips", ip_array(e.ips)}, {"pool", e.pool}, {"since", e.since}};
  }, false);
  append_lines(out, "holds", l.holds, [](const model::ledger_hold& h) {
    return json::object{{"ip", h.ip.to_string()}, {"namespace", h.ns}, {"name", h.name}, {"pool", h.pool},
                        {"released_at", h.released_at}};
  }, true);
  out.append("}\n");
}

void encode_status(const state& s, text_sink& out) {
  out.append("{\n  \"revision\": " + std::to_string(s.ledger.revision) + ",\n");
  append_lines(out, "services", s.services, [](const model::service_status& sv) {
    json::array events;
    for (const auto& e : sv.events) events.push_back(json::object{{"type", e.type}, {"reason", e.reason}, {"message", e.message}});
    return json::object{{"namespace", sv.ns}, {"name", sv.name}, {"ingress", ip_array(sv.ingress)}, {"pool", sv.pool},
                        {"events", std::move(events)}};
  }, false);
  append_lines(out, "pools", s.pools, [](const auto& p) { return pool_json(p); }, false);
  append_lines(out, "errors", s.config_errors, [](const model::error& e) {
    return json::object{{"file", e.file}, {"object", e.object}, {"path", e.path}, {"message", e.message}};
  }, true);
  out.append("}\n");
}

std::string encode_ledger(const model::ledger& l) {
  string_sink out;
  encode_ledger(l, out);
  return std::move(out.text);
}

std::string encode_status(const state& s) {
  string_sink out;
  encode_status(s, out);
  return std::move(out.text);
}

namespace {

// The parsed document, or nothing with the error (line and column) recorded in `c`.
std::optional<json::value> parse(checker& c, std::string_view text) {
  json::stream_parser p;
  boost::system::error_code ec;
  const std::size_t used = p.write(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    const std::size_t at = std::min(used, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
    const auto nl = text.rfind('\n', at == 0 ? 0 : at - 1);
    const auto column = at - (nl == std::string_view::npos ? 0 : nl + 1) + 1;
    c.fail("line " + std::to_string(line) + ", column " + std::to_string(column), "invalid JSON: " + ec.message());
    return std::nullopt;
  }
  return p.release();
}

}  // namespace

status_read decode_status(std::string_view file, std::string_view text) {
  status_read out;
  checker c(file, out.errors);
  const auto root = parse(c, text);
  if (!root) return out;
  const auto* o = c.object(*root, "");
  if (o == nullptr || !c.only(*o, "", {"revision", "services", "pools", "errors"})) return out;
  state st;
  const auto revision = c.integer(*o, "", "revision");
  if (revision && *revision < 0) c.fail("revision", "must not be negative");
  st.ledger.revision = static_cast<std::uint64_t>(revision.value_or(0));
  c.each(*o, "", "services", {"namespace", "name", "ingress", "pool", "events"}, [&](const json::object& e, const std::string& path) {
    model::service_status sv;
    sv.ns = c.string(e, path, "namespace").value_or("");
    sv.name = c.string(e, path, "name").value_or("");
    sv.pool = c.string(e, path, "pool", false).value_or("");
    if (const auto* ips = c.array(e, path, "ingress")) {
      for (std::size_t j = 0; c.ok() && j < ips->size(); ++j) {
        if (auto a = c.ip((*ips)[j], path + ".ingress[" + std::to_string(j) + "]")) sv.ingress.push_back(*a);
      }
    }
    c.each(e, path, "events", {"type", "reason", "message"}, [&](const json::object& ev, const std::string& epath) {
      sv.events.push_back({c.string(ev, epath, "type").value_or(""), c.string(ev, epath, "reason").value_or(""),
                           c.string(ev, epath, "message", false).value_or("")});
    });
    st.services.push_back(std::move(sv));
  });
  c.each(*o, "", "pools", {"name", "assigned_ipv4", "available_ipv4", "assigned_ipv6", "available_ipv6", "stranded"},
         [&](const json::object& e, const std::string& path) {
           model::pool_status p;
           p.name = c.string(e, path, "name").value_or("");
           p.assigned_ipv4 = c.integer(e, path, "assigned_ipv4").value_or(0);
           p.available_ipv4 = c.integer(e, path, "available_ipv4").value_or(0);
           p.assigned_ipv6 = c.integer(e, path, "assigned_ipv6").value_or(0);
           p.available_ipv6 = c.integer(e, path, "available_ipv6").value_or(0);
           p.stranded = c.integer(e, path, "stranded").value_or(0);
           st.pools.push_back(std::move(p));
         });
  c.each(*o, "", "errors", {"file", "object", "path", "message"}, [&](const json::object& e, const std::string& path) {
    st.config_errors.push_back({c.string(e, path, "file", false).value_or(""), c.string(e, path, "object", false).value_or(""),
                                c.string(e, path, "path", false).value_or(""), c.string(e, path, "message").value_or("")});
  });
  if (c.ok()) out.status = std::move(st);
  return out;
}

ledger_read decode_ledger(std::string_view file, std::string_view text) {
  ledger_read out;
  checker c(file, out.errors);
  const auto root_value = parse(c, text);
  if (!root_value) return out;
  const json::value& root = *root_value;
  const auto* o = c.object(root, "");
  if (o == nullptr || !c.only(*o, "", {"format", "version", "revision", "allocations", "holds"})) return out;
  const auto format = c.string(*o, "", "format");
  if (format && *format != "bgplb-ledger") c.fail("format", "\"" + *format + "\" is not a bgplb ledger");
  const auto version = c.integer(*o, "", "version");
  if (version && *version != 1) c.fail("version", "unsupported version " + std::to_string(*version) + "; this bgplb reads version 1");
  const auto revision = c.integer(*o, "", "revision");
  if (revision && *revision < 0) c.fail("revision", "must not be negative");
  if (!c.ok()) return out;
  model::ledger l;
  l.revision = static_cast<std::uint64_t>(*revision);

  std::set<std::pair<std::string, std::string>> seen;
  if (const auto* allocs = c.array(*o, "", "allocations")) {
    for (std::size_t i = 0; c.ok() && i < allocs->size(); ++i) {
      const std::string path = "allocations[" + std::to_string(i) + "]";
      const auto* e = c.object((*allocs)[i], path);
      if (e == nullptr || !c.only(*e, path, {"namespace", "name", "ips", "pool", "since"})) break;
      model::ledger_entry entry;
      entry.ns = c.string(*e, path, "namespace").value_or("");
      entry.name = c.string(*e, path, "name").value_or("");
      // Empty: a stranded address no pool was ever recorded for (kept from Service status).
      entry.pool = c.string(*e, path, "pool", false).value_or("");
      entry.since = c.integer(*e, path, "since").value_or(0);
      if (const auto* ips = c.array(*e, path, "ips")) {
        if (ips->empty() || ips->size() > 2) c.fail(path + ".ips", "must hold one or two addresses");
        for (std::size_t j = 0; c.ok() && j < ips->size(); ++j) {
          if (auto a = c.ip((*ips)[j], path + ".ips[" + std::to_string(j) + "]")) entry.ips.push_back(*a);
        }
        if (c.ok() && entry.ips.size() == 2 && entry.ips[0].family() == entry.ips[1].family()) {
          c.fail(path + ".ips", "two addresses must be of different IP families");
        }
      }
      if (c.ok() && !seen.insert({entry.ns, entry.name}).second) {
        c.fail(path, "service " + entry.ns + "/" + entry.name + " is allocated twice");
      }
      l.entries.push_back(std::move(entry));
    }
  }
  if (const auto* holds = c.array(*o, "", "holds")) {
    for (std::size_t i = 0; c.ok() && i < holds->size(); ++i) {
      const std::string path = "holds[" + std::to_string(i) + "]";
      const auto* h = c.object((*holds)[i], path);
      if (h == nullptr || !c.only(*h, path, {"ip", "namespace", "name", "pool", "released_at"})) break;
      model::ledger_hold hold;
      if (const auto* v = c.field(*h, path, "ip")) hold.ip = c.ip(*v, path + ".ip").value_or(model::ip_address{});
      hold.ns = c.string(*h, path, "namespace").value_or("");
      hold.name = c.string(*h, path, "name").value_or("");
      hold.pool = c.string(*h, path, "pool", false).value_or("");
      hold.released_at = c.integer(*h, path, "released_at").value_or(0);
      l.holds.push_back(std::move(hold));
    }
  }
  if (!c.ok()) return out;
  std::sort(l.entries.begin(), l.entries.end(),
            [](const auto& a, const auto& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  out.ledger = std::move(l);
  return out;
}

}  // namespace store::file

namespace store {

boost::json::object pool_json(const model::pool_status& p) {
  return {{"name", p.name},
          {"assigned_ipv4", p.assigned_ipv4},
          {"available_ipv4", p.available_ipv4},
          {"assigned_ipv6", p.assigned_ipv6},
          {"available_ipv6", p.available_ipv6},
          {"stranded", p.stranded}};
}

}  // namespace store
