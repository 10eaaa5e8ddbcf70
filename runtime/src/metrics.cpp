// Prometheus text exposition (see runtime/metrics.hpp).
#include "runtime/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace runtime {

namespace {

void escape_into(std::string& out, std::string_view v) {
  const auto plain = [](char c) { return c != '\\' && c != '"' && c != '\n'; };
  if (std::all_of(v.begin(), v.end(), plain)) {  // nearly every value (find_first_of was a quarter of a scrape)
    out += v;
    return;
  }
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

void number_into(std::string& out, double v) {
  char buf[32];
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    out.append(buf, r.ptr);
  } else {
    const int n = std::snprintf(buf, sizeof buf, "%.9g", v);
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::string number(double v) {
  std::string s;
  number_into(s, v);
  return s;
}

}  // namespace

void exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  if (families_.find(name) != families_.end()) return;
  families_.emplace(std::string(name), fam{std::string(type), std::string(help), {}});
  order_.emplace_back(name);
}

// A histogram's _bucket/_sum/_count belong to the family of its base name; a sample of no
// declared family makes an untyped one.
exposition::fam& exposition::family_of(std::string_view sample_name) {
  if (last_ && sample_name == last_name_) return *last_;
  std::string_view base = sample_name;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"})
    if (families_.find(base) == families_.end() && base.ends_with(suffix)) base.remove_suffix(suffix.size());
  family(base, "untyped", "");
  last_ = &families_.find(base)->second;
  last_name_.assign(sample_name);
  return *last_;
}

std::string& exposition::fam::tail() {
  if (body.empty() || body.back().size() >= piece_bytes) {
    body.emplace_back();
    body.back().reserve(piece_bytes + 1024);  // a line or two past the mark fit without growing
  }
  return body.back();
}

template <class It>
void exposition::write(std::string_view name, It begin, It end, double value) {
  auto& body = family_of(name).tail();
  body += name;
  if (begin != end) {
    body += '{';
    for (auto it = begin; it != end; ++it) {
      if (it != begin) body += ',';
      body += it->first;
      body += "=\"";
      escape_into(body, it->second);
      body += '"';
    }
    body += '}';
  }
  body += ' ';
  number_into(body, value);
  body += '\n';
}

void exposition::sample(std::string_view name, std::initializer_list<label> l, double value) {
  write(name, l.begin(), l.end(), value);
}

void exposition::sample(std::string_view name, const labels& l, double value) { write(name, l.begin(), l.end(), value); }

void exposition::merge(const exposition& other) { merge(exposition(other)); }

void exposition::merge(exposition&& other) {
  for (const auto& name : other.order_) {
    auto& f = other.families_.find(name)->second;
    family(name, f.type, f.help);
    auto& body = families_.find(name)->second.body;
    body.insert(body.end(), std::make_move_iterator(f.body.begin()), std::make_move_iterator(f.body.end()));
  }
  other = exposition();
}

namespace {

std::string header_of(const std::string& name, const std::string& type, const std::string& help) {
  std::string out;
  if (!help.empty()) out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  return out;
}

}  // namespace

std::string exposition::text() const {
  std::size_t size = 0;
  for (const auto& [name, f] : families_) {
    size += f.help.size() + 2 * name.size() + 32;
    for (const auto& piece : f.body) size += piece.size();
  }
  std::string out;
  out.reserve(size);
  for (const auto& name : order_) {
    const auto& f = families_.find(name)->second;
    out += header_of(name, f.type, f.help);
    for (const auto& piece : f.body) out += piece;
  }
  return out;
}

std::vector<std::string> exposition::take_text() {
  std::vector<std::string> out;
  for (const auto& name : order_) {
    auto& f = families_.find(name)->second;
    out.push_back(header_of(name, f.type, f.help));
    for (auto& piece : f.body) out.push_back(std::move(piece));
  }
  *this = exposition();
  return out;
}

void histogram::observe(double v) {
  ++count_;
  sum_ += v;
  for (std::size_t i = 0; i < bounds_.size(); ++i)
    if (v <= bounds_[i]) {
      ++counts_[i];
      return;
    }
}

void histogram::render(exposition& out, const std::string& name, const std::string& help) const {
  out.family(name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out.sample(name + "_bucket", {{"le", number(bounds_[i])}}, static_cast<double>(cumulative));
  }
  out.sample(name + "_bucket", {{"le", "+Inf"}}, static_cast<double>(count_));
  out.sample(name + "_sum", {}, sum_);
  out.sample(name + "_count", {}, static_cast<double>(count_));
}

}  // namespace runtime
