// Path-tracking access to a yaml_tree: every getter knows the field path it reads
// ("spec.addresses[1]") and records a model::error naming it when the value has the wrong
// type or breaks a range rule. Used by the per-kind decoders only.
//
// A field is a node plus a link to the field it was reached from; the path text is only
// built when an error names it. A field must not outlive the field it came from, which is
// why indexing a temporary field does not compile: name each step.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.hpp"
#include "model/ip.hpp"
#include "model/selector.hpp"
#include "model/shared_text.hpp"
#include "yaml_load.hpp"

namespace model::detail {

struct field {
  const yaml_tree* tree = nullptr;
  yaml_tree::id node = yaml_tree::none;
  const field* parent = nullptr;
  std::string_view key;  // member name (must outlive the field), or unused for an element
  std::size_t index = 0;
  bool element = false;

  static field root(const yaml_tree& t, yaml_tree::id n) { return {&t, n, nullptr, {}, 0, false}; }

  bool present() const { return node != yaml_tree::none && tree->type_of(node) != yaml_tree::type::null; }
  bool is_map() const { return present() && tree->type_of(node) == yaml_tree::type::map; }
  bool is_sequence() const { return present() && tree->type_of(node) == yaml_tree::type::sequence; }
  bool is_scalar() const { return present() && tree->type_of(node) == yaml_tree::type::scalar; }
  std::size_t size() const { return present() ? tree->size(node) : 0; }  // elements of a list

  field operator[](std::string_view member) const&;
  field operator[](std::string_view member) && = delete;
  field at(std::size_t i) const&;  // absent unless a list with more than i elements
  field at(std::size_t i) && = delete;

  std::string path() const;                        // "spec.ports[0]"
  std::string path(std::string_view member) const;  // path() + "." + member
};

class reader {
 public:
  reader(shared_text file, std::string object, std::vector<error>& errors)
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
  label_map string_map(const field& f);
  label_selector selector(const field& f);
  std::vector<label_selector> selectors(const field& f);

 private:
  shared_text file_;
  std::string object_;
  std::vector<error>* errors_;
  int failures_ = 0;
};

// The spellings yaml-cpp 0.7's convert<bool> accepts: y/n, yes/no, true/false, on/off, in
// lower case, upper case or capitalised.
std::optional<bool> parse_yaml_bool(std::string_view text);

// Go's time.ParseDuration ("90s", "1m30s", "1.5h", "300ms"), to milliseconds.
std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text);

// "65000:100" or "large:1:2:3"; the rule broken, or "" when valid.
std::string check_community_value(std::string_view value, bool allow_large_prefix);

}  // namespace model::detail
