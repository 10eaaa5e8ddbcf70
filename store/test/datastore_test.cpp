// The `file:` datastore on a real temporary directory (inotify, the state directory's
// ledger and lock) and the feed that carries its changes into a core.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "store/datastore.hpp"
#include "store/feed.hpp"
#include "fakes.hpp"
#include "store/file_datastore.hpp"
#include "store/state_dir.hpp"

namespace store {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct temp_dir {
  temp_dir() {
    char tmpl[] = "/tmp/bgplb-datastore-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { fs::remove_all(path); }
  std::string path;
};

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path + ".tmp") << text;
  fs::rename(path + ".tmp", path);
}

std::string service_yaml(const std::string& name, const std::string& ingress = "") {
  std::string s = "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
                  "\n  namespace: default\nspec:\n  type: LoadBalancer\n  clusterIP: 10.96.0.10\n  ports:\n  - port: 80\n";
  if (!ingress.empty()) s += "status:\n  loadBalancer:\n    ingress:\n    - ip: " + ingress + "\n";
  return s;
}

model::ledger ledger_of(std::initializer_list<std::pair<const char*, const char*>> entries) {
  model::ledger l;
  l.revision = 1;
  for (const auto& [name, ip] : entries) l.entries.push_back({"default", name, {*model::ip_address::parse(ip)}, "p", 1});
  return l;
}

// Collects what the datastore's sinks receive (on its thread).
struct collector {
  std::mutex m;
  std::condition_variable cv;
  std::vector<change> changes;
  std::vector<health> healths;

  void start(datastore& d) {
    d.start(
        [this](change c) {
          std::lock_guard g(m);
          changes.push_back(std::move(c));
          cv.notify_all();
        },
        [this](const health& h) {
          std::lock_guard g(m);
          healths.push_back(h);
          cv.notify_all();
        });
  }
  template <class F>
  bool wait(F cond) {
    std::unique_lock l(m);
    return cv.wait_for(l, 5s, [&] { return cond(); });
  }
  bool wait_changes(std::size_t n) { return wait([&] { return changes.size() >= n; }); }
};

model::assignments one(const char* name, const char* ip) { return {{{"default", name}, {*model::ip_address::parse(ip)}}}; }

TEST(file_datastore, delivers_objects_and_the_published_ledger_then_each_change) {
  temp_dir m, st;
  write_file(m.path + "/a.yaml", service_yaml("a"));
  ASSERT_FALSE(file::atomic_write(st.path, "ledger.json", file::encode_ledger(ledger_of({{"a", "10.0.0.1"}}))));
  open_options o;
  o.state_dir = st.path;
  auto d = open("file:" + m.path, o);
  EXPECT_EQ(d->writer(), nullptr);  // a speaker does not write
  collector c;
  c.start(*d);
  ASSERT_TRUE(c.wait_changes(1));
  {
    std::lock_guard g(c.m);
    EXPECT_TRUE(c.changes[0].full);
    EXPECT_EQ(c.changes[0].objects.snapshot->all<model::service>().size(), 1u);
    ASSERT_TRUE(c.changes[0].assignments);
    EXPECT_EQ(*c.changes[0].assignments, one("a", "10.0.0.1"));
  }
  ASSERT_TRUE(c.wait([&] { return !c.healths.empty() && c.healths.back().synced && c.healths.back().connected; }));

  // A manifest edit: objects change, assignments do not.
  write_file(m.path + "/b.yaml", service_yaml("b"));
  ASSERT_TRUE(c.wait_changes(2));
  {
    std::lock_guard g(c.m);
    EXPECT_FALSE(c.changes[1].full);
    EXPECT_EQ(c.changes[1].objects.changes.added.size(), 1u);
    EXPECT_FALSE(c.changes[1].assignments);
  }

  // The controller (another process) publishes a new ledger: only assignments change.
  ASSERT_FALSE(file::atomic_write(st.path, "ledger.json",
                                  file::encode_ledger(ledger_of({{"a", "10.0.0.1"}, {"b", "10.0.0.2"}}))));
  ASSERT_TRUE(c.wait_changes(3));
  {
    std::lock_guard g(c.m);
    ASSERT_TRUE(c.changes[2].assignments);
    EXPECT_EQ(c.changes[2].assignments->size(), 2u);
    EXPECT_EQ(c.changes[2].moved, (std::vector<model::name_key>{{"default", "b"}}));
    EXPECT_TRUE(c.changes[2].objects.changes.empty());
    EXPECT_EQ(c.changes[2].objects.snapshot, c.changes[1].objects.snapshot);
  }

  // A corrupt ledger keeps the last good assignments and says why.
  write_file(st.path + "/ledger.json", "{not json");
  ASSERT_TRUE(c.wait([&] { return !c.healths.back().connected; }));
  EXPECT_NE(c.healths.back().error.find("ledger.json"), std::string::npos) << c.healths.back().error;
  ASSERT_FALSE(file::atomic_write(st.path, "ledger.json", file::encode_ledger(ledger_of({{"a", "10.0.0.1"}}))));
  ASSERT_TRUE(c.wait([&] { return c.healths.back().connected; }));
  ASSERT_TRUE(c.wait_changes(4));
  {
    std::lock_guard g(c.m);
    EXPECT_EQ(c.changes[3].moved, (std::vector<model::name_key>{{"default", "b"}}));
  }

  // SIGHUP's resync: everything again, as a full change.
  d->resync();
  ASSERT_TRUE(c.wait_changes(5));
  {
    std::lock_guard g(c.m);
    EXPECT_TRUE(c.changes[4].full);
  }
  d->stop();
  d->stop();  // idempotent
}

