// The URI, kubeconfig and in-cluster configuration (see config.hpp).
#include "config.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/beast/core/detail/base64.hpp>

#include <charconv>
#include <stdexcept>

namespace store::kubernetes {

namespace {

[[noreturn]] void refuse(std::string_view uri, const std::string& why) {
  throw std::invalid_argument("datastore \"" + std::string(uri) + "\": " + why);
}

std::string percent_decode(std::string_view uri, std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      unsigned v = 0;
      if (i + 2 >= in.size() ||
          std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16).ptr != in.data() + i + 3) {
        refuse(uri, "bad percent-encoding in \"" + std::string(in) + "\"");
      }
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::int64_t number(std::string_view uri, const std::string& key, const std::string& value, std::int64_t min,
                    std::int64_t max) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc{} || end != value.data() + value.size() || v < min || v > max) {
    refuse(uri, key + "=" + value + ": want a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

std::string base64_decode(std::string_view in) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::decoded_size(in.size()), '\0');
  const auto [written, read] = b64::decode(out.data(), in.data(), in.size());
  if (read != in.size()) throw std::invalid_argument("not valid base64");
  out.resize(written);
  return out;
}

// "https://host:port/prefix" into the endpoint.
void parse_server(const std::string& where, const std::string& url, endpoint_config& e) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    e.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    e.tls = false;
    rest.remove_prefix(7);
  } else {
    throw std::invalid_argument(where + ": server \"" + url + "\": want https://host[:port]");
  }
  const auto slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos && rest.substr(slash) != "/") {
    throw std::invalid_argument(where + ": server \"" + url + "\": a path after the host is not supported");
  }
  if (hostport.starts_with('[')) {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument(where + ": server \"" + url + "\": unclosed [");
    e.host = std::string(hostport.substr(1, close - 1));
    hostport.remove_prefix(close + 1);
    if (hostport.starts_with(':')) e.port = std::string(hostport.substr(1));
  } else if (const auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    e.host = std::string(hostport.substr(0, colon));
    e.port = std::string(hostport.substr(colon + 1));
  } else {
    e.host = std::string(hostport);
  }
  if (e.host.empty()) throw std::invalid_argument(where + ": server \"" + url + "\": no host");
  if (e.port.empty()) e.port = e.tls ? "443" : "80";
  if (e.server_name.empty()) e.server_name = e.host;
}

const YAML::Node named(const YAML::Node& list, const std::string& list_name, const std::string& name,
                       const std::string& where) {
  if (list && list.IsSequence()) {
    for (const auto& item : list) {
      if (item.IsMap() && item["name"] && item["name"].as<std::string>() == name) return item;
    }
  }
  throw std::invalid_argument(where + ": no entry named \"" + name + "\" in " + list_name);
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

bool is_kubernetes_uri(std::string_view uri) { return uri.starts_with("kubernetes:"); }

settings parse_uri(std::string_view uri) {
  if (!is_kubernetes_uri(uri)) refuse(uri, "not a kubernetes: URI");
  std::string_view rest = uri.substr(11);
  if (rest.starts_with("//")) rest.remove_prefix(2);
  settings s;
  if (rest.empty()) return s;
  if (!rest.starts_with('?')) refuse(uri, "want kubernetes: or kubernetes:?param=value&...");
  rest.remove_prefix(1);
  std::int64_t lease_s = 15, renew_s = 10, retry_s = 2;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) refuse(uri, "parameter \"" + std::string(pair) + "\" has no value");
    const std::string key = percent_decode(uri, pair.substr(0, eq));
    const std::string value = percent_decode(uri, pair.substr(eq + 1));
    if (key == "kubeconfig") s.kubeconfig = value;
    else if (key == "context") s.context = value;
    else if (key == "namespace") s.ns = value;
    else if (key == "lease") s.lease = value;
    else if (key == "ledger") s.ledger = value;
    else if (key == "identity") s.identity = value;
    else if (key == "allow-insecure") {
      if (value != "true" && value != "false") refuse(uri, "allow-insecure=" + value + ": want true or false");
      s.allow_insecure = value == "true";
    } else if (key == "page-size") s.page_size = static_cast<std::size_t>(number(uri, key, value, 1, 100000));
    else if (key == "timeout") s.timeout = std::chrono::seconds(number(uri, key, value, 1, 3600));
    else if (key == "lease-duration") lease_s = number(uri, key, value, 1, 3600);
    else if (key == "renew-deadline") renew_s = number(uri, key, value, 1, 3600);
    else if (key == "retry-period") retry_s = number(uri, key, value, 1, 3600);
    else refuse(uri, "unknown parameter \"" + key + "\"");
    if (value.empty()) refuse(uri, "parameter \"" + key + "\" is empty");
  }
  // client-go's own checks: leaseDuration > renewDeadline > retryPeriod·1.2.
  if (!(lease_s > renew_s)) refuse(uri, "lease-duration must be greater than renew-deadline");
  if (!(static_cast<double>(renew_s) > static_cast<double>(retry_s) * 1.2)) {
    refuse(uri, "renew-deadline must be greater than 1.2 × retry-period");
  }
  s.timing = {std::chrono::seconds(lease_s), std::chrono::seconds(renew_s), std::chrono::seconds(retry_s)};
  return s;
}

std::string server_url(const endpoint_config& e) {
  const bool v6 = e.host.find(':') != std::string::npos;
  return std::string(e.tls ? "https://" : "http://") + (v6 ? "[" + e.host + "]" : e.host) + ":" + e.port;
}

