// Typed, path-naming getters over yaml_tree nodes (see reader.hpp).
#include "reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace model::detail {

namespace {

std::string describe(const field& f) {
  if (f.is_map()) return "a map";
  if (f.is_sequence()) return "a list";
  if (f.is_scalar()) return "\"" + std::string(f.tree->scalar(f.node)) + "\"";
  return "nothing";
}

// A quoted number is a string to Kubernetes.
bool quoted(const field& f) { return f.tree->quoted(f.node); }

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

void append_path(std::string& out, const field& f) {
  if (f.parent == nullptr) return;
  append_path(out, *f.parent);
  if (f.element) {
    out += '[';
    out += std::to_string(f.index);
    out += ']';
  } else {
    if (!out.empty()) out += '.';
    out += f.key;
  }
}

}  // namespace

field field::operator[](std::string_view member) const& {
  const auto child = is_map() ? tree->find(node, member) : yaml_tree::none;
  return {tree, child, this, member, 0, false};
}

field field::at(std::size_t i) const& {
  const auto child = is_sequence() && i < tree->size(node) ? tree->element(node, i) : yaml_tree::none;
  return {tree, child, this, {}, i, true};
}

std::string field::path() const {
  std::string out;
  append_path(out, *this);
  return out;
}

std::string field::path(std::string_view member) const {
  std::string out = path();
  out += '.';
  out += member;
  return out;
}

void reader::fail(const std::string& path, std::string message) {
  ++failures_;
  errors_->push_back({file_.str(), object_, path, std::move(message)});
}

bool reader::is_map(const field& f) {
  if (!f.present() || f.is_map()) return f.present();
  fail(f.path(), "expected a map, got " + describe(f));
  return false;
}

bool reader::is_sequence(const field& f) {
  if (!f.present() || f.is_sequence()) return f.present();
  fail(f.path(), "expected a list, got " + describe(f));
  return false;
}

std::size_t reader::size(const field& f) { return f.is_sequence() ? f.size() : 0; }

std::optional<std::string> reader::string(const field& f) {
  if (!f.present()) return std::nullopt;
  if (!f.is_scalar()) {
    fail(f.path(), "expected a string, got " + describe(f));
    return std::nullopt;
  }
  return std::string(f.tree->scalar(f.node));
}

std::optional<std::string> reader::one_of(const field& f, std::initializer_list<std::string_view> allowed) {
  auto s = string(f);
  if (!s) return s;
  for (auto a : allowed) {
    if (*s == a) return s;
  }
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  fail(f.path(), "unsupported value \"" + *s + "\": must be one of " + list);
  return std::nullopt;
}