TEST(file_datastore, a_controller_holds_the_state_directory_alone_and_publishes_what_it_writes) {
  temp_dir m, st;
  write_file(m.path + "/a.yaml", service_yaml("a"));
  open_options o;
  o.controller = true;
  o.state_dir = st.path;
  auto d = open(m.path, o);
  ASSERT_NE(d->writer(), nullptr);
  try {
    open("file:" + m.path, o);
    FAIL() << "a second controller on one state directory was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("is in use by another bgplb controller (pid " + std::to_string(::getpid()) + ")"),
              std::string::npos)
        << e.what();
  }
  bool leading = false;
  d->campaign([&](bool l) { leading = l; });
  EXPECT_TRUE(leading);
  collector c;
  c.start(*d);
  ASSERT_TRUE(c.wait_changes(1));
  state s;
  s.ledger = ledger_of({{"a", "10.0.0.7"}});
  EXPECT_TRUE(d->writer()->write(s).empty());
  ASSERT_TRUE(c.wait_changes(2));
  std::lock_guard g(c.m);
  ASSERT_TRUE(c.changes[1].assignments);
  EXPECT_EQ(*c.changes[1].assignments, one("a", "10.0.0.7"));
}

std::string node_yaml(const std::string& name, bool controller = false) {
  return "apiVersion: v1\nkind: Node\nmetadata:\n  name: " + name +
         (controller ? "\n  labels: {bgplb.io/controller: \"true\"}" : "") + "\n";
}

// Issue 15: with several nodes on one state directory exactly one allocates: the
// designated node (labelled, else the first by name) while it holds the lock; the others
// stand by and their writers refuse. Relabelling moves the controller.
TEST(file_datastore, nodes_elect_one_controller_from_the_manifests) {
  temp_dir m, st;
  write_file(m.path + "/nodes.yaml", node_yaml("n1") + "---\n" + node_yaml("n2"));
  open_options o;
  o.controller = true;
  o.standby = true;
  o.state_dir = st.path;
  o.node = "n1";
  auto a = open("file:" + m.path, o);
  o.node = "n2";
  auto b = open("file:" + m.path, o);
  std::atomic<int> a_leads{-1}, b_leads{-1};
  collector ca, cb;
  ca.start(*a);
  cb.start(*b);
  const auto sink = [](collector& c, std::atomic<int>& leads) {
    return [&c, &leads](bool l) {
      std::lock_guard g(c.m);
      leads = l;
      c.cv.notify_all();
    };
  };
  a->campaign(sink(ca, a_leads));
  b->campaign(sink(cb, b_leads));
  ASSERT_TRUE(ca.wait([&] { return a_leads == 1; }));
  ASSERT_TRUE(cb.wait([&] { return b_leads == 0; }));
  EXPECT_EQ(b->leadership(),
            "standing by: the controller runs on node n1 (the first Node by name; label a Node bgplb.io/controller=true to "
            "choose); run with --controller on to allocate here anyway");
  ASSERT_EQ(b->writer()->write(state{}).size(), 1u) << "a controller that stands by wrote";
  EXPECT_TRUE(a->writer()->write(state{}).empty());
  // An explicit second controller is refused while one holds the directory.
  open_options explicit_one = o;
  explicit_one.standby = false;
  EXPECT_THROW(open("file:" + m.path, explicit_one), std::invalid_argument);

  write_file(m.path + "/nodes.yaml", node_yaml("n1") + "---\n" + node_yaml("n2", true));
  ASSERT_TRUE(ca.wait([&] { return a_leads == 0; }));
  ASSERT_TRUE(cb.wait([&] { return b_leads == 1; }));  // n1 let the lock go
  EXPECT_EQ(b->leadership(), "leading: this node (n2) is the designated controller");
  EXPECT_EQ(a->writer()->write(state{}).size(), 1u);
  EXPECT_TRUE(b->writer()->write(state{}).empty());
}

