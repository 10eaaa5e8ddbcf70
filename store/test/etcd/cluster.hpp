// A real etcd cluster on loopback for the etcd datastore's integration tests and
// benchmark: N members of the etcd binary (Debian etcd-server), each with its own
// free ports and data directory under a fresh temporary directory, optionally serving
// clients over TLS with client certificates (made with openssl). Members can be killed,
// stopped and started again with their data. Everything is removed on destruction.
#pragma once

#include <sys/types.h>

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace etcdserverpb {
class RequestOp;
}
namespace store::etcd {
class client;
}

namespace store::etcd::testing {

struct cluster_options {
  int members = 3;
  bool tls = false;
  int heartbeat_ms = 50;
  int election_ms = 500;
};

class cluster {
 public:
  // Empty when the etcd binary can be run; else why not (tests skip with it).
  static std::string missing();

  explicit cluster(cluster_options o = {});
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  // etcd://127.0.0.1:A,127.0.0.1:B,.../PREFIX?PARAMS (with the TLS files when tls).
  std::string uri(const std::string& prefix = "/bgplb", const std::string& params = "") const;
  std::string endpoint(int i) const;
  int size() const { return static_cast<int>(members_.size()); }

  void kill(int i);   // SIGKILL, reaped
  void start(int i);  // with its data directory as it is
  bool running(int i) const { return members_[static_cast<std::size_t>(i)].pid > 0; }
  // The member that leads the raft group, among those running; -1 when none answers.
  int leader() const;
  // Waits until a linearizable read succeeds through uri(); false on timeout.
  bool wait_ready(std::chrono::milliseconds timeout) const;

  // Direct writes for the tests (through every running member, failing over).
  std::int64_t put(const std::string& key, const std::string& value) const;
  std::int64_t del(const std::string& key) const;
  void compact(std::int64_t revision) const;
  std::int64_t revision() const;

  const std::string& dir() const { return dir_; }

 private:
  struct member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    pid_t pid = -1;
  };
  void make_certificates();
  std::shared_ptr<grpc::ChannelCredentials> credentials() const;
  client& direct() const;  // the tests' own client, made on first use
  std::int64_t write(etcdserverpb::RequestOp op, const std::string& what) const;

  cluster_options options_;
  std::string dir_;
  std::string token_;
  std::vector<member> members_;
  mutable std::unique_ptr<client> direct_;
};

}  // namespace store::etcd::testing
