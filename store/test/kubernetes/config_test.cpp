// The kubernetes: URI, kubeconfig files and the in-cluster configuration.
#include <gtest/gtest.h>

#include <map>

#include "config.hpp"

namespace store::kubernetes {
namespace {

using namespace std::chrono_literals;

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Uri, Defaults) {
  for (const auto* uri : {"kubernetes:", "kubernetes://", "kubernetes:?"}) {
    const auto s = parse_uri(uri);
    EXPECT_FALSE(s.kubeconfig) << uri;
    EXPECT_EQ(s.ns, "metallb-system");
    EXPECT_EQ(s.lease, "bgplb-controller");
    EXPECT_EQ(s.ledger, "bgplb-ledger");
    EXPECT_FALSE(s.allow_insecure);
    EXPECT_EQ(s.page_size, 500u);
    EXPECT_EQ(s.timing.duration, 15s);
    EXPECT_EQ(s.timing.renew_deadline, 10s);
    EXPECT_EQ(s.timing.retry_period, 2s);
  }
}

TEST(Uri, Parameters) {
  const auto s = parse_uri(
      "kubernetes:?kubeconfig=%2Ftmp%2Fk%20c&context=kind-kind&namespace=lb&lease=l&ledger=g&identity=me"
      "&allow-insecure=true&page-size=50&timeout=5&lease-duration=6&renew-deadline=4&retry-period=1");
  EXPECT_EQ(s.kubeconfig, "/tmp/k c");
  EXPECT_EQ(s.context, "kind-kind");
  EXPECT_EQ(s.ns, "lb");
  EXPECT_EQ(s.lease, "l");
  EXPECT_EQ(s.ledger, "g");
  EXPECT_EQ(s.identity, "me");
  EXPECT_TRUE(s.allow_insecure);
  EXPECT_EQ(s.page_size, 50u);
  EXPECT_EQ(s.timeout, 5s);
  EXPECT_EQ(s.timing.duration, 6s);
  EXPECT_EQ(s.timing.renew_deadline, 4s);
  EXPECT_EQ(s.timing.retry_period, 1s);
}

TEST(Uri, Refusals) {
  struct row {
    std::string_view uri;
    std::string_view message;
  };
  const row rows[] = {
      {"kubernetes:?colour=blue", "datastore \"kubernetes:?colour=blue\": unknown parameter \"colour\""},
      {"kubernetes:?kubeconfig", "datastore \"kubernetes:?kubeconfig\": parameter \"kubeconfig\" has no value"},
      {"kubernetes:?namespace=", "datastore \"kubernetes:?namespace=\": parameter \"namespace\" is empty"},
      {"kubernetes:?page-size=0", "datastore \"kubernetes:?page-size=0\": page-size=0: want a whole number from 1 to 100000"},
      {"kubernetes:?allow-insecure=yes", "datastore \"kubernetes:?allow-insecure=yes\": allow-insecure=yes: want true or false"},
      {"kubernetes:?renew-deadline=20", "datastore \"kubernetes:?renew-deadline=20\": lease-duration must be greater than renew-deadline"},
      {"kubernetes:?retry-period=9", "datastore \"kubernetes:?retry-period=9\": renew-deadline must be greater than 1.2 × retry-period"},
      {"kubernetes:/x", "datastore \"kubernetes:/x\": want kubernetes: or kubernetes:?param=value&..."},
      {"kubernetes:?kubeconfig=%zz", "datastore \"kubernetes:?kubeconfig=%zz\": bad percent-encoding in \"%zz\""},
  };
  for (const auto& r : rows) EXPECT_EQ(refusal([&] { parse_uri(r.uri); }), r.message) << r.uri;
  EXPECT_TRUE(is_kubernetes_uri("kubernetes:"));
  EXPECT_FALSE(is_kubernetes_uri("file:/x"));
}

constexpr std::string_view kubeconfig = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://192.0.2.10:6443
    certificate-authority: ca.pem
- name: prod-cluster
  cluster:
    server: https://api.example.test
    certificate-authority-data: Q0EgUEVN
    tls-server-name: kubernetes.default
- name: lab-cluster
  cluster:
    server: https://[2001:db8::1]:8443
    insecure-skip-tls-verify: true
users:
- name: dev-user
  user:
    client-certificate: certs/client.pem
    client-key-data: S0VZ
- name: prod-user
  user:
    token: abc
- name: file-user
  user:
    tokenFile: /var/token
- name: exec-user
  user:
    exec:
      command: aws
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
- name: lab
  context: {cluster: lab-cluster, user: file-user}
- name: cloud
  context: {cluster: prod-cluster, user: exec-user}
)";

