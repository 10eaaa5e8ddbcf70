// Leadership and the ledger on a real 3-member etcd (cluster.hpp): one of two campaigners
// leads and writes, standbys name the leader of the moment, the leader stays when etcd's
// raft leader is killed, a deposed leader's write is refused by etcd's compare, a kill -9'd
// leader process is replaced within the lease TTL, a new leader restores the ledger, a
// large change spans transactions, and writes stop without quorum. Skips without etcd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cluster.hpp"
#include "etcd/election.hpp"
#include "etcd/open.hpp"
#include "etcd/writer.hpp"
#include "recorder.hpp"

namespace store::etcd {
namespace {

using namespace std::chrono_literals;
using testing::cluster;
using testing::recorder;

model::ip_address ip(const std::string& s) { return *model::ip_address::parse(s); }

// A state whose ledger gives service s<i> the address 10.0.<i/250>.<i%250+1>.
store::state state_of(int services, std::uint64_t revision) {
  store::state s;
  s.ledger.revision = revision;
  for (int i = 0; i < services; ++i) {
    s.ledger.entries.push_back({"default", "s" + std::to_string(i),
                                {ip("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1))}, "prod", 1});
  }
  std::sort(s.ledger.entries.begin(), s.ledger.entries.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });  // a ledger's order
  s.ledger.holds.push_back({ip("10.9.0.1"), "default", "gone", "prod", 2});
  s.pools.push_back({"prod", services, 1000 - services, 0, 0, 0});
  return s;
}

store::open_options controller() {
  store::open_options o;
  o.controller = true;
  return o;
}

class etcd_election : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = cluster::missing(); !why.empty()) GTEST_SKIP() << why;
    c_ = std::make_unique<cluster>();
    ASSERT_TRUE(c_->wait_ready(20s));
  }
  std::string uri(const std::string& extra = "", const std::string& lease_ttl = "2s") const {
    return c_->uri("/bgplb", "timeout=1s&lease-ttl=" + lease_ttl + (extra.empty() ? "" : "&" + extra));
  }
  std::unique_ptr<cluster> c_;
};

TEST_F(etcd_election, one_of_two_leads_writes_and_speakers_see_the_assignments) {
  recorder ra, rb, speaker;
  auto a = open_etcd(uri(), controller());
  auto b = open_etcd(uri(), controller());
  a->campaign(ra.leader());
  ASSERT_TRUE(ra.wait([](const recorder& x) { return x.leading(); }));
  b->campaign(rb.leader());
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(rb.leading()) << "only one leads";
  EXPECT_THAT(b->leadership(), ::testing::HasSubstr(" leads (election key ")) << "and b says who";
  EXPECT_THAT(a->leadership(), ::testing::StartsWith("leading: this process ("));
  const auto refused = b->writer()->write(state_of(2, 1));
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_THAT(refused[0].message, ::testing::HasSubstr("does not lead"));
  EXPECT_TRUE(a->writer()->write(state_of(2, 1)).empty());

  auto s = open_etcd(uri(), {});
  EXPECT_EQ(s->writer(), nullptr);
  s->start(speaker.changes(), speaker.health());
  ASSERT_TRUE(speaker.wait([](const recorder& x) { return x.assignments() != nullptr && x.assignments()->size() == 2; }));
  speaker.wait([](const recorder& x) {
    EXPECT_EQ(x.assignments()->at({"default", "s1"}), std::vector<model::ip_address>{ip("10.0.0.2")});
    return true;
  }, 0ms);
  // What `bgplb plan` allocates from: the whole ledger, holds included, read-only.
  const auto published = s->read_published_ledger();
  ASSERT_TRUE(published && published->ledger) << (published ? model::to_string(published->errors) : "no ledger read");
  EXPECT_EQ(*published->ledger, state_of(2, 1).ledger);
  // The leader resigns: the other takes over at once (its predecessor's key is deleted).
  a->stop();
  ASSERT_TRUE(rb.wait([](const recorder& x) { return x.leading(); }, 3s));
  const auto r = b->writer()->read_ledger();
  ASSERT_TRUE(r.ledger) << model::to_string(r.errors);
  EXPECT_EQ(*r.ledger, state_of(2, 1).ledger);
  b->stop();
  s->stop();
}

// A writer whose guard names an election key that is not there (a deposed leader's):
// etcd refuses the Txn, nothing is written, the campaigner is told.
TEST_F(etcd_election, a_deposed_leaders_write_is_refused_by_the_compare) {
  client cl(parse_uri(uri()));
  const layout l("/bgplb");
  leadership lead;
  bool woken = false;
  lead.on_refused([&] { woken = true; });
  lead.set({l.election_prefix() + "00000000deadbeef", 5});
  writer w(cl, l, lead);
  EXPECT_TRUE(w.write(state_of(3, 1)).empty()) << "queued";
  ASSERT_TRUE(w.flush(5s));
  EXPECT_TRUE(woken);
  EXPECT_FALSE(lead.current());
  const auto r = w.read_ledger();
  ASSERT_TRUE(r.ledger);
  EXPECT_TRUE(r.ledger->entries.empty()) << "nothing written";
  EXPECT_EQ(w.write(state_of(3, 1)).size(), 1u) << "refused at once now";

  // The same through the datastore: a leader whose lease is revoked behind its back.
  recorder ra, rb;
  auto a = open_etcd(uri(), controller());
  a->campaign(ra.leader());
  ASSERT_TRUE(ra.wait([](const recorder& x) { return x.leading(); }));
  auto b = open_etcd(uri(), controller());
  b->campaign(rb.leader());
  EXPECT_TRUE(a->writer()->write(state_of(1, 1)).empty());
  ASSERT_TRUE(static_cast<writer*>(a->writer())->flush(5s));
  etcdserverpb::RangeRequest keys;
  keys.set_key(l.election_prefix());
  keys.set_range_end(range_end(l.election_prefix()));
  keys.set_sort_target(etcdserverpb::RangeRequest::CREATE);
  etcdserverpb::RangeResponse kr;
  ASSERT_FALSE(cl.range(keys, kr));
  ASSERT_GE(kr.kvs_size(), 1);
  ASSERT_FALSE(cl.lease_revoke(kr.kvs(0).lease()));
  a->writer()->write(state_of(5, 2));  // refused by the compare, or at once if it already knows
  ASSERT_TRUE(rb.wait([](const recorder& x) { return x.leading(); }, 5s));
  ASSERT_TRUE(ra.wait([](const recorder& x) { return !x.leading(); }, 5s));
  const auto after = b->writer()->read_ledger();
  ASSERT_TRUE(after.ledger);
  EXPECT_EQ(after.ledger->entries.size(), 1u) << "the deposed leader's write did not land";
  a->stop();
  b->stop();
}

// kill -9 of the leading process (etcd_probe --campaign): its lease expires within the
// TTL and the other campaigner leads.
TEST_F(etcd_election, takes_over_within_the_lease_ttl_after_kill_9) {
  const char* probe = std::getenv("ETCD_PROBE");
  if (probe == nullptr) GTEST_SKIP() << "ETCD_PROBE (the etcd_probe binary) is not set; meson test sets it";
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    const auto u = uri();
    execl(probe, probe, u.c_str(), "--campaign", "--node", "probe", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* lines = fdopen(out[0], "r");
  char line[4096];
  bool leading = false;
  while (!leading && std::fgets(line, sizeof line, lines) != nullptr) {
    leading = std::string(line).find(R"("event":"leader","leading":true)") != std::string::npos;
  }
  ASSERT_TRUE(leading) << "the probe never led";
  recorder rb;
  auto b = open_etcd(uri(), controller());
  b->campaign(rb.leader());
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(rb.leading());
  EXPECT_THAT(b->leadership(), ::testing::HasSubstr("probe pid " + std::to_string(pid) + " leads"));
  const auto killed = std::chrono::steady_clock::now();
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  std::fclose(lines);
  ASSERT_TRUE(rb.wait([](const recorder& x) { return x.leading(); }, 10s));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
  std::printf("takeover after kill -9: %lld ms (lease TTL 2000 ms)\n", static_cast<long long>(took.count()));
  EXPECT_LE(took, 2000ms + 500ms) << "within the lease TTL (plus one watch round trip)";
  b->stop();
}

// Three campaigners: those that stand by name the leader of the moment, also when the one
// that goes is not the key just before theirs.
TEST_F(etcd_election, standbys_name_the_leader_of_the_moment) {
  auto as = [](const std::string& node) {
    auto o = controller();
    o.node = node;
    return o;
  };
  recorder ra, rb, rc;
  auto a = open_etcd(uri(), as("alpha"));
  a->campaign(ra.leader());
  ASSERT_TRUE(ra.wait([](const recorder& x) { return x.leading(); }));
  auto b = open_etcd(uri(), as("bravo"));
  b->campaign(rb.leader());
  ASSERT_TRUE(rb.wait([](const recorder& x) { return !x.leads().empty(); }));
  auto c = open_etcd(uri(), as("charlie"));
  c->campaign(rc.leader());
  ASSERT_TRUE(rc.wait([](const recorder& x) { return !x.leads().empty(); }));
  const auto says = [](const datastore& d, const std::string& what) {
    for (int i = 0; i < 100 && d.leadership().find(what) == std::string::npos; ++i) std::this_thread::sleep_for(50ms);
    return d.leadership();
  };
  EXPECT_THAT(says(*b, "alpha pid"), ::testing::StartsWith("not leading: alpha pid "));
  EXPECT_THAT(says(*c, "alpha pid"), ::testing::StartsWith("not leading: alpha pid "));
  a->stop();  // resigns: bravo (watching alpha's key) leads; charlie watched bravo's
  ASSERT_TRUE(rb.wait([](const recorder& x) { return x.leading(); }, 3s));
  EXPECT_THAT(says(*c, "bravo pid"), ::testing::StartsWith("not leading: bravo pid "));
  EXPECT_FALSE(rc.leading());
  b->stop();
  ASSERT_TRUE(rc.wait([](const recorder& x) { return x.leading(); }, 3s));
  EXPECT_THAT(c->leadership(), ::testing::StartsWith("leading: this process (charlie pid "));
  c->stop();
}

// A change larger than max-txn-ops goes as several Txns; readers and a new leader get it whole.
TEST_F(etcd_election, large_changes_span_transactions) {
  recorder ra, speaker;
  auto a = open_etcd(uri("max-txn-ops=16"), controller());
  a->campaign(ra.leader());
  ASSERT_TRUE(ra.wait([](const recorder& x) { return x.leading(); }));
  auto s = open_etcd(uri(), {});
  s->start(speaker.changes(), speaker.health());
  EXPECT_TRUE(a->writer()->write(state_of(100, 1)).empty());
  ASSERT_TRUE(speaker.wait([](const recorder& x) { return x.assignments() != nullptr && x.assignments()->size() == 100; }));
  auto next = state_of(60, 2);  // 40 services go: deletions first
  EXPECT_TRUE(a->writer()->write(next).empty());
  ASSERT_TRUE(speaker.wait([](const recorder& x) { return x.assignments()->size() == 60; }));
  const auto r = a->writer()->read_ledger();
  ASSERT_TRUE(r.ledger) << model::to_string(r.errors);
  EXPECT_EQ(*r.ledger, next.ledger);
  a->stop();
  s->stop();
}

// etcd's raft leader killed, quorum kept: keep-alives go unanswered while the members
// elect another (1 to 2 election timeouts, more on a loaded machine), then a member
// answers them and the controller keeps leading, three rounds in a row. The TTL is 5 s
// here, as docs/etcd.md asks (four election timeouts and more; the default is 10 s):
// with a TTL of 2 s against a 1 s election timeout, a controller could not tell a raft
// election from a partition in time and one CI run under ASan stepped down.
TEST_F(etcd_election, leader_stays_when_the_etcd_leader_is_killed) {
  testing::cluster_options etcd_defaults;  // elections as slow as etcd's own defaults
  etcd_defaults.heartbeat_ms = 100;
  etcd_defaults.election_ms = 1000;
  c_ = std::make_unique<cluster>(etcd_defaults);
  ASSERT_TRUE(c_->wait_ready(20s));
  recorder ra;
  auto a = open_etcd(uri("", "5s"), controller());
  a->campaign(ra.leader());
  ASSERT_TRUE(ra.wait([](const recorder& x) { return x.leading(); }));
  for (int round = 0; round < 3; ++round) {
    const int raft_leader = c_->leader();
    ASSERT_GE(raft_leader, 0);
    c_->kill(raft_leader);
    std::this_thread::sleep_for(6s);  // more than a TTL
    c_->start(raft_leader);
    ASSERT_TRUE(c_->wait_ready(30s));
  }
  ra.wait([](const recorder& x) {
    EXPECT_EQ(x.leads(), std::vector<bool>{true}) << "leadership never changed hands";
    return true;
  }, 0ms);
  EXPECT_TRUE(a->writer()->write(state_of(1, 1)).empty());
  ASSERT_TRUE(static_cast<writer*>(a->writer())->flush(5s));
  a->stop();
}

// Without quorum the leader cannot renew its lease: it steps down within the TTL and
// writes stop; with the members back, leadership and writes resume.
TEST_F(etcd_election, writes_stop_without_quorum_and_resume) {
  recorder ra;
  auto a = open_etcd(uri(), controller());
  a->campaign(ra.leader());
  ASSERT_TRUE(ra.wait([](const recorder& x) { return x.leading(); }));
  EXPECT_TRUE(a->writer()->write(state_of(1, 1)).empty());
  ASSERT_TRUE(static_cast<writer*>(a->writer())->flush(5s));
  const int survivor = std::max(0, c_->leader());
  for (int i = 0; i < c_->size(); ++i) {
    if (i != survivor) c_->kill(i);
  }
  ASSERT_TRUE(ra.wait([](const recorder& x) { return !x.leading(); }, 15s));
  EXPECT_THAT(a->leadership(), ::testing::StartsWith("not leading: ")) << "and says why";
  EXPECT_EQ(a->writer()->write(state_of(2, 2)).size(), 1u) << "refused while not leading";
  for (int i = 0; i < c_->size(); ++i) c_->start(i);
  ASSERT_TRUE(c_->wait_ready(30s));
  ASSERT_TRUE(ra.wait([](const recorder& x) { return x.leading(); }, 30s));
  const auto r = a->writer()->read_ledger();
  ASSERT_TRUE(r.ledger) << model::to_string(r.errors);
  EXPECT_EQ(r.ledger->entries.size(), 1u);
  EXPECT_TRUE(a->writer()->write(state_of(2, 2)).empty());
  ASSERT_TRUE(static_cast<writer*>(a->writer())->flush(5s));
  EXPECT_EQ(a->writer()->read_ledger().ledger->entries.size(), 2u);
  a->stop();
}

}  // namespace
}  // namespace store::etcd