cluster_config from_kubeconfig(const std::string& path, std::string_view text, const std::optional<std::string>& context,
                               bool allow_insecure, const file_reader& read) {
  const std::string where = "kubeconfig " + path;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(where + ": " + e.what());
  }
  if (!root.IsMap()) throw std::invalid_argument(where + ": not a kubeconfig (expected a map)");
  const auto base = directory_of(path);
  const auto file = [&](const std::string& field, const std::string& name) {
    const std::string full = name.starts_with('/') ? name : base + "/" + name;
    auto contents = read(full);
    if (!contents) throw std::invalid_argument(where + ": " + field + ": cannot read " + full);
    return *contents;
  };
  try {
    std::string ctx_name = context.value_or("");
    if (ctx_name.empty()) {
      if (!root["current-context"] || root["current-context"].as<std::string>().empty()) {
        throw std::invalid_argument(where + ": no current-context; name one with context=NAME");
      }
      ctx_name = root["current-context"].as<std::string>();
    }
    const auto ctx = named(root["contexts"], "contexts", ctx_name, where)["context"];
    if (!ctx || !ctx.IsMap()) throw std::invalid_argument(where + ": context \"" + ctx_name + "\" is empty");
    const auto cluster_name = ctx["cluster"] ? ctx["cluster"].as<std::string>() : "";
    const auto user_name = ctx["user"] ? ctx["user"].as<std::string>() : "";
    const auto cluster = named(root["clusters"], "clusters", cluster_name, where)["cluster"];
    if (!cluster || !cluster["server"]) {
      throw std::invalid_argument(where + ": cluster \"" + cluster_name + "\" has no server");
    }
    cluster_config out;
    out.source = where + " (context " + ctx_name + ")";
    auto& e = out.endpoint;
    if (cluster["tls-server-name"]) e.server_name = cluster["tls-server-name"].as<std::string>();
    parse_server(where + ": cluster \"" + cluster_name + "\"", cluster["server"].as<std::string>(), e);
    if (cluster["proxy-url"]) throw std::invalid_argument(where + ": cluster \"" + cluster_name + "\": proxy-url is not supported");
    if (cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>()) {
      if (!allow_insecure) {
        throw std::invalid_argument(where + ": cluster \"" + cluster_name +
                                    "\" sets insecure-skip-tls-verify: the server's certificate would not be checked; "
                                    "refused unless the URI says allow-insecure=true");
      }
      e.insecure = true;
    }
    if (cluster["certificate-authority-data"]) {
      e.ca_pem = base64_decode(cluster["certificate-authority-data"].as<std::string>());
    } else if (cluster["certificate-authority"]) {
      e.ca_pem = file("certificate-authority", cluster["certificate-authority"].as<std::string>());
    }
    if (!user_name.empty()) {
      const auto user = named(root["users"], "users", user_name, where)["user"];
      if (user && user.IsMap()) {
        const std::string uw = where + ": user \"" + user_name + "\"";
        if (user["exec"] || user["auth-provider"]) {
          throw std::invalid_argument(uw + ": exec and auth-provider credential plugins are not supported; "
                                           "use a token, a token file or a client certificate");
        }
        if (user["username"] || user["password"]) throw std::invalid_argument(uw + ": basic authentication is not supported");
        if (user["client-certificate-data"]) e.client_cert_pem = base64_decode(user["client-certificate-data"].as<std::string>());
        else if (user["client-certificate"]) e.client_cert_pem = file("client-certificate", user["client-certificate"].as<std::string>());
        if (user["client-key-data"]) e.client_key_pem = base64_decode(user["client-key-data"].as<std::string>());
        else if (user["client-key"]) e.client_key_pem = file("client-key", user["client-key"].as<std::string>());
        if (e.client_cert_pem.empty() != e.client_key_pem.empty()) {
          throw std::invalid_argument(uw + ": a client certificate needs both the certificate and the key");
        }
        if (user["token"]) out.token = user["token"].as<std::string>();
        else if (user["tokenFile"]) {
          const auto name = user["tokenFile"].as<std::string>();
          out.token_file = name.starts_with('/') ? name : base + "/" + name;
          if (!read(out.token_file)) throw std::invalid_argument(uw + ": tokenFile: cannot read " + out.token_file);
        }
      }
    }
    return out;
  } catch (const YAML::Exception& ex) {
    throw std::invalid_argument(where + ": " + ex.what());
  } catch (const std::invalid_argument& ex) {
    if (std::string_view(ex.what()).starts_with(where)) throw;
    throw std::invalid_argument(where + ": " + ex.what());
  }
}

cluster_config in_cluster(const env_reader& env, const std::string& account_dir, const file_reader& read) {
  const auto host = env("KUBERNETES_SERVICE_HOST");
  const auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    throw std::invalid_argument(
        "in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set "
        "(not running in a pod? give kubernetes:?kubeconfig=PATH)");
  }
  cluster_config out;
  out.source = "in-cluster";
  out.endpoint.host = *host;
  out.endpoint.port = *port;
  out.endpoint.server_name = *host;
  out.token_file = account_dir + "/token";
  if (!read(out.token_file)) throw std::invalid_argument("in-cluster configuration: cannot read " + out.token_file);
  auto ca = read(account_dir + "/ca.crt");
  if (!ca) throw std::invalid_argument("in-cluster configuration: cannot read " + account_dir + "/ca.crt");
  out.endpoint.ca_pem = std::move(*ca);
  return out;
}

}  // namespace store::kubernetes