TEST(file_datastore, without_a_ledger_services_status_is_the_assignment) {
  temp_dir m;
  write_file(m.path + "/a.yaml", service_yaml("a", "192.0.2.1"));
  auto d = open("file:" + m.path, {});
  collector c;
  c.start(*d);
  ASSERT_TRUE(c.wait_changes(1));
  {
    std::lock_guard g(c.m);
    EXPECT_EQ(*c.changes[0].assignments, one("a", "192.0.2.1"));
  }
  write_file(m.path + "/a.yaml", service_yaml("a", "192.0.2.9"));
  ASSERT_TRUE(c.wait_changes(2));
  std::lock_guard g(c.m);
  ASSERT_TRUE(c.changes[1].assignments);
  EXPECT_EQ(*c.changes[1].assignments, one("a", "192.0.2.9"));
  EXPECT_EQ(c.changes[1].moved, (std::vector<model::name_key>{{"default", "a"}}));
}

// A tree that cannot be listed (EMFILE, EACCES, ...) keeps everything in force: the
// datastore reports itself stale, delivers nothing that would withdraw a route, and
// reads again until it can.
TEST(file_datastore, a_failed_listing_keeps_the_last_good_state) {
  // The in-memory disk, whose listing fails while `failing` is set (from the test's thread).
  struct flaky_filesystem final : file::filesystem {
    explicit flaky_filesystem(std::shared_ptr<file::fakes::fake_disk> d) : inner(std::move(d)) {}
    listing list(const std::string& root) override {
      if (*failing) return {{}, "Too many open files"};
      return inner.list(root);
    }
    contents read(const std::string& root, const std::string& p) override { return inner.read(root, p); }
    file::fakes::fake_filesystem inner;
    std::shared_ptr<std::atomic<bool>> failing = std::make_shared<std::atomic<bool>>(false);
  };
  auto disk = std::make_shared<file::fakes::fake_disk>();
  disk->files["a.yaml"] = service_yaml("a");
  auto fsys = std::make_unique<flaky_filesystem>(disk);
  auto failing = fsys->failing;
  file::datastore d("/m", std::move(fsys),
                    std::make_unique<file::fakes::fake_watcher>(std::make_shared<std::deque<bool>>()), {});
  collector c;
  c.start(d);
  ASSERT_TRUE(c.wait_changes(1));
  ASSERT_TRUE(c.wait([&] { return !c.healths.empty() && c.healths.back().connected; }));
  *failing = true;
  d.resync();
  ASSERT_TRUE(c.wait([&] { return !c.healths.back().connected; }));
  EXPECT_EQ(c.healths.back().error, "cannot list /m: Too many open files");
  EXPECT_TRUE(c.healths.back().synced);
  {
    std::lock_guard g(c.m);
    EXPECT_EQ(c.changes.size(), 1u) << "a failed listing was delivered as a change";
  }
  *failing = false;
  ASSERT_TRUE(c.wait([&] { return c.healths.back().connected; }));  // retried on its own
  ASSERT_TRUE(c.wait_changes(2));
  std::lock_guard g(c.m);
  EXPECT_EQ(c.changes[1].objects.snapshot->size(), 1u);
  EXPECT_TRUE(c.changes[1].objects.changes.empty());
}

