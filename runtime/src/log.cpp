// Log setup and value quoting (see runtime/log.hpp).
#include "runtime/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace runtime::log {

void setup(const std::string& level) {
  spdlog::drop("bgplb");  // a second process in one test binary
  auto logger = spdlog::stderr_logger_mt("bgplb");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

std::string quote(std::string_view v) {
  const bool plain = !v.empty() && v.find_first_of(" \"=\\\t\n") == std::string_view::npos;
  if (plain) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace runtime::log
