// Tests of the state directory: ledger JSON round trip, precise refusal of corrupt
// ledgers, and atomic replacement on a real directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/state_dir.hpp"

namespace store::file {
namespace {

// Each row's input is refused with exactly one error, `expected`; `decode` returns the
// errors of a refused input and nothing for an accepted one.
template <class Rows, class Decode>
void expect_refused(const Rows& rows, Decode decode) {
  for (const auto& r : rows) {
    const auto errors = decode(r.input);
    ASSERT_EQ(errors.size(), 1u) << r.description;
    EXPECT_EQ(errors[0].to_string(), r.expected) << r.description;
  }
}

model::ledger sample() {
  model::ledger l;
  l.revision = 7;
  l.entries.push_back({"default", "a", {*model::ip_address::parse("10.0.0.1"), *model::ip_address::parse("fd00::1")},
                       "dual", 1700000000});
  l.entries.push_back({"prod", "web", {*model::ip_address::parse("10.0.1.5")}, "prod", 1700000001});
  // Stranded, and no pool was ever recorded for it (kept from a migrated Service's status).
  l.entries.push_back({"prod", "z", {*model::ip_address::parse("192.0.2.7")}, "", 1700000002});
  l.holds.push_back({*model::ip_address::parse("10.0.0.9"), "ci", "job", "prod", 1700000100});
  return l;
}

TEST(ledger_json, round_trip_and_golden) {
  const auto text = encode_ledger(sample());
  EXPECT_EQ(text,
            "{\n"
            "  \"format\": \"bgplb-ledger\",\n"
            "  \"version\": 1,\n"
            "  \"revision\": 7,\n"
            "  \"allocations\": [\n"
            "    {\"namespace\":\"default\",\"name\":\"a\",\"ips\":[\"10.0.0.1\",\"fd00::1\"],\"pool\":\"dual\",\"since\":1700000000},\n"
            "    {\"namespace\":\"prod\",\"name\":\"web\",\"ips\":[\"10.0.1.5\"],\"pool\":\"prod\",\"since\":1700000001},\n"
            "    {\"namespace\":\"prod\",\"name\":\"z\",\"ips\":[\"192.0.2.7\"],\"pool\":\"\",\"since\":1700000002}\n"
            "  ],\n"
            "  \"holds\": [\n"
            "    {\"ip\":\"10.0.0.9\",\"namespace\":\"ci\",\"name\":\"job\",\"pool\":\"prod\",\"released_at\":1700000100}\n"
            "  ]\n"
            "}\n");
  const auto back = decode_ledger("ledger.json", text);
  ASSERT_TRUE(back.errors.empty()) << model::to_string(back.errors);
  EXPECT_EQ(*back.ledger, sample());
  EXPECT_EQ(encode_ledger(model::ledger{}),
            "{\n  \"format\": \"bgplb-ledger\",\n  \"version\": 1,\n  \"revision\": 0,\n  \"allocations\": [],\n  \"holds\": []\n}\n");
}

TEST(ledger_json, corrupt_files_are_refused_precisely) {
  const std::string head = R"({"format":"bgplb-ledger","version":1,"revision":1,"holds":[],"allocations":[)";
  const std::string ok = R"({"namespace":"a","name":"b","ips":["10.0.0.1"],"pool":"p","since":1})";
  struct row {
    const char* description;
    std::string input;
    std::string expected;
  };
  const row rows[] = {
      {"truncated file", encode_ledger(sample()).substr(0, 120),
       "s/ledger.json: line 6, column 39: invalid JSON: incomplete JSON"},
      {"empty file", "", "s/ledger.json: line 1, column 1: invalid JSON: incomplete JSON"},
      {"not an object", "[]", "s/ledger.json: expected an object"},
      {"wrong format", R"({"format":"x","version":1,"revision":1,"allocations":[],"holds":[]})",
       "s/ledger.json: format: \"x\" is not a bgplb ledger"},
      {"future version", R"({"format":"bgplb-ledger","version":2,"revision":1,"allocations":[],"holds":[]})",
       "s/ledger.json: version: unsupported version 2; this bgplb reads version 1"},
      {"unknown field", R"({"format":"bgplb-ledger","version":1,"revision":1,"allocations":[],"holds":[],"x":1})",
       "s/ledger.json: x: unknown field"},
      {"missing field", R"({"format":"bgplb-ledger","version":1,"revision":1,"holds":[]})",
       "s/ledger.json: allocations: required"},
      {"bad address", head + ok + R"(,{"namespace":"a","name":"c","ips":["10.0.0.x"],"pool":"p","since":1}]})",
       "s/ledger.json: allocations[1].ips[0]: \"10.0.0.x\" is not an IP address"},
      {"no address", head + R"({"namespace":"a","name":"c","ips":[],"pool":"p","since":1}]})",
       "s/ledger.json: allocations[0].ips: must hold one or two addresses"},
      {"same family twice", head + R"({"namespace":"a","name":"c","ips":["10.0.0.1","10.0.0.2"],"pool":"p","since":1}]})",
       "s/ledger.json: allocations[0].ips: two addresses must be of different IP families"},
      {"service twice", head + ok + "," + ok + "]}", "s/ledger.json: allocations[1]: service a/b is allocated twice"},
      {"since must be an integer", head + R"({"namespace":"a","name":"c","ips":["10.0.0.1"],"pool":"p","since":"x"}]})",
       "s/ledger.json: allocations[0].since: expected an integer"},
      {"empty name", head + R"({"namespace":"a","name":"","ips":["10.0.0.1"],"pool":"p","since":1}]})",
       "s/ledger.json: allocations[0].name: expected a non-empty string"},
  };
  expect_refused(rows, [](std::string_view text) {
    auto out = decode_ledger("s/ledger.json", text);
    return out.ledger ? std::vector<model::error>{} : std::move(out.errors);
  });
}

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bgplb-store-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() { std::filesystem::remove_all(path_); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(status_json, round_trip_and_refusals) {
  state st;
  st.ledger.revision = 7;
  st.services.push_back({"shop", "web", {*model::ip_address::parse("10.9.0.5")}, "old",
                         {{"Warning", "PoolRemoved", "address 10.9.0.5 no longer in any pool"}}});
  st.services.push_back({"shop", "db", {}, "", {}});
  st.pools.push_back({"old", 0, 0, 0, 0, 1});
  st.pools.push_back({"prod", 2, 14, 1, 9223372036854775807, 0});
  st.config_errors.push_back({"pools.yaml", "IPAddressPool metallb-system/x", "spec.addresses[0]", "bad"});
  const auto back = decode_status("status.json", encode_status(st));
  ASSERT_TRUE(back.status) << model::to_string(back.errors);
  EXPECT_EQ(back.status->ledger.revision, 7u);
  EXPECT_EQ(back.status->services, st.services);
  EXPECT_EQ(back.status->pools, st.pools);
  EXPECT_EQ(back.status->config_errors, st.config_errors);

  const struct {
    const char* description;
    std::string input;
    std::string expected;
  } rows[] = {
      {"not JSON", "{", "status.json: line 1, column 2: invalid JSON: incomplete JSON"},
      {"unknown field", R"({"revision": 1, "services": [], "pools": [], "errors": [], "x": 1})", "status.json: x: unknown field"},
      {"bad address", R"({"revision": 1, "services": [{"namespace": "a", "name": "b", "ingress": ["x"], "pool": "", "events": []}], "pools": [], "errors": []})",
       "status.json: services[0].ingress[0]: \"x\" is not an IP address"},
      {"pool count not a number", R"({"revision": 1, "services": [], "pools": [{"name": "p", "assigned_ipv4": "1", "available_ipv4": 0, "assigned_ipv6": 0, "available_ipv6": 0, "stranded": 0}], "errors": []})",
       "status.json: pools[0].assigned_ipv4: expected an integer"},
  };
  expect_refused(rows, [](std::string_view text) {
    auto out = decode_status("status.json", text);
    return out.status ? std::vector<model::error>{} : std::move(out.errors);
  });
}

TEST(state_dir, write_then_read_back) {
  temp_dir t;
  state_dir sd(t.path() + "/state");
  auto first = sd.read_ledger();
  ASSERT_TRUE(first.ledger) << "no state directory yet means an empty ledger";
  EXPECT_EQ(*first.ledger, model::ledger{});

  state s;
  s.ledger = sample();
  s.services.push_back({"prod", "web", {*model::ip_address::parse("10.0.1.5")}, "prod",
                        {{"Normal", "IPAllocated", "Assigned IP [\"10.0.1.5\"]"}}});
  s.pools.push_back({"prod", 1, 255, 0, 0, 0});
  s.config_errors.push_back({"p.yaml", "IPAddressPool metallb-system/p", "spec.addresses[0]", "invalid CIDR \"x\""});
  EXPECT_TRUE(sd.write(s).empty());
  EXPECT_THAT(slurp(t.path() + "/state/status.json"),
              ::testing::HasSubstr("  \"errors\": [\n    {\"file\":\"p.yaml\",\"object\":\"IPAddressPool metallb-system/p\","
                                   "\"path\":\"spec.addresses[0]\",\"message\":\"invalid CIDR \\\"x\\\"\"}\n  ]\n}\n"));
  EXPECT_EQ(*sd.read_ledger().ledger, sample());
  EXPECT_THAT(slurp(t.path() + "/state/status.json"),
              ::testing::HasSubstr("{\"name\":\"prod\",\"assigned_ipv4\":1,\"available_ipv4\":255,"));
  for (const auto& e : std::filesystem::directory_iterator(t.path() + "/state")) {
    EXPECT_FALSE(e.path().filename().string().ends_with(".tmp")) << "no temporary left behind";
  }
}

TEST(state_dir, stale_temporary_from_a_crash_is_ignored_and_replaced) {
  temp_dir t;
  std::filesystem::create_directories(t.path());
  std::ofstream(t.path() + "/.ledger.json.tmp") << "{\"format\": \"bgplb-le";  // crash mid-write
  std::ofstream(t.path() + "/ledger.json") << encode_ledger(sample());
  state_dir sd(t.path());
  EXPECT_EQ(*sd.read_ledger().ledger, sample());
  model::ledger next = sample();
  next.revision = 8;
  EXPECT_FALSE(atomic_write(t.path(), "ledger.json", encode_ledger(next)));
  EXPECT_EQ(sd.read_ledger().ledger->revision, 8u);
}

// A state too large for one write buffer (several megabytes) reaches the files byte for
// byte as encode_* gives the text; a write that fails midway (the file size limit here)
// leaves the previous file in force and no temporary. (That the text is never whole in
// memory is the benchmark's to show: docs/memory.md.)
TEST(state_dir, large_files_round_trip_and_a_failed_write_keeps_the_old_one) {
  temp_dir t;
  state st;
  st.ledger.revision = 3;
  for (int i = 0; i < 40000; ++i) {
    const std::string name = "svc-" + std::to_string(i);
    const auto ip = model::ip_address::v4(0x0a000000u + static_cast<std::uint32_t>(i));
    st.ledger.entries.push_back({"default", name, {ip}, "pool", 1700000000 + i});
    st.services.push_back({"default", name, {ip}, "pool", {{"Normal", "IPAllocated", "Assigned IP " + ip.to_string()}}});
  }
  state_dir sd(t.path());
  ASSERT_TRUE(sd.write(st).empty());
  const auto ledger_text = encode_ledger(st.ledger);
  ASSERT_GT(ledger_text.size(), 3u << 20);
  EXPECT_TRUE(slurp(t.path() + "/ledger.json") == ledger_text);
  EXPECT_TRUE(slurp(t.path() + "/status.json") == encode_status(st));
  EXPECT_EQ(sd.read_ledger().ledger->entries.size(), 40000u);

  state bigger = st;
  bigger.ledger.revision = 4;
  struct rlimit before {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &before), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = before;
  small.rlim_cur = 1u << 20;  // the second buffer no longer fits
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const auto errors = sd.write(bigger);
  setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, old_handler);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].to_string(), ::testing::HasSubstr("write " + t.path() + "/.ledger.json.tmp: File too large"));
  EXPECT_EQ(sd.read_ledger().ledger->revision, 3u) << "the ledger in force stays";
  for (const auto& e : std::filesystem::directory_iterator(t.path())) {
    EXPECT_FALSE(e.path().filename().string().ends_with(".tmp")) << "no temporary left behind";
  }
}

TEST(state_dir, corrupt_ledger_is_refused) {
  temp_dir t;
  std::ofstream(t.path() + "/ledger.json") << "{\"format\": \"bgplb-ledger\", \"version\": 1, \"revision\": -3, "
                                              "\"allocations\": [], \"holds\": []}";
  state_dir sd(t.path());
  const auto r = sd.read_ledger();
  EXPECT_FALSE(r.ledger);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), t.path() + "/ledger.json: revision: must not be negative");
}

// Issue 18: a ledger path that is a directory was reported as "invalid JSON".
TEST(state_dir, a_ledger_that_is_not_a_file_says_so) {
  temp_dir t;
  std::filesystem::create_directories(t.path() + "/ledger.json");
  const auto r = state_dir(t.path()).read_ledger();
  EXPECT_FALSE(r.ledger);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), t.path() + "/ledger.json: not a regular file");
}

TEST(state_dir, write_failure_is_reported) {
  temp_dir t;
  std::ofstream(t.path() + "/file") << "x";
  state_dir sd(t.path() + "/file/sub");
  const auto errs = sd.write(state{});
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].to_string(), ::testing::HasSubstr("create directory"));
}

}  // namespace
}  // namespace store::file
