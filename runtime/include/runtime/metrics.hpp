// Prometheus text exposition (format 0.0.4): families with HELP/TYPE and labelled samples,
// and a fixed-bucket histogram. Metric values are read from the core's state when /metrics
// is scraped, so nothing but the histogram and counters keeps state of its own.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runtime {

using labels = std::vector<std::pair<std::string, std::string>>;
using label = std::pair<std::string_view, std::string_view>;

// Samples are written straight into their family's text: a scrape of a speaker with
// 100,000 services renders some 400,000 lines (35 MiB) on the core thread, so a sample
// costs no allocation of its own. A family's text is kept in pieces of about 64 KiB, so
// neither a growing family nor a merge copies megabytes at once, and the pieces go to the
// socket as they are (take_text).
class exposition {
 public:
  exposition() = default;
  exposition(const exposition& o) : order_(o.order_), families_(o.families_) {}
  exposition(exposition&& o) noexcept : order_(std::move(o.order_)), families_(std::move(o.families_)) { o.forget(); }
  exposition& operator=(const exposition& o) {
    order_ = o.order_;
    families_ = o.families_;
    forget();
    return *this;
  }
  exposition& operator=(exposition&& o) noexcept {
    order_ = std::move(o.order_);
    families_ = std::move(o.families_);
    forget();
    o.forget();
    return *this;
  }
  ~exposition() = default;

  // Declares a family; samples added under the same name share its HELP/TYPE lines.
  void family(std::string_view name, std::string_view type, std::string_view help);
  // A braced list of {name, value} labels; values are escaped as the format requires.
  void sample(std::string_view name, std::initializer_list<label> l, double value);
  void sample(std::string_view name, const labels& l, double value);
  std::string text() const;
  // The same text, in pieces (the families' own, moved out); the exposition is left empty.
  std::vector<std::string> take_text();
  // Adds another exposition's families and samples after this one's (same family: its samples appended).
  void merge(const exposition& other);
  void merge(exposition&& other);  // the other's pieces moved, not copied

 private:
  static constexpr std::size_t piece_bytes = 64 * 1024;
  struct fam {
    std::string type, help;
    std::vector<std::string> body;  // the sample lines, each ending in a newline, in pieces
    std::string& tail();            // the piece the next line goes to
  };
  fam& family_of(std::string_view sample_name);
  void forget() {
    last_ = nullptr;
    last_name_.clear();
  }
  template <class It>
  void write(std::string_view name, It begin, It end, double value);

  std::vector<std::string> order_;
  std::map<std::string, fam, std::less<>> families_;
  std::string last_name_;  // the last sample's name, and its family
  fam* last_ = nullptr;
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
