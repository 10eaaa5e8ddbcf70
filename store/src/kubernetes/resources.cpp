// Paths of the API resources (see resources.hpp).
#include "resources.hpp"

#include <stdexcept>

namespace store::kubernetes {

const resource& resource_of(model::kind k) {
  for (const auto& r : resources) {
    if (r.kind == k) return r;
  }
  throw std::logic_error("no API resource for kind " + std::string(model::kind_name(k)));
}

std::string api_version(const resource& r, std::string_view version) {
  if (r.group.empty()) return std::string(version);
  return std::string(r.group) + "/" + std::string(version);
}

std::string group_path(std::string_view group, std::string_view version) {
  if (group.empty()) return "/api/" + std::string(version);
  return "/apis/" + std::string(group) + "/" + std::string(version);
}

std::string collection_path(const resource& r, std::string_view version, std::string_view ns) {
  std::string out = group_path(r.group, version);
  if (r.where != scope::cluster && !ns.empty()) out += "/namespaces/" + std::string(ns);
  out += "/";
  out += r.plural;
  return out;
}

std::string object_path(const resource& r, std::string_view version, std::string_view ns, std::string_view name) {
  return collection_path(r, version, ns) + "/" + std::string(name);
}

std::string file_prefix(const resource& r) {
  std::string out(r.plural);
  if (!r.group.empty()) out += "." + std::string(r.group);
  return out + "/";
}

std::string object_file(const resource& r, std::string_view ns, std::string_view name) {
  std::string out = file_prefix(r);
  if (r.where != scope::cluster) out += std::string(ns) + "/";
  return out + std::string(name) + ".json";
}

std::string query_escape(std::string_view value) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

}  // namespace store::kubernetes
