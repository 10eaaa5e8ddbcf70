// store::open_kubernetes: the URI, the cluster's configuration, the datastore.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config.hpp"
#include "datastore.hpp"
#include "store/kubernetes.hpp"

namespace store {

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::string> read_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

bool is_kubernetes_uri(std::string_view uri) { return kubernetes::is_kubernetes_uri(uri); }

std::unique_ptr<datastore> open_kubernetes(std::string_view uri, const open_options& options) {
  auto s = kubernetes::parse_uri(uri);
  kubernetes::cluster_config c;
  try {
    if (s.kubeconfig) {
      const auto text = read_file(*s.kubeconfig);
      if (!text) throw std::invalid_argument("cannot read kubeconfig " + *s.kubeconfig);
      c = kubernetes::from_kubeconfig(*s.kubeconfig, *text, s.context, s.allow_insecure, read_file);
    } else {
      if (s.context) throw std::invalid_argument("context= needs kubeconfig=");
      c = kubernetes::in_cluster(read_env, std::string(kubernetes::service_account_dir), read_file);
    }
    return std::make_unique<kubernetes::datastore>(std::move(s), std::move(c), options);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("datastore \"" + std::string(uri) + "\": " + e.what());
  }
}

}  // namespace store
