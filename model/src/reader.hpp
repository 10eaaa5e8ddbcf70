// Path-tracking access to a yaml-cpp tree: every getter knows the field path it reads
// ("spec.addresses[1]") and records a model::error naming it when the value has the wrong
// type or breaks a range rule. Used by the per-kind decoders only.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/error.hpp"
#include "model/ip.hpp"
#include "model/selector.hpp"

namespace model::detail {

struct field {
  YAML::Node node;
  std::string path;

  bool present() const { return node.IsDefined() && !node.IsNull(); }
  field operator[](std::string_view key) const;
  field at(std::size_t i) const;
};

class reader {
 public:
  reader(std::string file, std::string object, std::vector<error>& errors)
      : file_(std::move(file)), object_(std::move(object)), errors_(&errors) {}

  void fail(const std::string& path, std::string message);
  bool failed() const { return failures_ > 0; }
  void set_object(std::string object) { object_ = std::move(object); }

  bool is_map(const field& f);       // absent is fine; wrong type is an error
  bool is_sequence(const field& f);
  std::size_t size(const field& f);  // sequence length, 0 when absent or wrong type

  std::optional<std::string> string(const field& f);
  std::optional<std::string> one_of(const field& f, std::initializer_list<std::string_view> allowed);
  std::optional<std::int64_t> integer(const field& f, std::int64_t min, std::int64_t max);
  std::optional<bool> boolean(const field& f);
  std::optional<std::chrono::milliseconds> duration(const field& f);
  std::optional<ip_address> ip(const field& f);
  std::optional<cidr> prefix(const field& f);
  std::vector<std::string> strings(const field& f);
  std::map<std::string, std::string> string_map(const field& f);
  label_selector selector(const field& f);
  std::vector<label_selector> selectors(const field& f);

 private:
  std::string file_;
  std::string object_;
  std::vector<error>* errors_;
  int failures_ = 0;
};

// Go's time.ParseDuration ("90s", "1m30s", "1.5h", "300ms"), to milliseconds.
std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text);

// "65000:100" or "large:1:2:3"; the rule broken, or "" when valid.
std::string check_community_value(std::string_view value, bool allow_large_prefix);

}  // namespace model::detail
