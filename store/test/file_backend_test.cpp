// Tests of store::file::backend with an in-memory filesystem and a scripted watcher:
// broken files keep their last good objects, cross-object errors refuse the changed
// file, bursts are coalesced into one rescan (but the first complete change after a quiet
// period is read at once), a watcher that names files gets only those
// read, and random edits give what the whole-rebuild algorithm gives.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "fakes.hpp"
#include "model/validate.hpp"
#include "store/file_backend.hpp"

namespace store::file {
namespace {

using fakes::fake_disk;
using fakes::fake_filesystem;
using fakes::fake_watcher;

std::string pool(const std::string& name, const std::string& addresses) {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name +
         "}\nspec: {addresses: " + addresses + "}\n";
}

std::string svc(const std::string& name, const std::string& spec = "") {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec: {type: LoadBalancer" +
         (spec.empty() ? "" : ", " + spec) + "}\n";
}

struct harness {
  std::shared_ptr<fake_disk> disk = std::make_shared<fake_disk>();
  std::shared_ptr<std::deque<bool>> script = std::make_shared<std::deque<bool>>();
  backend b{"/m", std::make_unique<fake_filesystem>(disk), std::make_unique<fake_watcher>(script),
            options{std::chrono::milliseconds{1}, std::chrono::milliseconds{1000}, {}}};
};

// A backend whose watcher names the changed files (as inotify does).
struct named_harness {
  std::shared_ptr<fake_disk> disk = std::make_shared<fake_disk>();
  std::shared_ptr<std::deque<bool>> script = std::make_shared<std::deque<bool>>();
  std::shared_ptr<std::optional<std::vector<std::string>>> named =
      std::make_shared<std::optional<std::vector<std::string>>>(std::vector<std::string>{});
  backend b{"/m", std::make_unique<fake_filesystem>(disk), std::make_unique<fake_watcher>(script, named),
            options{std::chrono::milliseconds{1}, std::chrono::milliseconds{1000}, {}}};

  std::optional<update> change(std::vector<std::string> paths) {
    *named = std::move(paths);
    *script = {true, false};
    return b.wait(std::chrono::milliseconds{1});
  }
};

std::vector<std::string> keys(const std::vector<model::object_key>& ks) {
  std::vector<std::string> out;
  for (const auto& k : ks) out.push_back(k.to_string());
  return out;
}

std::vector<std::string> errors(const update& u) {
  std::vector<std::string> out;
  for (const auto& e : u.errors) out.push_back(e.to_string());
  return out;
}

const model::ip_address_pool* find_pool(const update& u, const std::string& name) {
  return u.snapshot->find<model::ip_address_pool>("metallb-system", name);
}

TEST(file_backend, initial_load_skips_non_manifests_and_broken_files) {
  harness h;
  h.disk->files = {
      {"pools/a.yaml", pool("a", "[10.0.0.0/24]")},
      {"svc.json", R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"}})"},
      {"notes.txt", "not yaml: ["},
      {".hidden.yaml", pool("h", "[10.9.0.0/24]")},
      {".git/x.yaml", pool("g", "[10.8.0.0/24]")},
      {"broken.yml", "kind: ["},
  };
  const auto u = h.b.list();
  EXPECT_EQ(u.snapshot->size(), 2u);
  EXPECT_NE(find_pool(u, "a"), nullptr);
  EXPECT_THAT(errors(u), ::testing::ElementsAre("broken.yml: line 1, column 1: YAML syntax error: end of sequence flow not found"));
  EXPECT_THAT(keys(u.changes.added), ::testing::ElementsAre("Service default/web", "IPAddressPool metallb-system/a"));
}

// Issue 18: a listing that fails was taken for an empty directory, which removed every
// object and de-configured every peer. Now nothing changes and the reason is given.
TEST(file_backend, a_failed_listing_changes_nothing) {
  harness h;
  h.disk->files = {{"p.yaml", pool("a", "[10.0.0.0/24]")}};
  const auto first = h.b.list();
  h.disk->list_error = "Too many open files";
  const auto u = h.b.list();
  EXPECT_EQ(u.io_error, "cannot list /m: Too many open files");
  EXPECT_EQ(u.snapshot, first.snapshot);
  EXPECT_TRUE(u.changes.empty());
  h.disk->list_error.clear();
  const auto again = h.b.list();
  EXPECT_EQ(again.io_error, "");
  EXPECT_TRUE(again.changes.empty());
  EXPECT_NE(find_pool(again, "a"), nullptr);
}

TEST(file_backend, broken_edit_keeps_last_good_version_until_fixed) {
  harness h;
  h.disk->files = {{"p.yaml", pool("a", "[10.0.0.0/24]")}};
  h.b.list();

  struct step {
    const char* description;
    std::string text;
    std::vector<std::string> errors;
    std::string first_address;  // of pool a in force
    std::vector<std::string> modified;
  };
  const step steps[] = {
      {"field error: old version stays", pool("a", "[10.0.0.0/33]"),
       {"p.yaml: IPAddressPool metallb-system/a: spec.addresses[0]: invalid CIDR \"10.0.0.0/33\""}, "10.0.0.0/24", {}},
      {"syntax error: old version stays", "kind: [",
       {"p.yaml: line 1, column 1: YAML syntax error: end of sequence flow not found"}, "10.0.0.0/24", {}},
      {"fixed: new version in force", pool("a", "[10.0.1.0/24]"), {}, "10.0.1.0/24", {"IPAddressPool metallb-system/a"}},
  };
  for (const auto& s : steps) {
    h.disk->files["p.yaml"] = s.text;
    const auto u = h.b.list();
    EXPECT_EQ(errors(u), s.errors) << s.description;
    ASSERT_NE(find_pool(u, "a"), nullptr) << s.description;
    EXPECT_EQ(find_pool(u, "a")->addresses.at(0), s.first_address) << s.description;
    EXPECT_EQ(keys(u.changes.modified), s.modified) << s.description;
  }
}

TEST(file_backend, cross_object_error_refuses_the_changed_file) {
  harness h;
  h.disk->files = {{"lab.yaml", pool("lab", "[10.0.1.0/24]")}, {"prod.yaml", pool("prod", "[10.0.2.0/24]")}};
  h.b.list();
  h.disk->files["prod.yaml"] = pool("prod", "[10.0.2.0/24, 10.0.0.0/23]");
  auto u = h.b.list();
  EXPECT_THAT(errors(u), ::testing::ElementsAre("prod.yaml: IPAddressPool metallb-system/prod: spec.addresses[1]: "
                                                "10.0.0.0/23 overlaps pool \"lab\" (10.0.1.0/24 in lab.yaml), which "
                                                "stays in force"));
  EXPECT_EQ(find_pool(u, "prod")->addresses.size(), 1u);
  EXPECT_TRUE(u.changes.empty());

  // The new pool sorts before the one in force ("aaa" < "zzz"): still the new one is blamed,
  // and the error says which pool stays.
  h.disk->files["zzz.yaml"] = pool("zzz", "[10.5.0.0/24]");
  h.b.list();
  h.disk->files["aaa.yaml"] = pool("aaa", "[10.5.0.0/25]");
  u = h.b.list();
  EXPECT_EQ(find_pool(u, "aaa"), nullptr);
  EXPECT_NE(find_pool(u, "zzz"), nullptr);
  EXPECT_THAT(errors(u), ::testing::Contains("aaa.yaml: IPAddressPool metallb-system/aaa: spec.addresses[0]: 10.5.0.0/25 "
                                             "overlaps pool \"zzz\" (10.5.0.0/24 in zzz.yaml), which stays in force"));

  // Removing the conflicting file lets the refused one in without another edit.
  h.disk->files.erase("zzz.yaml");
  h.disk->files.erase("prod.yaml");
  u = h.b.list();
  EXPECT_TRUE(u.errors.empty()) << model::to_string(u.errors);
  EXPECT_NE(find_pool(u, "aaa"), nullptr);
  EXPECT_THAT(keys(u.changes.added), ::testing::ElementsAre("IPAddressPool metallb-system/aaa"));
  EXPECT_THAT(keys(u.changes.removed),
              ::testing::ElementsAre("IPAddressPool metallb-system/prod", "IPAddressPool metallb-system/zzz"));
}

TEST(file_backend, innocent_file_in_the_same_burst_is_admitted) {
  harness h;
  h.disk->files = {{"zzz.yaml", pool("zzz", "[10.5.0.0/24]")}};
  h.b.list();
  h.disk->files["aaa.yaml"] = pool("aaa", "[10.5.0.0/25]");
  h.disk->files["svc.yaml"] = svc("web");
  const auto u = h.b.list();
  EXPECT_EQ(find_pool(u, "aaa"), nullptr);
  EXPECT_NE(u.snapshot->find<model::service>("default", "web"), nullptr);
  EXPECT_THAT(errors(u), ::testing::ElementsAre("aaa.yaml: IPAddressPool metallb-system/aaa: spec.addresses[0]: "
                                                "10.5.0.0/25 overlaps pool \"zzz\" (10.5.0.0/24 in zzz.yaml), which "
                                                "stays in force"));
}

// The object that introduces a conflict is the one refused, whatever the names: a new
// file sorting first that redefines a Service in force, or a pool overlapping one in force.
TEST(file_backend, the_newcomer_is_refused_and_the_error_says_what_stays) {
  named_harness h;
  h.disk->files = {{"z.yaml", svc("web") + "---\n" + pool("zzz", "[10.5.0.0/24]")}};
  h.b.list();
  h.disk->files["a.yaml"] = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {type: ClusterIP}\n";
  auto u = h.change({"a.yaml"});
  ASSERT_TRUE(u);
  EXPECT_THAT(errors(*u), ::testing::ElementsAre(
                              "a.yaml: Service default/web: metadata.name: defined twice; the definition in z.yaml is in force"));
  EXPECT_EQ(u->snapshot->find<model::service>("default", "web")->type, "LoadBalancer") << "z.yaml's Service stays";
  EXPECT_TRUE(u->changes.empty());

  h.disk->files["a.yaml"] = pool("aaa", "[10.5.0.128/25]");
  u = h.change({"a.yaml"});
  ASSERT_TRUE(u);
  EXPECT_THAT(errors(*u), ::testing::ElementsAre("a.yaml: IPAddressPool metallb-system/aaa: spec.addresses[0]: "
                                                 "10.5.0.128/25 overlaps pool \"zzz\" (10.5.0.0/24 in z.yaml), which "
                                                 "stays in force"));
  EXPECT_EQ(find_pool(*u, "aaa"), nullptr);

  // An edit of z.yaml that keeps both definitions keeps them in force.
  h.disk->files["z.yaml"] = svc("web") + "---\n" + pool("zzz", "[10.5.0.0/24]") + "---\n" + svc("other");
  u = h.change({"z.yaml"});
  ASSERT_TRUE(u);
  EXPECT_THAT(keys(u->changes.added), ::testing::ElementsAre("Service default/other"));
  EXPECT_EQ(errors(*u).size(), 1u) << model::to_string(u->errors);
  EXPECT_NE(find_pool(*u, "zzz"), nullptr);
}

TEST(file_backend, initial_conflict_blames_one_file_and_duplicates_the_later) {
  harness h;
  h.disk->files = {{"1.yaml", svc("web")}, {"2.yaml", svc("web")}, {"3.yaml", pool("b", "[10.0.0.0/24]")},
                   {"4.yaml", pool("c", "[10.0.0.0/25]")}};
  const auto u = h.b.list();
  EXPECT_THAT(errors(u), ::testing::ElementsAre(
                             "2.yaml: Service default/web: metadata.name: defined twice; the definition in 1.yaml is in force",
                             "4.yaml: IPAddressPool metallb-system/c: spec.addresses[0]: 10.0.0.0/25 overlaps pool \"b\" "
                             "(10.0.0.0/24 in 3.yaml)"));
  EXPECT_NE(find_pool(u, "b"), nullptr);
  EXPECT_EQ(find_pool(u, "c"), nullptr);
}

// The definitions in force are keyed by views into their first definition's object: when
// that file goes, the duplicate takes over under a key read from its own object, and the
// key keeps working after the old object is gone (ASan would see a stale view).
TEST(file_backend, a_duplicate_takes_over_when_the_file_in_force_goes) {
  harness h;
  h.disk->files = {{"1.yaml", svc("web", "ports: [{port: 81}]")}, {"2.yaml", svc("web", "ports: [{port: 82}]")}};
  auto u = h.b.list();
  ASSERT_EQ(errors(u).size(), 1u);
  h.disk->files.erase("1.yaml");
  u = h.b.list();
  EXPECT_TRUE(u.errors.empty()) << model::to_string(u.errors);
  EXPECT_THAT(keys(u.changes.modified), ::testing::ElementsAre("Service default/web"));
  const auto* web = u.snapshot->find<model::service>("default", "web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->ports.at(0).port, 82);
  for (int port : {83, 84}) {
    h.disk->files["2.yaml"] = svc("web", "ports: [{port: " + std::to_string(port) + "}]");
    u = h.b.list();
    EXPECT_TRUE(u.errors.empty()) << model::to_string(u.errors);
    EXPECT_THAT(keys(u.changes.modified), ::testing::ElementsAre("Service default/web")) << port;
    web = u.snapshot->find<model::service>("default", "web");
    ASSERT_NE(web, nullptr);
    EXPECT_EQ(web->ports.at(0).port, port);
  }
  h.disk->files.erase("2.yaml");
  u = h.b.list();
  EXPECT_THAT(keys(u.changes.removed), ::testing::ElementsAre("Service default/web"));
}

TEST(file_backend, unreadable_file_keeps_objects) {
  harness h;
  h.disk->files = {{"s.yaml", svc("web")}};
  h.b.list();
  h.disk->unreadable.insert("s.yaml");
  const auto u = h.b.list();
  EXPECT_THAT(errors(u), ::testing::ElementsAre("s.yaml: cannot read: Permission denied"));
  EXPECT_NE(u.snapshot->find<model::service>("default", "web"), nullptr);
}

TEST(file_backend, wait_coalesces_bursts_and_ignores_no_ops) {
  harness h;
  h.disk->files = {{"s.yaml", svc("a")}};
  h.b.list();
  const int lists_before = h.disk->lists;

  EXPECT_FALSE(h.b.wait(std::chrono::milliseconds{1})) << "no events";

  *h.script = {true, true, true, false};
  h.disk->files["t.yaml"] = svc("b");
  auto u = h.b.wait(std::chrono::milliseconds{1});
  ASSERT_TRUE(u);
  EXPECT_EQ(h.disk->lists, lists_before + 1) << "three events, one rescan";
  EXPECT_THAT(keys(u->changes.added), ::testing::ElementsAre("Service default/b"));
  EXPECT_TRUE(h.script->empty());

  *h.script = {true, false};
  EXPECT_FALSE(h.b.wait(std::chrono::milliseconds{1})) << "events without a change";

  h.disk->files["s.yaml"] = "kind: [";
  *h.script = {true, false};
  u = h.b.wait(std::chrono::milliseconds{1});
  ASSERT_TRUE(u) << "a new error is news even without object changes";
  EXPECT_TRUE(u->changes.empty());
  EXPECT_EQ(u->errors.size(), 1u);
}

// Coalescing only under load, with a watcher that names files and can tell a change is
// complete (as inotify can): the first complete change after a quiet period is read alone
// and at once, the events that follow within the quiet time are read together, and a
// change that is not complete is never read at once.
struct coalescing_harness {
  explicit coalescing_harness(std::chrono::milliseconds quiet)
      : b{"/m", std::make_unique<fake_filesystem>(disk), std::make_unique<fake_watcher>(script, named, complete),
          options{quiet, std::chrono::seconds{100}, {}}} {}
  std::shared_ptr<fake_disk> disk = std::make_shared<fake_disk>();
  std::shared_ptr<std::deque<bool>> script = std::make_shared<std::deque<bool>>();
  std::shared_ptr<std::optional<std::vector<std::string>>> named =
      std::make_shared<std::optional<std::vector<std::string>>>(std::vector<std::string>{});
  std::shared_ptr<bool> complete = std::make_shared<bool>(true);
  backend b;
};

TEST(file_backend, reads_the_first_complete_change_at_once_and_coalesces_what_follows) {
  // A quiet time far longer than this test: every change after the first is "within it".
  coalescing_harness h(std::chrono::seconds{100});
  h.disk->files = {{"a.yaml", svc("a")}, {"b.yaml", svc("b")}, {"c.yaml", svc("c")}};
  h.b.list();
  h.disk->reads.clear();

  *h.named = std::vector<std::string>{".tmp-a.yaml"};  // the temporary file of a write-then-rename
  *h.script = {true, true};
  EXPECT_FALSE(h.b.wait(std::chrono::milliseconds{1})) << "no manifest changed";
  EXPECT_EQ(h.script->size(), 1u) << "read at once";
  h.script->clear();

  h.disk->files["a.yaml"] = svc("a") + "---\n" + svc("a2");
  *h.named = std::vector<std::string>{"a.yaml"};
  *h.script = {true, true, true, false};
  auto u = h.b.wait(std::chrono::milliseconds{1});
  ASSERT_TRUE(u);
  EXPECT_THAT(keys(u->changes.added), ::testing::ElementsAre("Service default/a2"));
  EXPECT_EQ(h.script->size(), 3u)
      << "read at once (what was no change does not count as a delivery): the events after the first are still queued";

  h.disk->files["b.yaml"] = svc("b") + "---\n" + svc("b2");
  h.disk->files["c.yaml"] = svc("c") + "---\n" + svc("c2");
  *h.named = std::vector<std::string>{"b.yaml", "c.yaml"};
  u = h.b.wait(std::chrono::milliseconds{1});
  ASSERT_TRUE(u);
  EXPECT_THAT(keys(u->changes.added), ::testing::ElementsAre("Service default/b2", "Service default/c2"));
  EXPECT_TRUE(h.script->empty()) << "within the quiet time of the last read: every event taken, one read";
  EXPECT_EQ(h.disk->reads, (std::map<std::string, int>{{"a.yaml", 1}, {"b.yaml", 1}, {"c.yaml", 1}}));
}

TEST(file_backend, an_incomplete_change_waits_for_the_quiet_time) {
  coalescing_harness h(std::chrono::milliseconds{1});
  h.disk->files = {{"a.yaml", svc("a")}};
  h.b.list();

  *h.complete = false;  // a file still open for writing
  h.disk->files["a.yaml"] = svc("a") + "---\n" + svc("a2");
  *h.named = std::vector<std::string>{"a.yaml"};
  *h.script = {true, true, true, false};
  auto u = h.b.wait(std::chrono::milliseconds{1});
  ASSERT_TRUE(u);
  EXPECT_TRUE(h.script->empty()) << "not read at once: every event taken first";

  std::this_thread::sleep_for(std::chrono::milliseconds{20});  // past the quiet time
  *h.complete = true;
  h.disk->files["a.yaml"] = svc("a");
  *h.named = std::vector<std::string>{"a.yaml"};
  *h.script = {true, true, false};
  u = h.b.wait(std::chrono::milliseconds{1});
  ASSERT_TRUE(u);
  EXPECT_THAT(keys(u->changes.removed), ::testing::ElementsAre("Service default/a2"));
  EXPECT_EQ(h.script->size(), 2u) << "complete after a quiet period: read at once";
}

TEST(file_backend, named_change_reads_only_that_file) {
  named_harness h;
  h.disk->files = {{"a.yaml", svc("a")}, {"b.yaml", svc("b")}, {"p.yaml", pool("p", "[10.0.0.0/24]")}};
  h.b.list();
  h.disk->reads.clear();
  const int lists = h.disk->lists;

  h.disk->files["a.yaml"] = svc("a") + "---\n" + svc("a2");
  auto u = h.change({"a.yaml", ".tmp-a.yaml", "notes.txt"});
  ASSERT_TRUE(u);
  EXPECT_EQ(h.disk->lists, lists) << "no listing";
  EXPECT_EQ(h.disk->reads, (std::map<std::string, int>{{"a.yaml", 1}})) << "only the named manifest is read";
  EXPECT_THAT(keys(u->changes.added), ::testing::ElementsAre("Service default/a2"));
  EXPECT_NE(u->snapshot->find<model::service>("default", "b"), nullptr);
  EXPECT_NE(find_pool(*u, "p"), nullptr);

  h.disk->files.erase("b.yaml");
  u = h.change({"b.yaml"});
  ASSERT_TRUE(u);
  EXPECT_THAT(keys(u->changes.removed), ::testing::ElementsAre("Service default/b"));
  EXPECT_TRUE(u->errors.empty()) << model::to_string(u->errors);

  EXPECT_FALSE(h.change({"a.yaml"})) << "named but unchanged";
  EXPECT_FALSE(h.change({"gone.yaml"})) << "named but never there";

  *h.named = std::nullopt;  // the watcher lost track: everything is read again
  h.disk->reads.clear();
  *h.script = {true, false};
  EXPECT_FALSE(h.b.wait(std::chrono::milliseconds{1}));
  EXPECT_EQ(h.disk->lists, lists + 1);
  EXPECT_EQ(h.disk->reads.size(), 2u);
}

TEST(file_backend, named_changes_keep_refusals_until_fixed) {
  named_harness h;
  h.disk->files = {{"lab.yaml", pool("lab", "[10.0.1.0/24]")}, {"web.yaml", svc("web")}};
  h.b.list();

  h.disk->files["prod.yaml"] = pool("prod", "[10.0.0.0/23]");
  auto u = h.change({"prod.yaml"});
  ASSERT_TRUE(u);
  EXPECT_THAT(errors(*u), ::testing::ElementsAre("prod.yaml: IPAddressPool metallb-system/prod: spec.addresses[0]: "
                                                 "10.0.0.0/23 overlaps pool \"lab\" (10.0.1.0/24 in lab.yaml), which "
                                                 "stays in force"));
  EXPECT_EQ(find_pool(*u, "prod"), nullptr);

  h.disk->files["x.yaml"] = svc("web");
  u = h.change({"x.yaml"});
  ASSERT_TRUE(u);
  EXPECT_THAT(errors(*u), ::testing::ElementsAre(
                              "prod.yaml: IPAddressPool metallb-system/prod: spec.addresses[0]: 10.0.0.0/23 overlaps "
                              "pool \"lab\" (10.0.1.0/24 in lab.yaml), which stays in force",
                              "x.yaml: Service default/web: metadata.name: defined twice; the definition in "
                              "web.yaml is in force"))
      << "a Service-only change still reports a duplicate key, and the refusal in force";
  EXPECT_TRUE(u->changes.empty());

  // Removing the pool it overlaps lets the refused file in without an edit of its own.
  h.disk->files.erase("lab.yaml");
  u = h.change({"lab.yaml"});
  ASSERT_TRUE(u);
  EXPECT_NE(find_pool(*u, "prod"), nullptr);
  EXPECT_THAT(keys(u->changes.added), ::testing::ElementsAre("IPAddressPool metallb-system/prod"));
  EXPECT_THAT(keys(u->changes.removed), ::testing::ElementsAre("IPAddressPool metallb-system/lab"));
  EXPECT_EQ(u->errors.size(), 1u);
}

// The algorithm before changes were incremental, kept as the oracle: every file read,
// whole snapshots built and validated for each candidate state, diffed whole.
class reference_backend {
 public:
  explicit reference_backend(std::shared_ptr<fake_disk> d) : disk_(std::move(d)) {}

  update rescan() {
    std::map<std::string, file_state> next;
    std::map<std::string, std::vector<model::object>> candidates;
    for (const auto& [path, text] : disk_->files) {
      if (!is_manifest(path)) continue;
      file_state st;
      if (auto it = files_.find(path); it != files_.end()) st = std::move(it->second);
      if (disk_->unreadable.contains(path)) {
        st.text.reset();
        st.errors = {{path, "", "", "cannot read: Permission denied"}};
      } else if (st.text != text || !st.errors.empty()) {
        st.text = text;
        auto d = model::decode(path, text);
        st.errors = std::move(d.errors);
        if (st.errors.empty()) candidates[path] = std::move(d.objects);
      }
      next.emplace(path, std::move(st));
    }
    auto in_force = [&] {
      std::map<std::string, const std::vector<model::object>*> in;
      for (const auto& [path, st] : next) in[path] = &st.good;
      return in;
    };
    std::map<std::string, std::vector<model::object>> set_aside;
    const auto baseline = texts(validate(build(in_force())));
    while (!candidates.empty()) {
      auto in = in_force();
      for (const auto& [path, objects] : candidates) in[path] = &objects;
      std::set<std::string> blamed;
      bool added = false;
      for (const auto& e : validate(build(in))) {
        if (baseline.contains(e.to_string())) continue;
        added = true;
        if (candidates.contains(e.file)) blamed.insert(e.file);
      }
      if (!added) break;
      if (blamed.empty()) {
        for (const auto& [path, objects] : candidates) blamed.insert(path);
      }
      for (const auto& path : blamed) set_aside[path] = std::move(candidates.extract(path).mapped());
    }
    for (auto& [path, objects] : candidates) next[path].good = std::move(objects);
    for (auto& [path, objects] : set_aside) {
      auto in = in_force();
      const auto before = texts(validate(build(in)));
      in[path] = &objects;
      std::vector<model::error> own;
      std::optional<model::error> elsewhere;
      for (auto& e : validate(build(in))) {
        if (before.contains(e.to_string())) continue;
        if (e.file == path) own.push_back(std::move(e));
        else if (!elsewhere) elsewhere = std::move(e);
      }
      if (own.empty() && !elsewhere) next[path].good = std::move(objects);
      else if (!own.empty()) next[path].errors = std::move(own);
      else next[path].errors = {{path, "", "", "refused: admitting this file breaks a rule elsewhere: " + elsewhere->to_string()}};
    }
    files_ = std::move(next);
    std::map<std::string, const std::vector<model::object>*> admitted;
    for (const auto& [path, st] : files_) admitted[path] = &st.good;
    auto snap = std::make_shared<const model::snapshot>(build(admitted));
    update u;
    u.changes = model::diff(*current_, *snap);
    for (const auto& [path, st] : files_) u.errors.insert(u.errors.end(), st.errors.begin(), st.errors.end());
    const auto shown = texts(u.errors);
    for (auto& e : model::validate(*snap)) {
      if (!shown.contains(e.to_string())) u.errors.push_back(std::move(e));
    }
    current_ = snap;
    u.snapshot = std::move(snap);
    return u;
  }

 private:
  struct file_state {
    std::optional<std::string> text;
    std::vector<model::object> good;
    std::vector<model::error> errors;
  };
  static std::set<std::string> texts(const std::vector<model::error>& errors) {
    std::set<std::string> out;
    for (const auto& e : errors) out.insert(e.to_string());
    return out;
  }
  // The objects in force first (a new duplicate never displaces one), then path order.
  model::snapshot build(const std::map<std::string, const std::vector<model::object>*>& in) const {
    std::vector<model::object> all;
    std::set<model::object_key> kept;
    for (const auto& [path, objects] : in) {
      for (const auto& o : *objects) {
        if (same_at(*current_, o) && kept.insert(model::key_of(o)).second) all.push_back(o);
      }
    }
    for (const auto& [path, objects] : in) {
      for (const auto& o : *objects) {
        if (!same_at(*current_, o) || !kept.erase(model::key_of(o))) all.push_back(o);
      }
    }
    return model::snapshot(std::move(all));
  }
  // model::validate with the objects not in force as newcomers.
  std::vector<model::error> validate(const model::snapshot& s) const {
    return model::validate(s, [&](const model::object_key& k) { return !same_key(s, *current_, k); });
  }
  static bool same_at(const model::snapshot& s, const model::object& o) {
    return model::visit_kind(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          const T* f = s.find<T>(x.meta.ns, x.meta.name);
          return f != nullptr && *f == x;
        },
        o);
  }
  template <std::size_t I = 0>
  static bool same_key(const model::snapshot& a, const model::snapshot& b, const model::object_key& k) {
    if constexpr (I < std::variant_size_v<model::object>) {
      if (static_cast<std::size_t>(k.kind) != I) return same_key<I + 1>(a, b, k);
      using T = model::unboxed_t<std::variant_alternative_t<I, model::object>>;
      const T* x = a.find<T>(k.ns, k.name);
      const T* y = b.find<T>(k.ns, k.name);
      return x != nullptr && y != nullptr && *x == *y;
    } else {
      return false;
    }
  }
  std::shared_ptr<fake_disk> disk_;
  std::map<std::string, file_state> files_;
  std::shared_ptr<const model::snapshot> current_ = std::make_shared<model::snapshot>();
};

// Random edits of a few files (Services, EndpointSlices, overlapping pools, a peer and the
// BFD profile it names, duplicates across files, syntax errors, removals, unreadable
// files): the incremental backend, told the changed files, gives after every step the
// oracle's errors, objects and change set, and its change set is model::diff's.
TEST(file_backend, named_changes_match_the_whole_rebuild_on_random_edits) {
  const std::vector<std::string> documents = {
      svc("a"),
      svc("b"),
      "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {type: ClusterIP}\n",
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: a-1, labels: "
      "{kubernetes.io/service-name: a}}\naddressType: IPv4\nendpoints: [{addresses: [10.244.0.1], conditions: "
      "{ready: true}}]\n",
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: a-1, labels: "
      "{kubernetes.io/service-name: a}}\naddressType: IPv4\nendpoints: [{addresses: [10.244.0.1], conditions: "
      "{ready: false}}]\n",
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: b-1, labels: "
      "{kubernetes.io/service-name: b}}\naddressType: IPv4\n",
      "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n",
      pool("p1", "[10.0.0.0/24]"),
      pool("p2", "[10.0.0.0/25]"),
      pool("p1", "[10.1.0.0/24]"),
      "apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: fast}\n",
      "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r1}\nspec: {myASN: 64512, peerASN: 64500, "
      "peerAddress: 10.0.0.2, bfdProfile: fast}\n",
  };
  for (unsigned seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed);
    named_harness h;
    reference_backend ref(h.disk);
    auto random_file = [&] {
      const int kind = static_cast<int>(rng() % 12);
      if (kind == 0) return std::string("kind: [");
      std::string text;
      for (unsigned n = rng() % 3 + 1; n > 0; --n) text += documents[rng() % documents.size()] + "---\n";
      return text;
    };
    for (int i = 0; i < 5; ++i) h.disk->files["f" + std::to_string(i) + ".yaml"] = random_file();
    const auto first = h.b.list();
    const auto first_ref = ref.rescan();
    ASSERT_EQ(errors(first), errors(first_ref));
    ASSERT_EQ(first.snapshot->objects(), first_ref.snapshot->objects());
    auto previous = first.snapshot;
    auto last = errors(first_ref);
    for (int step = 0; step < 60; ++step) {
      std::vector<std::string> named;
      for (unsigned n = rng() % 2 + 1; n > 0; --n) {
        const std::string path = "f" + std::to_string(rng() % 6) + ".yaml";
        const unsigned what = rng() % 10;
        if (what == 0) {
          h.disk->files.erase(path);
          h.disk->unreadable.erase(path);
        } else if (what == 1 && h.disk->files.contains(path)) h.disk->unreadable.insert(path);
        else {
          h.disk->unreadable.erase(path);
          h.disk->files[path] = random_file();
        }
        named.push_back(path);
      }
      const auto u = h.change(named);
      const auto r = ref.rescan();
      const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
      if (!u) {  // nothing new: neither objects nor errors changed
        EXPECT_TRUE(r.changes.empty()) << where;
        EXPECT_EQ(errors(r), last) << where;
        EXPECT_EQ(previous->objects(), r.snapshot->objects()) << where;
        continue;
      }
      EXPECT_FALSE(r.changes.empty() && errors(r) == last) << where;
      last = errors(r);
      EXPECT_EQ(errors(*u), errors(r)) << where;
      ASSERT_EQ(u->snapshot->objects(), r.snapshot->objects()) << where;
      EXPECT_EQ(u->changes, r.changes) << where;
      EXPECT_EQ(u->changes, model::diff(*previous, *u->snapshot)) << where;
      previous = u->snapshot;
    }
  }
}

TEST(file_backend, is_manifest) {
  struct row {
    const char* input;
    bool expected;
  };
  const row rows[] = {{"a.yaml", true},        {"d/a.yml", true},      {"a.json", true},   {"a.yaml.swp", false},
                      {".a.yaml", false},      {"..data/a.yaml", false}, {"d/.x/a.yaml", false}, {"a.txt", false}};
  for (const auto& r : rows) EXPECT_EQ(is_manifest(r.input), r.expected) << r.input;
}

}  // namespace
}  // namespace store::file
