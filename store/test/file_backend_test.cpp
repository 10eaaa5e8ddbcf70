// Tests of store::file::backend with an in-memory filesystem and a scripted watcher:
// broken files keep their last good objects, cross-object errors refuse the changed
// file, bursts are coalesced into one rescan.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "store/file_backend.hpp"

namespace store::file {
namespace {

struct fake_disk {
  std::map<std::string, std::string> files;
  std::set<std::string> unreadable;
  int lists = 0;
};

class fake_filesystem final : public filesystem {
 public:
  explicit fake_filesystem(std::shared_ptr<fake_disk> d) : disk_(std::move(d)) {}
  std::vector<std::string> list(const std::string&) override {
    ++disk_->lists;
    std::vector<std::string> out;
    for (const auto& [k, v] : disk_->files) out.push_back(k);
    return out;
  }
  contents read(const std::string&, const std::string& p) override {
    if (disk_->unreadable.contains(p)) return {std::nullopt, "Permission denied"};
    return {disk_->files.at(p), ""};
  }

 private:
  std::shared_ptr<fake_disk> disk_;
};

class fake_watcher final : public watcher {
 public:
  explicit fake_watcher(std::shared_ptr<std::deque<bool>> script) : script_(std::move(script)) {}
  bool wait(std::chrono::milliseconds) override {
    if (script_->empty()) return false;
    const bool v = script_->front();
    script_->pop_front();
    return v;
  }
  int native_handle() const override { return -1; }

 private:
  std::shared_ptr<std::deque<bool>> script_;
};

std::string pool(const std::string& name, const std::string& addresses) {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name +
         "}\nspec: {addresses: " + addresses + "}\n";
}

std::string svc(const std::string& name) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec: {type: LoadBalancer}\n";
}

struct harness {
  std::shared_ptr<fake_disk> disk = std::make_shared<fake_disk>();
  std::shared_ptr<std::deque<bool>> script = std::make_shared<std::deque<bool>>();
  backend b{"/m", std::make_unique<fake_filesystem>(disk), std::make_unique<fake_watcher>(script),
            options{std::chrono::milliseconds{1}, std::chrono::milliseconds{1000}, {}}};
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
                                                "10.0.0.0/23 overlaps pool \"lab\" (10.0.1.0/24)"));
  EXPECT_EQ(find_pool(u, "prod")->addresses.size(), 1u);
  EXPECT_TRUE(u.changes.empty());

  // The error lands on an unchanged file (pool "zzz" sorts after "aaa"): the change is refused.
  h.disk->files["zzz.yaml"] = pool("zzz", "[10.5.0.0/24]");
  h.b.list();
  h.disk->files["aaa.yaml"] = pool("aaa", "[10.5.0.0/25]");
  u = h.b.list();
  EXPECT_EQ(find_pool(u, "aaa"), nullptr);
  EXPECT_NE(find_pool(u, "zzz"), nullptr);
  const auto aaa = std::find_if(u.errors.begin(), u.errors.end(), [](const auto& e) { return e.file == "aaa.yaml"; });
  ASSERT_NE(aaa, u.errors.end());
  EXPECT_THAT(aaa->message, ::testing::HasSubstr("refused: admitting this file breaks a rule elsewhere: zzz.yaml: "
                                                 "IPAddressPool metallb-system/zzz: spec.addresses[0]"));

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
  h.disk->files["aaa.yaml"] = pool("aaa", "[10.5.0.0/25]");  // the blame lands on zzz.yaml
  h.disk->files["svc.yaml"] = svc("web");
  const auto u = h.b.list();
  EXPECT_EQ(find_pool(u, "aaa"), nullptr);
  EXPECT_NE(u.snapshot->find<model::service>("default", "web"), nullptr);
  EXPECT_THAT(errors(u), ::testing::ElementsAre(
                             "aaa.yaml: refused: admitting this file breaks a rule elsewhere: zzz.yaml: IPAddressPool "
                             "metallb-system/zzz: spec.addresses[0]: 10.5.0.0/24 overlaps pool \"aaa\" (10.5.0.0/25)"));
}

TEST(file_backend, initial_conflict_blames_one_file_and_duplicates_the_later) {
  harness h;
  h.disk->files = {{"1.yaml", svc("web")}, {"2.yaml", svc("web")}, {"3.yaml", pool("b", "[10.0.0.0/24]")},
                   {"4.yaml", pool("c", "[10.0.0.0/25]")}};
  const auto u = h.b.list();
  EXPECT_THAT(errors(u), ::testing::ElementsAre(
                             "2.yaml: Service default/web: metadata.name: defined twice; the definition in 1.yaml is in force",
                             "4.yaml: IPAddressPool metallb-system/c: spec.addresses[0]: 10.0.0.0/25 overlaps pool \"b\" "
                             "(10.0.0.0/24)"));
  EXPECT_NE(find_pool(u, "b"), nullptr);
  EXPECT_EQ(find_pool(u, "c"), nullptr);
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
