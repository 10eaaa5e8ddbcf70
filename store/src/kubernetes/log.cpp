// Log lines in the daemons' format (see log.hpp).
#include "log.hpp"

namespace store::kubernetes::log {

std::string line(std::string_view event, std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::string out = "event=" + std::string(event);
  for (const auto& [k, v] : kv) {
    out += ' ';
    out += k;
    out += '=';
    if (!v.empty() && v.find_first_of(" \"=\\\t\n") == std::string_view::npos) {
      out += v;
      continue;
    }
    out += '"';
    for (const char c : v) {
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

}  // namespace store::kubernetes::log
