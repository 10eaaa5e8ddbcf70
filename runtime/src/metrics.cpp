// Prometheus text exposition (see runtime/metrics.hpp).
#include "runtime/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace runtime {

namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void exposition::family(const std::string& name, const std::string& type, const std::string& help) {
  auto [it, fresh] = families_.try_emplace(name, fam{type, help, {}});
  if (fresh) order_.push_back(name);
}

void exposition::sample(const std::string& name, const labels& l, double value) {
  std::string line = name;
  // A histogram's _bucket/_sum/_count belong to the family of its base name.
  std::string base = name;
  for (const char* suffix : {"_bucket", "_sum", "_count"})
    if (!families_.contains(base) && base.ends_with(suffix)) base.resize(base.size() - std::char_traits<char>::length(suffix));
  if (!l.empty()) {
    line += '{';
    for (std::size_t i = 0; i < l.size(); ++i)
      line += (i ? "," : "") + l[i].first + "=\"" + escape(l[i].second) + '"';
    line += '}';
  }
  line += ' ' + number(value);
  family(base, "untyped", "");
  families_[base].lines.push_back(std::move(line));
}

std::string exposition::text() const {
  std::string out;
  for (const auto& name : order_) {
    const auto& f = families_.at(name);
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    for (const auto& l : f.lines) out += l + "\n";
  }
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
