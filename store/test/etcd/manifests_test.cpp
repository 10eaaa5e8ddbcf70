// bgplbctl's apply/get/delete logic (manifests.hpp): manifests split into one document per
// object that reads back the same (no etcd needed), and on a real etcd: examples/ applied
// give the datastore exactly the objects the file datastore reads from the same files,
// refused files store nothing, get and delete by key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster.hpp"
#include "etcd/manifests.hpp"
#include "etcd/open.hpp"
#include "recorder.hpp"
#include "store/file_backend.hpp"

namespace store::etcd {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(etcd_manifests, split_into_documents_that_read_back_the_same) {
  const std::string text =
      "apiVersion: v1\nkind: List\nitems:\n"
      "- {apiVersion: v1, kind: Service, metadata: {name: a, labels: {x: \"true\", n: \"007\"}}, spec: {type: LoadBalancer}}\n"
      "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: skipped}}\n"
      "---\n"
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  addresses: ['10.0.0.0/24']\n"
      "---\n";
  const auto r = read_manifest("m.yaml", text);
  ASSERT_TRUE(r.errors.empty()) << model::to_string(r.errors);
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(model::key_of(*r.objects[0].object).to_string(), "Service default/a");
  EXPECT_EQ(model::key_of(*r.objects[1].object).to_string(), "IPAddressPool metallb-system/p");
  for (const auto& o : r.objects) {
    const auto again = model::decode("m.yaml", o.document);
    ASSERT_EQ(again.objects.size(), 1u) << o.document;
    EXPECT_EQ(again.objects[0], *o.object) << o.document;
  }
  const auto bad = read_manifest("bad.yaml", "kind: Service\napiVersion: v1\nmetadata: {name: Bad_Name}\n");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_THAT(bad.errors[0].to_string(), HasSubstr("bad.yaml: Service default/Bad_Name: metadata.name:"));
}

std::vector<manifest_file> read_dir(const std::string& dir) {
  std::vector<manifest_file> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const auto rel = std::filesystem::relative(e.path(), dir).generic_string();
    if (!e.is_regular_file() || !file::is_manifest(rel)) continue;
    std::ifstream in(e.path());
    std::ostringstream s;
    s << in.rdbuf();
    out.push_back({rel, s.str()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

std::vector<model::object> without_files(std::vector<model::object> objects) {
  for (auto& o : objects) model::visit_kind([](auto& x) { x.meta.file.clear(); }, o);
  return objects;
}

class etcd_manifests_on_etcd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::cluster::missing(); !why.empty()) GTEST_SKIP() << why;
    if (std::getenv("EXAMPLES_DIR") == nullptr) GTEST_SKIP() << "EXAMPLES_DIR is not set; meson test sets it";
    c_ = std::make_unique<testing::cluster>(testing::cluster_options{1});
    ASSERT_TRUE(c_->wait_ready(20s));
  }
  std::unique_ptr<testing::cluster> c_;
};

TEST_F(etcd_manifests_on_etcd, examples_load_as_the_file_datastore_reads_them) {
  const std::string examples = std::getenv("EXAMPLES_DIR");
  client cl(parse_uri(c_->uri()));
  for (const char* demo : {"metallb", "quickstart", "calico"}) {
    SCOPED_TRACE(demo);
    const auto prefix = std::string("/") + demo;
    const layout ld(prefix);
    const auto files = read_dir(examples + "/" + demo);
    const auto r = apply_manifests(cl, ld, files);
    ASSERT_TRUE(r.errors.empty() && r.failure.empty()) << model::to_string(r.errors) << r.failure;
    EXPECT_FALSE(r.stored.empty());
    // What the file datastore reads from the same directory.
    file::backend fb(examples + "/" + demo, file::make_posix_filesystem(), nullptr);
    const auto expected = fb.list();
    ASSERT_TRUE(expected.errors.empty());
    testing::recorder rec;
    auto ds = open_etcd(c_->uri(prefix), {});
    ds->start(rec.changes(), rec.health());
    ASSERT_TRUE(rec.wait([](const testing::recorder& x) { return x.snapshot() != nullptr; }));
    ds->stop();
    EXPECT_EQ(without_files(rec.snapshot()->objects()), without_files(expected.snapshot->objects()));
    EXPECT_TRUE(rec.all_changes().front().change.objects.errors.empty());
    // Applying again changes nothing.
    const auto again = apply_manifests(cl, ld, files);
    EXPECT_TRUE(again.stored.empty());
    EXPECT_EQ(again.unchanged.size(), r.stored.size());
  }
}

TEST_F(etcd_manifests_on_etcd, refused_files_store_nothing_get_and_delete) {
  client cl(parse_uri(c_->uri()));
  const layout l("/bgplb");
  const std::string pool_a = "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: a}\nspec: {addresses: [10.0.0.0/24]}\n";
  const std::string pool_b = "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: b}\nspec: {addresses: [10.0.0.128/25]}\n";
  const std::string svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {type: LoadBalancer}\n";
  auto r = apply_manifests(cl, l, {{"a.yaml", pool_a}});
  ASSERT_TRUE(r.errors.empty() && r.failure.empty());
  // b.yaml overlaps a (in etcd): refused whole, the service beside the pool too.
  r = apply_manifests(cl, l, {{"b.yaml", pool_b + "---\n" + svc}, {"c.yaml", "kind: [\n"}});
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_THAT(r.errors[0].to_string(), HasSubstr("c.yaml: line"));
  EXPECT_EQ(r.errors[1].to_string(),
            "b.yaml: IPAddressPool metallb-system/b: spec.addresses[0]: 10.0.0.128/25 overlaps pool \"a\" "
            "(10.0.0.0/24 in /bgplb/v1/metallb.io/ipaddresspools/metallb-system/a)");
  EXPECT_TRUE(r.stored.empty());
  std::string failure;
  EXPECT_TRUE(get_objects(cl, l, model::kind::service, std::nullopt, std::nullopt, failure).empty());
  const auto pools = get_objects(cl, l, model::kind::ip_address_pool, "metallb-system", std::nullopt, failure);
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0].key, "/bgplb/v1/metallb.io/ipaddresspools/metallb-system/a");
  EXPECT_TRUE(remove_object(cl, l, {model::kind::ip_address_pool, "metallb-system", "a"}, failure));
  EXPECT_FALSE(remove_object(cl, l, {model::kind::ip_address_pool, "metallb-system", "a"}, failure));
  EXPECT_TRUE(failure.empty()) << failure;
  // With a gone, b is admitted.
  r = apply_manifests(cl, l, {{"b.yaml", pool_b}});
  EXPECT_TRUE(r.errors.empty()) << model::to_string(r.errors);
  EXPECT_EQ(r.stored.size(), 1u);
}

}  // namespace
}  // namespace store::etcd