std::optional<std::int64_t> reader::integer(const field& f, std::int64_t min, std::int64_t max) {
  if (!f.present()) return std::nullopt;
  if (!f.is_scalar() || quoted(f)) {
    fail(f.path(), "expected an integer, got " + describe(f));
    return std::nullopt;
  }
  std::string_view s = f.tree->scalar(f.node);
  const bool negative = !s.empty() && s.front() == '-';
  if (negative || (!s.empty() && s.front() == '+')) s.remove_prefix(1);
  const auto u = parse_uint(s);
  if (!u || *u > static_cast<std::uint64_t>(INT64_MAX)) {
    fail(f.path(), "expected an integer, got " + describe(f));
    return std::nullopt;
  }
  const auto v = negative ? -static_cast<std::int64_t>(*u) : static_cast<std::int64_t>(*u);
  if (v < min || v > max) {
    fail(f.path(), std::to_string(v) + " is out of range " + std::to_string(min) + "-" + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> reader::boolean(const field& f) {
  if (!f.present()) return std::nullopt;
  const auto b = f.is_scalar() && !quoted(f) ? parse_yaml_bool(f.tree->scalar(f.node)) : std::nullopt;
  if (!b) fail(f.path(), "expected a boolean, got " + describe(f));
  return b;
}

std::optional<std::chrono::milliseconds> reader::duration(const field& f) {
  auto s = string(f);
  if (!s) return std::nullopt;
  auto d = parse_go_duration(*s);
  if (!d) fail(f.path(), "invalid duration \"" + *s + "\"");
  return d;
}

std::optional<ip_address> reader::ip(const field& f) {
  auto s = string(f);
  if (!s) return std::nullopt;
  auto a = ip_address::parse(*s);
  if (!a) fail(f.path(), "invalid IP address \"" + *s + "\"");
  return a;
}

std::optional<cidr> reader::prefix(const field& f) {
  auto s = string(f);
  if (!s) return std::nullopt;
  auto c = cidr::parse(*s);
  if (!c) fail(f.path(), "invalid CIDR \"" + *s + "\"");
  return c;
}

std::vector<std::string> reader::strings(const field& f) {
  std::vector<std::string> out;
  if (!is_sequence(f)) return out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (auto s = string(f.at(i))) out.push_back(*s);
  }
  return out;
}

label_map reader::string_map(const field& f) {
  label_map out;
  if (!is_map(f)) return out;
  const yaml_tree& t = *f.tree;
  for (std::size_t i = 0; i < t.size(f.node); ++i) {
    const std::string_view key = t.scalar(t.key(f.node, i));  // "" for a key that is not a scalar
    if (auto v = string(field{&t, t.value(f.node, i), &f, key, 0, false})) out[std::string(key)] = std::move(*v);
  }
  return out;
}

label_selector reader::selector(const field& f) {
  label_selector sel;
  if (!is_map(f)) return sel;
  sel.match_labels = string_map(f["matchLabels"]);
  const field exprs = f["matchExpressions"];
  if (!is_sequence(exprs)) return sel;
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    const field e = exprs.at(i);
    if (!is_map(e)) {
      if (!e.present()) fail(e.path(), "expected a map, got nothing");
      continue;
    }
    label_requirement r;
    auto key = string(e["key"]);
    if (!key || key->empty()) {
      fail(e.path("key"), "required");
      continue;
    }
    r.key = *key;
    auto op = one_of(e["operator"], {"In", "NotIn", "Exists", "DoesNotExist"});
    if (!op) {
      if (!e["operator"].present()) fail(e.path("operator"), "required");
      continue;
    }
    r.op = *op == "In" ? selector_op::in : *op == "NotIn" ? selector_op::not_in
         : *op == "Exists" ? selector_op::exists : selector_op::does_not_exist;
    r.values = strings(e["values"]);
    const bool needs_values = r.op == selector_op::in || r.op == selector_op::not_in;
    if (needs_values && r.values.empty()) {
      fail(e.path("values"), "must be specified when operator is " + *op);
    } else if (!needs_values && !r.values.empty()) {
      fail(e.path("values"), "may not be specified when operator is " + *op);
    }
    sel.match_expressions.push_back(std::move(r));
  }
  return sel;
}

std::vector<label_selector> reader::selectors(const field& f) {
  std::vector<label_selector> out;
  if (!is_sequence(f)) return out;
  for (std::size_t i = 0; i < f.size(); ++i) out.push_back(selector(f.at(i)));
  return out;
}

std::optional<bool> parse_yaml_bool(std::string_view s) {
  // yaml-cpp's IsFlexibleCase: all lower case, or a capital then all lower or all upper case.
  const auto lower_case = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto upper_case = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto all = [](std::string_view t, auto pred) { return std::all_of(t.begin(), t.end(), pred); };
  if (!s.empty() && !all(s, lower_case) &&
      !(upper_case(s[0]) && (all(s.substr(1), lower_case) || all(s.substr(1), upper_case)))) {
    return std::nullopt;
  }
  std::string lower(s);
  for (auto& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "y" || lower == "yes" || lower == "true" || lower == "on") return true;
  if (lower == "n" || lower == "no" || lower == "false" || lower == "off") return false;
  return std::nullopt;
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