TEST(open, names_what_is_wrong_with_a_uri) {
  const auto refusal = [](const std::string& uri) {
    try {
      open(uri, {});
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refusal("zookeeper://x"), "zookeeper://x: unknown datastore (want file:DIR, kubernetes: or etcd://HOST:PORT)");
  // etcd: URIs reach the etcd backend, which names what is wrong.
  EXPECT_EQ(refusal("etcd://127.0.0.1:0"), "datastore \"etcd://127.0.0.1:0\": endpoint \"127.0.0.1:0\": port must be 1-65535");
  EXPECT_EQ(refusal("file:/nonexistent/dir"), "file:/nonexistent/dir: /nonexistent/dir: No such file or directory");
  EXPECT_EQ(refusal("file:/etc/hostname"), "file:/etc/hostname: /etc/hostname is not a directory");
  EXPECT_EQ(refusal("file:"), "file:: no directory given (file:DIR)");
}

// The feed posts onto the core and hands each change to every consumer in order.
TEST(feed, carries_changes_to_consumers_on_the_core_thread) {
  temp_dir m;
  write_file(m.path + "/a.yaml", service_yaml("a"));
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  struct recorder : consumer {
    std::thread::id core;
    std::vector<bool> on_core;
    std::size_t objects = 0;
    void on_change(const change& c) override {
      on_core.push_back(std::this_thread::get_id() == core);
      objects = c.objects.snapshot->size();
    }
  } r1, r2;
  r1.core = r2.core = std::this_thread::get_id();
  feed f(io, open("file:" + m.path, {}), {&r1, &r2});
  ASSERT_FALSE(f.start());
  for (int i = 0; i < 500 && r2.on_core.empty(); ++i) io.run_for(10ms);
  ASSERT_EQ(r1.on_core, std::vector<bool>{true});
  ASSERT_EQ(r2.on_core, std::vector<bool>{true});
  EXPECT_EQ(r1.objects, 1u);
  for (int i = 0; i < 500 && !f.current_health().synced; ++i) io.run_for(10ms);
  EXPECT_FALSE(f.not_ready());
  bool stopped = false;
  f.stop([&] { stopped = true; });
  for (int i = 0; i < 500 && !stopped; ++i) io.run_for(10ms);
  EXPECT_TRUE(stopped);
}

// A refused manifest is logged once (config_error); its fix is logged too
// (config_recovered), through the feed as a process runs it.
TEST(feed, logs_a_refused_manifest_and_its_recovery) {
  temp_dir m;
  write_file(m.path + "/a.yaml", service_yaml("a"));
  write_file(m.path + "/b.yaml", "kind: [");
  std::ostringstream logs;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(logs));
  logger->set_pattern("%v");
  spdlog::set_default_logger(logger);
  struct restore {
    std::shared_ptr<spdlog::logger> l;
    ~restore() { spdlog::set_default_logger(l); }
  } restore_logger{previous};

  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  struct counter : consumer {
    int changes = 0;
    void on_change(const change&) override { ++changes; }
  } c;
  store::open_options o;
  o.coalesce = 5ms;
  feed f(io, open("file:" + m.path, o), {&c});
  ASSERT_FALSE(f.start());
  auto run_until = [&](auto cond) {
    for (int i = 0; i < 500 && !cond(); ++i) io.run_for(10ms);
    return cond();
  };
  ASSERT_TRUE(run_until([&] { return logs.str().find("event=config_error") != std::string::npos; })) << logs.str();
  EXPECT_NE(logs.str().find("b.yaml: line 1, column 1: YAML syntax error"), std::string::npos) << logs.str();
  EXPECT_EQ(logs.str().find("config_recovered"), std::string::npos) << logs.str();

  write_file(m.path + "/b.yaml", service_yaml("b"));
  EXPECT_TRUE(run_until([&] { return logs.str().find("event=config_recovered resolved=1") != std::string::npos; }))
      << logs.str();
  bool stopped = false;
  f.stop([&] { stopped = true; });
  EXPECT_TRUE(run_until([&] { return stopped; }));
}

}  // namespace
}  // namespace store
