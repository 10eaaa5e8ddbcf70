// Parsing the etcd datastore's URI (see uri.hpp).
#include "uri.hpp"

#include <charconv>
#include <stdexcept>

namespace store::etcd {

namespace {

[[noreturn]] void refuse(std::string_view uri, const std::string& why) {
  throw std::invalid_argument("datastore \"" + std::string(uri) + "\": " + why);
}

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// RFC 3986 §2.1 percent-encoding, for paths with reserved characters in parameters.
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc{} || end != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

endpoint parse_endpoint(std::string_view uri, std::string_view text) {
  endpoint e;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) refuse(uri, "endpoint \"" + std::string(text) + "\": missing ']'");
    e.host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) refuse(uri, "endpoint \"" + std::string(text) + "\": expected ':' after ']'");
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      refuse(uri, "endpoint \"" + std::string(text) + "\": write IPv6 addresses in brackets, [::1]:2379");
    }
    e.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (e.host.empty()) refuse(uri, "endpoint \"" + std::string(text) + "\": empty host");
  if (!port.empty() || text.ends_with(':')) {
    const auto p = number(port);
    if (!p || *p == 0 || *p > 65535) refuse(uri, "endpoint \"" + std::string(text) + "\": port must be 1-65535");
    e.port = static_cast<std::uint16_t>(*p);
  }
  return e;
}

}  // namespace

std::string endpoint::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  struct unit {
    std::string_view suffix;
    std::uint64_t ms;
  };
  for (const unit u : {unit{"ms", 1}, unit{"s", 1000}, unit{"m", 60000}}) {
    if (!text.ends_with(u.suffix)) continue;
    const auto n = number(text.substr(0, text.size() - u.suffix.size()));
    if (!n || *n > 1'000'000'000) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(*n * u.ms));
  }
  return std::nullopt;
}

config parse_uri(std::string_view uri) {
  config c;
  c.uri = std::string(uri);
  constexpr std::string_view scheme = "etcd://";
  if (!uri.starts_with(scheme)) refuse(uri, "an etcd datastore is written etcd://HOST:PORT[,HOST:PORT...][/PREFIX][?PARAMS]");
  std::string_view rest = uri.substr(scheme.size());
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest;
  std::string_view path;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash);
  }
  if (authority.find('@') != std::string_view::npos) {
    refuse(uri, "user names and passwords are not supported; authenticate with a client certificate (cert=, key=)");
  }
  if (authority.empty()) {
    c.endpoints.push_back({"localhost", 2379});
  } else {
    for (std::size_t start = 0; start <= authority.size();) {
      const auto comma = std::min(authority.find(',', start), authority.size());
      c.endpoints.push_back(parse_endpoint(uri, authority.substr(start, comma - start)));
      start = comma + 1;
    }
  }
  while (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
  if (path == "/") refuse(uri, "the key prefix must not be the root \"/\"; use a path such as /bgplb");
  if (!path.empty()) {
    const auto p = unescape(path);
    if (!p) refuse(uri, "prefix \"" + std::string(path) + "\": bad percent-escape");
    if (p->find("//") != std::string::npos) refuse(uri, "prefix \"" + *p + "\": empty path segment");
    c.prefix = *p;
  }

  bool tls = false;
  tls_files files;
  for (std::size_t start = 0; start < query.size();) {
    const auto amp = std::min(query.find('&', start), query.size());
    const auto item = query.substr(start, amp - start);
    start = amp + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const auto name = item.substr(0, eq);
    const auto raw = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    const auto value = unescape(raw);
    if (!value || (eq == std::string_view::npos)) refuse(uri, "parameter \"" + std::string(item) + "\": expected NAME=VALUE");
    const auto where = "parameter " + std::string(name) + "=" + *value + ": ";
    if (name == "cacert") {
      files.ca = *value;
      tls = true;
    } else if (name == "cert") {
      files.cert = *value;
      tls = true;
    } else if (name == "key") {
      files.key = *value;
      tls = true;
    } else if (name == "tls") {
      if (*value != "true" && *value != "false") refuse(uri, where + "expected true or false");
      tls = tls || *value == "true";
    } else if (name == "timeout" || name == "lease-ttl") {
      const auto d = parse_duration(*value);
      if (!d || d->count() <= 0) refuse(uri, where + "expected a duration such as 500ms, 5s or 1m");
      if (name == "timeout") c.timeout = *d;
      else if (*d < std::chrono::seconds(2)) refuse(uri, where + "etcd grants leases of at least 2s");
      else c.lease_ttl = *d;
    } else if (name == "max-txn-ops") {
      const auto n = number(*value);
      if (!n || *n < 2 || *n > 1'000'000) refuse(uri, where + "expected a number of operations, at least 2");
      c.max_txn_ops = static_cast<std::uint32_t>(*n);
    } else {
      refuse(uri, "unknown parameter \"" + std::string(name) + "\"; known: cacert, cert, key, tls, timeout, lease-ttl, max-txn-ops");
    }
  }
  if (files.cert.empty() != files.key.empty()) refuse(uri, "a client certificate needs both cert= and key=");
  if (tls) c.tls = files;
  return c;
}

}  // namespace store::etcd
