// Tests of model::snapshot indexing and model::diff.
#include <gtest/gtest.h>

#include "model/decode.hpp"
#include "model/snapshot.hpp"

namespace model {
namespace {

snapshot build(const std::string& text) {
  auto d = decode("f.yaml", text);
  EXPECT_TRUE(d.errors.empty()) << to_string(d.errors);
  return snapshot(std::move(d.objects));
}

const char* base = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod}
spec: {type: LoadBalancer}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: prod, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-2, namespace: prod, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
---
apiVersion: v1
kind: Namespace
metadata: {name: prod}
)";

TEST(snapshot, indexes) {
  const auto s = build(base);
  EXPECT_EQ(s.size(), 4u);
  ASSERT_NE(s.find<service>("prod", "web"), nullptr);
  EXPECT_EQ(s.find<service>("default", "web"), nullptr);
  EXPECT_EQ(s.slices_of("prod", "web").size(), 2u);
  EXPECT_EQ(s.slices_of("prod", "other").size(), 0u);
  EXPECT_NE(s.find<namespace_object>("", "prod"), nullptr);
  EXPECT_EQ(s.objects().size(), 4u);
}

TEST(snapshot, diff) {
  const auto a = build(base);
  const auto b = build(std::string(base) + "---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n");
  auto c_text = std::string(base);
  c_text.replace(c_text.find("type: LoadBalancer"), 18, "type: ClusterIP");
  const auto c = build(c_text);

  struct row {
    const char* description;
    const snapshot* before;
    const snapshot* after;
    std::vector<std::string> added, modified, removed;
  };
  const row rows[] = {
      {"identical", &a, &a, {}, {}, {}},
      {"node added", &a, &b, {"Node n1"}, {}, {}},
      {"node removed", &b, &a, {}, {}, {"Node n1"}},
      {"service changed", &a, &c, {}, {"Service prod/web"}, {}},
  };
  auto names = [](const std::vector<object_key>& keys) {
    std::vector<std::string> out;
    for (const auto& k : keys) out.push_back(k.to_string());
    return out;
  };
  for (const auto& r : rows) {
    const auto d = diff(*r.before, *r.after);
    EXPECT_EQ(names(d.added), r.added) << r.description;
    EXPECT_EQ(names(d.modified), r.modified) << r.description;
    EXPECT_EQ(names(d.removed), r.removed) << r.description;
  }
}

}  // namespace
}  // namespace model
