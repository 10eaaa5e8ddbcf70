// The loopback etcd cluster of the integration tests (see cluster.hpp).
#include "cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "etcd/client.hpp"

namespace store::etcd::testing {

namespace {

constexpr const char* etcd_binary = "/usr/bin/etcd";

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("cannot find a free loopback port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

}  // namespace

std::string cluster::missing() {
  if (access(etcd_binary, X_OK) != 0) return "etcd is not installed (Debian etcd-server; scripts/install-deps.sh)";
  return "";
}

cluster::cluster(cluster_options o) : options_(o) {
  char tmpl[] = "/tmp/bgplb-etcd-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  token_ = "bgplb-test-" + std::to_string(getpid()) + "-" + dir_.substr(dir_.size() - 6);
  if (options_.tls) make_certificates();
  for (int i = 0; i < options_.members; ++i) members_.push_back({"m" + std::to_string(i), free_port(), free_port(), -1});
  for (int i = 0; i < options_.members; ++i) start(i);
}

cluster::~cluster() {
  direct_.reset();
  for (int i = 0; i < size(); ++i) kill(i);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void cluster::make_certificates() {
  const std::string d = dir_ + "/pki";
  std::filesystem::create_directories(d);
  std::ofstream(d + "/server.ext") << "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
  std::ofstream(d + "/client.ext") << "extendedKeyUsage=clientAuth\n";
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  run("cd " + d + " && openssl req -x509 " + key + " -keyout ca.key -out ca.pem -days 2 -subj /CN=bgplb-test-ca 2>/dev/null" +
      " && openssl req " + key + " -keyout server.key -out server.csr -subj /CN=etcd 2>/dev/null" +
      " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null" +
      " && openssl req " + key + " -keyout client.key -out client.csr -subj /CN=bgplb 2>/dev/null" +
      " && openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext 2>/dev/null");
}

std::string cluster::endpoint(int i) const {
  return "127.0.0.1:" + std::to_string(members_[static_cast<std::size_t>(i)].client_port);
}

std::string cluster::uri(const std::string& prefix, const std::string& params) const {
  std::string out = "etcd://";
  for (int i = 0; i < size(); ++i) out += (i == 0 ? "" : ",") + endpoint(i);
  out += prefix;
  std::string query = params;
  if (options_.tls) {
    const std::string d = dir_ + "/pki/";
    query += (query.empty() ? "" : "&") + ("cacert=" + d + "ca.pem&cert=" + d + "client.pem&key=" + d + "client.key");
  }
  return query.empty() ? out : out + "?" + query;
}

void cluster::start(int i) {
  auto& m = members_[static_cast<std::size_t>(i)];
  if (m.pid > 0) return;
  const std::string scheme = options_.tls ? "https://" : "http://";
  const std::string client_url = scheme + endpoint(i);
  const std::string peer_url = "http://127.0.0.1:" + std::to_string(m.peer_port);
  std::string initial;
  for (const auto& o : members_) {
    initial += (initial.empty() ? "" : ",") + o.name + "=http://127.0.0.1:" + std::to_string(o.peer_port);
  }
  std::vector<std::string> args = {etcd_binary,
                                   "--name", m.name,
                                   "--data-dir", dir_ + "/" + m.name,
                                   "--listen-client-urls", client_url,
                                   "--advertise-client-urls", client_url,
                                   "--listen-peer-urls", peer_url,
                                   "--initial-advertise-peer-urls", peer_url,
                                   "--initial-cluster", initial,
                                   "--initial-cluster-state", "new",
                                   "--initial-cluster-token", token_,
                                   "--heartbeat-interval", std::to_string(options_.heartbeat_ms),
                                   "--election-timeout", std::to_string(options_.election_ms),
                                   "--logger", "zap", "--log-level", "warn"};
  if (options_.tls) {
    const std::string d = dir_ + "/pki/";
    args.insert(args.end(), {"--cert-file", d + "server.pem", "--key-file", d + "server.key", "--trusted-ca-file", d + "ca.pem", "--client-cert-auth"});
  }
  const std::string log = dir_ + "/" + m.name + ".log";
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test, however it ends
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(etcd_binary, argv.data());
    _exit(127);
  }
  m.pid = pid;
}

void cluster::kill(int i) {
  auto& m = members_[static_cast<std::size_t>(i)];
  if (m.pid <= 0) return;
  ::kill(m.pid, SIGKILL);
  waitpid(m.pid, nullptr, 0);
  m.pid = -1;
}

std::shared_ptr<grpc::ChannelCredentials> cluster::credentials() const {
  if (!options_.tls) return grpc::InsecureChannelCredentials();
  auto slurp = [&](const char* name) {
    std::ifstream in(dir_ + "/pki/" + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = slurp("ca.pem");
  o.pem_cert_chain = slurp("client.pem");
  o.pem_private_key = slurp("client.key");
  return grpc::SslCredentials(o);
}

int cluster::leader() const {
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    auto stub = etcdserverpb::Maintenance::NewStub(grpc::CreateChannel(endpoint(i), credentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    etcdserverpb::StatusResponse r;
    // The leader answers with its own id as the leader's.
    if (stub->Status(&ctx, {}, &r).ok() && r.leader() == r.header().member_id()) return i;
  }
  return -1;
}

bool cluster::wait_ready(std::chrono::milliseconds timeout) const {
  auto c = parse_uri(uri("/bgplb", "timeout=500ms"));
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    // A new channel each time: one that failed before the members listened waits out
    // gRPC's reconnect back-off (1 s growing 1.6 times), which once outlasted the 20 s
    // given to a TLS cluster starting on a loaded host (ASan, CI).
    client cl(c);
    etcdserverpb::RangeRequest r;
    r.set_key("/ready");
    etcdserverpb::RangeResponse resp;
    auto e = cl.range(r, resp);
    if (!e) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

client& cluster::direct() const {
  if (!direct_) direct_ = std::make_unique<client>(parse_uri(uri("/bgplb", "timeout=2s")));
  return *direct_;
}

std::int64_t cluster::write(etcdserverpb::RequestOp op, const std::string& what) const {
  etcdserverpb::TxnRequest t;
  *t.add_success() = std::move(op);
  etcdserverpb::TxnResponse r;
  if (auto e = direct().txn(t, r)) throw std::runtime_error(what + ": " + e.message);
  return r.header().revision();
}

std::int64_t cluster::put(const std::string& key, const std::string& value) const {
  etcdserverpb::RequestOp op;
  op.mutable_request_put()->set_key(key);
  op.mutable_request_put()->set_value(value);
  return write(std::move(op), "put " + key);
}

std::int64_t cluster::del(const std::string& key) const {
  etcdserverpb::RequestOp op;
  op.mutable_request_delete_range()->set_key(key);
  return write(std::move(op), "delete " + key);
}

std::int64_t cluster::revision() const {
  client& cl = direct();
  etcdserverpb::RangeRequest r;
  r.set_key("/");
  r.set_count_only(true);
  etcdserverpb::RangeResponse resp;
  if (auto e = cl.range(r, resp)) throw std::runtime_error("revision: " + e.message);
  return resp.header().revision();
}

void cluster::compact(std::int64_t revision) const {
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    auto stub = etcdserverpb::KV::NewStub(grpc::CreateChannel(endpoint(i), credentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    etcdserverpb::CompactionRequest req;
    req.set_revision(revision);
    req.set_physical(true);
    etcdserverpb::CompactionResponse r;
    if (stub->Compact(&ctx, req, &r).ok()) return;
  }
  throw std::runtime_error("compaction failed on every member");
}

}  // namespace store::etcd::testing
