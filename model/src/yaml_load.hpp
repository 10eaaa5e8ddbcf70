// Multi-document YAML loading with a progress guard. yaml-cpp 0.7's YAML::LoadAll loops
// forever (allocating) on some malformed input, e.g. a stray '}' after a flow mapping: the
// parser yields empty documents without consuming input. We drive the parser ourselves
// and stop with a syntax error when a document makes no progress.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace model::detail {

struct yaml_error {
  std::size_t line = 0;    // 1-based
  std::size_t column = 0;  // 1-based
  std::string message;
};

struct loaded_yaml {
  std::vector<YAML::Node> documents;
  std::optional<yaml_error> error;  // documents before the error are kept
};

loaded_yaml load_all(std::string_view text);

}  // namespace model::detail
