// Typed, path-naming getters over yaml-cpp nodes (see reader.hpp).
#include "reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace model::detail {

namespace {

std::string describe(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
  return "nothing";
}

// yaml-cpp tags quoted scalars "!"; a quoted number is a string to Kubernetes.
bool quoted(const YAML::Node& n) { return n.Tag() == "!"; }

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

field field::operator[](std::string_view key) const {
  const std::string k(key);
  field out{YAML::Node(YAML::NodeType::Undefined), path.empty() ? k : path + "." + k};
  if (node.IsMap()) {
    const YAML::Node& self = node;
    YAML::Node child = self[k];
    if (child.IsDefined()) out.node = child;
  }
  return out;
}

field field::at(std::size_t i) const {
  return {node[i], path + "[" + std::to_string(i) + "]"};
}

void reader::fail(const std::string& path, std::string message) {
  ++failures_;
  errors_->push_back({file_, object_, path, std::move(message)});
}

bool reader::is_map(const field& f) {
  if (!f.present() || f.node.IsMap()) return f.present();
  fail(f.path, "expected a map, got " + describe(f.node));
  return false;
}

bool reader::is_sequence(const field& f) {
  if (!f.present() || f.node.IsSequence()) return f.present();
  fail(f.path, "expected a list, got " + describe(f.node));
  return false;
}

std::size_t reader::size(const field& f) { return f.present() && f.node.IsSequence() ? f.node.size() : 0; }

std::optional<std::string> reader::string(const field& f) {
  if (!f.present()) return std::nullopt;
  if (!f.node.IsScalar()) {
    fail(f.path, "expected a string, got " + describe(f.node));
    return std::nullopt;
  }
  return f.node.Scalar();
}

std::optional<std::string> reader::one_of(const field& f, std::initializer_list<std::string_view> allowed) {
  auto s = string(f);
  if (!s) return s;
  for (auto a : allowed) {
    if (*s == a) return s;
  }
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  fail(f.path, "unsupported value \"" + *s + "\": must be one of " + list);
  return std::nullopt;
}

std::optional<std::int64_t> reader::integer(const field& f, std::int64_t min, std::int64_t max) {
  if (!f.present()) return std::nullopt;
  if (!f.node.IsScalar() || quoted(f.node)) {
    fail(f.path, "expected an integer, got " + describe(f.node));
    return std::nullopt;
  }
  std::string_view s = f.node.Scalar();
  const bool negative = !s.empty() && s.front() == '-';
  if (negative || (!s.empty() && s.front() == '+')) s.remove_prefix(1);
  const auto u = parse_uint(s);
  if (!u || *u > static_cast<std::uint64_t>(INT64_MAX)) {
    fail(f.path, "expected an integer, got " + describe(f.node));
    return std::nullopt;
  }
  const auto v = negative ? -static_cast<std::int64_t>(*u) : static_cast<std::int64_t>(*u);
  if (v < min || v > max) {
    fail(f.path, std::to_string(v) + " is out of range " + std::to_string(min) + "-" + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> reader::boolean(const field& f) {
  if (!f.present()) return std::nullopt;
  bool b = false;
  if (!f.node.IsScalar() || quoted(f.node) || !YAML::convert<bool>::decode(f.node, b)) {
    fail(f.path, "expected a boolean, got " + describe(f.node));
    return std::nullopt;
  }
  return b;
}

std::optional<std::chrono::milliseconds> reader::duration(const field& f) {
  auto s = string(f);
  if (!s) return std::nullopt;
  auto d = parse_go_duration(*s);
  if (!d) fail(f.path, "invalid duration \"" + *s + "\"");
  return d;
}

std::optional<ip_address> reader::ip(const field& f) {
  auto s = string(f);
  if (!s) return std::nullopt;
  auto a = ip_address::parse(*s);
  if (!a) fail(f.path, "invalid IP address \"" + *s + "\"");
  return a;
}

std::optional<cidr> reader::prefix(const field& f) {
  auto s = string(f);
  if (!s) return std::nullopt;
  auto c = cidr::parse(*s);
  if (!c) fail(f.path, "invalid CIDR \"" + *s + "\"");
  return c;
}

std::vector<std::string> reader::strings(const field& f) {
  std::vector<std::string> out;
  if (!is_sequence(f)) return out;
  for (std::size_t i = 0; i < f.node.size(); ++i) {
    if (auto s = string(f.at(i))) out.push_back(*s);
  }
  return out;
}

std::map<std::string, std::string> reader::string_map(const field& f) {
  std::map<std::string, std::string> out;
  if (!is_map(f)) return out;
  for (const auto& kv : f.node) {
    const std::string key = kv.first.Scalar();
    if (auto v = string({kv.second, f.path + "." + key})) out[key] = *v;
  }
  return out;
}

label_selector reader::selector(const field& f) {
  label_selector sel;
  if (!is_map(f)) return sel;
  sel.match_labels = string_map(f["matchLabels"]);
  const field exprs = f["matchExpressions"];
  if (!is_sequence(exprs)) return sel;
  for (std::size_t i = 0; i < exprs.node.size(); ++i) {
    const field e = exprs.at(i);
    if (!is_map(e)) {
      if (!e.present()) fail(e.path, "expected a map, got nothing");
      continue;
    }
    label_requirement r;
    auto key = string(e["key"]);
    if (!key || key->empty()) {
      fail(e.path + ".key", "required");
      continue;
    }
    r.key = *key;
    auto op = one_of(e["operator"], {"In", "NotIn", "Exists", "DoesNotExist"});
    if (!op) {
      if (!e["operator"].present()) fail(e.path + ".operator", "required");
      continue;
    }
    r.op = *op == "In" ? selector_op::in : *op == "NotIn" ? selector_op::not_in
         : *op == "Exists" ? selector_op::exists : selector_op::does_not_exist;
    r.values = strings(e["values"]);
    const bool needs_values = r.op == selector_op::in || r.op == selector_op::not_in;
    if (needs_values && r.values.empty()) {
      fail(e.path + ".values", "must be specified when operator is " + *op);
    } else if (!needs_values && !r.values.empty()) {
      fail(e.path + ".values", "may not be specified when operator is " + *op);
    }
    sel.match_expressions.push_back(std::move(r));
  }
  return sel;
}

std::vector<label_selector> reader::selectors(const field& f) {
  std::vector<label_selector> out;
  if (!is_sequence(f)) return out;
  for (std::size_t i = 0; i < f.node.size(); ++i) out.push_back(selector(f.at(i)));
  return out;
}

std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view s) {
  if (s == "0") return std::chrono::milliseconds{0};
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    if (s.front() == '-') return std::nullopt;  // no field bgplb reads may be negative
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  double total_ms = 0;
  while (!s.empty()) {
    std::size_t i = 0;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double number = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + i, number);
    if (ec != std::errc{} || p != s.data() + i) return std::nullopt;
    s.remove_prefix(i);
    std::size_t j = 0;
    while (j < s.size() && !((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) ++j;
    const std::string_view unit = s.substr(0, j);
    s.remove_prefix(j);
    double scale = 0;
    if (unit == "ns") scale = 1e-6;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") scale = 1e-3;
    else if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1e3;
    else if (unit == "m") scale = 60e3;
    else if (unit == "h") scale = 3600e3;
    else return std::nullopt;
    total_ms += number * scale;
  }
  return std::chrono::milliseconds{static_cast<std::int64_t>(std::llround(total_ms))};
}

std::string check_community_value(std::string_view value, bool metallb_style) {
  std::vector<std::string_view> parts;
  std::string_view rest = value;
  if (metallb_style && rest.starts_with("large:")) rest.remove_prefix(6);
  const bool large = metallb_style ? value.starts_with("large:") : std::count(value.begin(), value.end(), ':') == 2;
  while (true) {
    const auto colon = rest.find(':');
    parts.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  const std::string quoted_value = "\"" + std::string(value) + "\"";
  if (large) {
    if (parts.size() != 3) return "invalid large community " + quoted_value + ": want large:A:B:C";
    for (auto p : parts) {
      const auto v = parse_uint(p);
      if (!v || *v > 0xffffffffu) return "invalid large community " + quoted_value + ": each part must be 0-4294967295";
    }
    return "";
  }
  if (parts.size() != 2) return "invalid community " + quoted_value + ": want A:B";
  for (auto p : parts) {
    const auto v = parse_uint(p);
    if (!v || *v > 0xffffu) return "invalid community " + quoted_value + ": each part must be 0-65535";
  }
  return "";
}

}  // namespace model::detail
