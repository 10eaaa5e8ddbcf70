// The trust model's pure part (src/access.cpp): who gRPC's peer strings name, and which
// calls each caller may make.
#include "access.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace api {
namespace {

TEST(access, identify) {
  credential_table t;
  t.put(7, {::geteuid(), 0, 4242});
  struct row {
    const char* peer;
    bool unix_socket, loopback;
    std::string text;
  };
  const row rows[] = {
      {"ipv4:127.0.0.1:5000", false, true, "127.0.0.1:5000"},
      {"ipv4:10.0.0.1:5000", false, false, "10.0.0.1:5000"},
      {"ipv6:[::1]:5000", false, true, "[::1]:5000"},
      {"ipv6:%5B::1%5D:5000", false, true, "[::1]:5000"},
      {"ipv6:[::ffff:127.0.0.1]:5000", false, true, "[::ffff:127.0.0.1]:5000"},
      {"ipv6:[2001:db8::1]:5000", false, false, "[2001:db8::1]:5000"},
      {"fd:7", true, false, "uid=" + std::to_string(::geteuid()) + " pid=4242"},
      {"fd:8", true, false, "unix caller of unknown uid"},
      {"unix:/some/path", false, true, "unix:/some/path"},
  };
  for (const auto& r : rows) {
    const caller c = identify(r.peer, t);
    EXPECT_EQ(c.unix_socket, r.unix_socket) << r.peer;
    EXPECT_EQ(c.loopback, r.loopback) << r.peer;
    EXPECT_EQ(c.text, r.text) << r.peer;
  }
}

TEST(access, permit) {
  credential_table t;
  const uid_t me = ::geteuid();
  t.put(1, {me, 0, 1});
  t.put(2, {0, 0, 2});
  t.put(3, {me + 1000, 0, 3});  // neither root nor us: the socket's mode was widened
  const auto tcp = identify("ipv4:127.0.0.1:5000", t);
  const auto mine = identify("fd:1", t), root = identify("fd:2", t), other = identify("fd:3", t);
  const auto unknown = identify("fd:9", t);
  struct row {
    const char* description;
    caller c;
    rpc_class k;
    bool ok;
  };
  const row rows[] = {
      {"read over TCP", tcp, rpc_class::read, true},
      {"control over TCP", tcp, rpc_class::control, false},
      {"write over TCP", tcp, rpc_class::write, false},
      {"control on the socket, our uid", mine, rpc_class::control, true},
      {"write on the socket, root", root, rpc_class::write, true},
      {"control on the socket, another uid", other, rpc_class::control, false},
      {"read on the socket, another uid", other, rpc_class::read, true},
      {"control on the socket, uid unknown", unknown, rpc_class::control, false},
  };
  for (const auto& r : rows) EXPECT_EQ(permit(r.c, "ResetPeer", r.k, "/run/x.sock").ok(), r.ok) << r.description;
  const auto st = permit(tcp, "DisablePeer", rpc_class::control, "/run/x.sock");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(),
            "DisablePeer acts on BGP sessions, so bgplb accepts it only on its owner-only Unix socket: "
            "gobgp --target unix:///run/x.sock ... (not over TCP from 127.0.0.1:5000)");
  EXPECT_EQ(permit(tcp, "AddPath", rpc_class::write, "").error_message(),
            "AddPath changes the routes bgplb announces, so bgplb accepts it only on its Unix socket, and none is "
            "configured (control_socket) (not over TCP from 127.0.0.1:5000)");
}

TEST(access, admit) {
  credential_table t;
  EXPECT_TRUE(admit(identify("ipv4:127.0.0.1:1", t), false).ok());
  EXPECT_FALSE(admit(identify("ipv4:10.0.0.1:1", t), false).ok());
  EXPECT_TRUE(admit(identify("ipv4:10.0.0.1:1", t), true).ok());
  EXPECT_TRUE(admit(identify("fd:3", t), false).ok());
}

TEST(access, audit_record) {
  credential_table t;
  t.put(4, {0, 0, 99});
  const auto r = audit_of("EnablePeer", identify("fd:4", t), "address=10.0.0.2", true, grpc::Status::OK);
  EXPECT_EQ(r.transport, "unix");
  EXPECT_EQ(r.caller, "uid=0 pid=99");
  EXPECT_EQ(r.uid, 0u);
  EXPECT_EQ(r.pid, 99);
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(r.status_code, 0);
  const auto refused = audit_of("AddPath", identify("ipv4:127.0.0.1:9", t), "path=10.0.0.0/8", false,
                                {grpc::StatusCode::PERMISSION_DENIED, "no"});
  EXPECT_EQ(refused.transport, "tcp");
  EXPECT_FALSE(refused.uid.has_value());
  EXPECT_EQ(refused.status_code, 7);
  EXPECT_EQ(refused.status_message, "no");
}

// One socket per node, so several nodes' processes on one machine never share one.
TEST(access, default_control_socket_per_node) {
  if (::geteuid() != 0) GTEST_SKIP() << "the default is /run/bgplb/... only for root";
  struct row {
    const char* node;
    const char* path;
  };
  const row rows[] = {
      {"", "/run/bgplb/api.sock"},
      {"node1", "/run/bgplb/node1/api.sock"},
      {"worker-1.rack_a", "/run/bgplb/worker-1.rack_a/api.sock"},
      {"a/../b", "/run/bgplb/a_.._b/api.sock"},
      {"..", "/run/bgplb/_/api.sock"},
  };
  for (const auto& r : rows) EXPECT_EQ(default_control_socket(r.node), r.path) << r.node;
}

// Checked before anything binds: missing directories are made owner-only; a relative or
// too long path, or a file in the way, is refused with the reason.
TEST(access, control_socket_problem) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / ("bgplb-sock-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto nested = dir / "run" / "node1" / "api.sock";
  EXPECT_EQ(control_socket_problem(nested.string()), std::nullopt);
  struct stat st {};
  ASSERT_EQ(::stat(nested.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_NE(control_socket_problem("relative/api.sock").value_or("").find("needs an absolute path"), std::string::npos);
  EXPECT_NE(control_socket_problem("/" + std::string(120, 'x')).value_or("").find("longer than 107"), std::string::npos);
  const auto file = dir / "run" / "file";
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  EXPECT_NE(control_socket_problem(file.string()).value_or("").find("is not a socket"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace api