file_reader files(std::map<std::string, std::string> m) {
  return [m = std::move(m)](const std::string& p) -> std::optional<std::string> {
    auto it = m.find(p);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Kubeconfig, CurrentContextWithFilesRelativeToTheKubeconfig) {
  const auto read = files({{"/home/u/.kube/ca.pem", "CA FILE"}, {"/home/u/.kube/certs/client.pem", "CERT FILE"}});
  const auto c = from_kubeconfig("/home/u/.kube/config", kubeconfig, std::nullopt, false, read);
  EXPECT_EQ(c.source, "kubeconfig /home/u/.kube/config (context dev)");
  EXPECT_TRUE(c.endpoint.tls);
  EXPECT_EQ(c.endpoint.host, "192.0.2.10");
  EXPECT_EQ(c.endpoint.port, "6443");
  EXPECT_EQ(c.endpoint.server_name, "192.0.2.10");
  EXPECT_EQ(c.endpoint.ca_pem, "CA FILE");
  EXPECT_EQ(c.endpoint.client_cert_pem, "CERT FILE");
  EXPECT_EQ(c.endpoint.client_key_pem, "KEY");
  EXPECT_TRUE(c.token.empty());
  EXPECT_EQ(server_url(c.endpoint), "https://192.0.2.10:6443");
}

TEST(Kubeconfig, NamedContextWithTokenAndServerName) {
  const auto c = from_kubeconfig("k", kubeconfig, "prod", false, files({}));
  EXPECT_EQ(c.endpoint.host, "api.example.test");
  EXPECT_EQ(c.endpoint.port, "443");
  EXPECT_EQ(c.endpoint.server_name, "kubernetes.default");
  EXPECT_EQ(c.endpoint.ca_pem, "CA PEM");
  EXPECT_EQ(c.token, "abc");
}

TEST(Kubeconfig, InsecureOnlyWhenAllowed) {
  const auto read = files({{"/var/token", "t"}});
  EXPECT_EQ(refusal([&] { from_kubeconfig("k", kubeconfig, "lab", false, read); }),
            "kubeconfig k: cluster \"lab-cluster\" sets insecure-skip-tls-verify: the server's certificate would not be "
            "checked; refused unless the URI says allow-insecure=true");
  const auto c = from_kubeconfig("k", kubeconfig, "lab", true, read);
  EXPECT_TRUE(c.endpoint.insecure);
  EXPECT_EQ(c.endpoint.host, "2001:db8::1");
  EXPECT_EQ(c.endpoint.port, "8443");
  EXPECT_EQ(c.token_file, "/var/token");
  EXPECT_EQ(server_url(c.endpoint), "https://[2001:db8::1]:8443");
}

TEST(Kubeconfig, Refusals) {
  struct row {
    std::optional<std::string> context;
    std::string_view text;
    std::string_view message;
  };
  const row rows[] = {
      {"cloud", kubeconfig,
       "kubeconfig k: user \"exec-user\": exec and auth-provider credential plugins are not supported; use a token, a "
       "token file or a client certificate"},
      {"nope", kubeconfig, "kubeconfig k: no entry named \"nope\" in contexts"},
      {std::nullopt, "apiVersion: v1\nkind: Config\n", "kubeconfig k: no current-context; name one with context=NAME"},
      {std::nullopt, "[1, 2", "kubeconfig k: yaml-cpp: error at line 1, column 1: end of sequence flow not found"},
      {"dev", kubeconfig, "kubeconfig k: certificate-authority: cannot read ./ca.pem"},
      {std::nullopt,
       "current-context: c\ncontexts: [{name: c, context: {cluster: x}}]\nclusters: [{name: x, cluster: {server: "
       "ftp://h}}]\n",
       "kubeconfig k: cluster \"x\": server \"ftp://h\": want https://host[:port]"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(refusal([&] { from_kubeconfig("k", r.text, r.context, false, files({})); }), r.message);
  }
}

TEST(InCluster, ServiceAccount) {
  const auto env = [](const char* n) -> std::optional<std::string> {
    if (std::string_view(n) == "KUBERNETES_SERVICE_HOST") return "10.96.0.1";
    if (std::string_view(n) == "KUBERNETES_SERVICE_PORT") return "443";
    return std::nullopt;
  };
  const auto c = in_cluster(env, "/sa", files({{"/sa/token", "tok"}, {"/sa/ca.crt", "CA"}}));
  EXPECT_EQ(c.endpoint.host, "10.96.0.1");
  EXPECT_EQ(c.endpoint.port, "443");
  EXPECT_EQ(c.endpoint.ca_pem, "CA");
  EXPECT_EQ(c.token_file, "/sa/token");
  EXPECT_TRUE(c.token.empty());  // read (and re-read when rotated) per request
  EXPECT_EQ(c.source, "in-cluster");
  EXPECT_EQ(refusal([&] { in_cluster(env, "/sa", files({{"/sa/token", "tok"}})); }),
            "in-cluster configuration: cannot read /sa/ca.crt");
  const auto none = [](const char*) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(refusal([&] { in_cluster(none, "/sa", files({})); }),
            "in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in "
            "a pod? give kubernetes:?kubeconfig=PATH)");
}

}  // namespace
}  // namespace store::kubernetes
