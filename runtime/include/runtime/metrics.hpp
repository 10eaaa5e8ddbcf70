// Prometheus text exposition (format 0.0.4): families with HELP/TYPE and labelled samples,
// and a fixed-bucket histogram. Metric values are read from the core's state when /metrics
// is scraped, so nothing but the histogram and counters keeps state of its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace runtime {

using labels = std::vector<std::pair<std::string, std::string>>;

class exposition {
 public:
  // Declares a family; samples added under the same name share its HELP/TYPE lines.
  void family(const std::string& name, const std::string& type, const std::string& help);
  void sample(const std::string& name, const labels& l, double value);
  std::string text() const;

 private:
  struct fam {
    std::string type, help;
    std::vector<std::string> lines;
  };
  std::vector<std::string> order_;
  std::map<std::string, fam> families_;
};

class histogram {
 public:
  explicit histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}
  void observe(double v);
  void render(exposition& out, const std::string& name, const std::string& help) const;
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace runtime
