// A large file is read in parts on two threads (model/src/decode.cpp): where it may be cut
// (detail::document_cuts), and that the parts give exactly what the whole file gives:
// the same objects in the same order, the same errors with the same document numbers,
// and a syntax error anywhere worded as before.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../src/decoders.hpp"
#include "../src/yaml_load.hpp"
#include "model/decode.hpp"

namespace model::detail {
namespace {

std::vector<std::string> pieces(std::string_view text, const std::vector<std::size_t>& cuts) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (auto at : cuts) {
    out.emplace_back(text.substr(from, at - from));
    from = at;
  }
  out.emplace_back(text.substr(from));
  return out;
}

TEST(document_cuts, only_at_a_document_marker_at_the_start_of_a_line) {
  const std::string text =
      "a: 1\n"
      "b: '---'\n"      // in a scalar
      "----\n"          // not a marker
      "---x\n"          // nor this
      "c: |\n  ---\n"   // indented: content
      "--- # here\n"    // a marker with a comment
      "d: 2\n"
      "---\n"
      "e: 3\n";
  const auto cuts = document_cuts(text, 16, 1);
  const auto p = pieces(text, cuts);
  ASSERT_EQ(p.size(), 3U) << ::testing::PrintToString(p);
  EXPECT_TRUE(p[1].starts_with("--- # here\n"));
  EXPECT_EQ(p[2], "---\ne: 3\n");
}

TEST(document_cuts, parts_are_at_least_min_part_and_at_most_parts) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "---\nkey: value-" + std::to_string(i) + "\n";
  const auto cuts = document_cuts(text, 4, 1000);
  ASSERT_EQ(cuts.size(), 3U);
  std::size_t from = 0;
  for (auto at : cuts) {
    EXPECT_GE(at - from, 1000U);
    EXPECT_EQ(text.compare(at, 4, "---\n"), 0);
    from = at;
  }
  EXPECT_TRUE(document_cuts(text, 1, 1).empty());
  EXPECT_TRUE(document_cuts(text, 4, text.size()).empty());  // too small for two parts
}

TEST(document_cuts, none_when_a_directive_or_a_late_byte_order_mark_ties_text_to_a_document) {
  std::string docs;
  for (int i = 0; i < 100; ++i) docs += "---\nk: " + std::to_string(i) + "\n";
  EXPECT_FALSE(document_cuts(docs, 4, 10).empty());
  EXPECT_TRUE(document_cuts("%YAML 1.1\n" + docs, 4, 10).empty());
  EXPECT_TRUE(document_cuts(docs + "%TAG ! tag:example.com,2000:\n---\nk: x\n", 4, 10).empty());
  EXPECT_TRUE(document_cuts(docs + "\xEF\xBB\xBF---\nk: x\n", 4, 10).empty());
  EXPECT_FALSE(document_cuts("\xEF\xBB\xBF" + docs, 4, 10).empty());
}

// Documents of every shape a cut must not change, repeated so that cuts fall everywhere.
const std::string kinds_of_document = R"(apiVersion: v1
kind: Service
metadata: {name: plain, namespace: a}
spec: {type: LoadBalancer, ports: [{port: 80}]}
--- # a comment after the marker
apiVersion: v1
kind: Service
metadata:
  name: block
  namespace: a
  annotations:
    note: |
      ---
      indented, so content
    other: "quoted
      over two lines"
spec:
  type: LoadBalancer
  ports:
  - port: 443
...
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-a, namespace: a, labels: {kubernetes.io/service-name: block}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1], conditions: {ready: true}}]
---
apiVersion: v1
kind: ServiceList
items:
- apiVersion: v1
  kind: Service
  metadata: {name: listed, namespace: b}
  spec: {type: ClusterIP}
- apiVersion: v1
  kind: Service
  metadata: {name: Bad_Name, namespace: b}
---
apiVersion: v1
kind: Service
metadata: {name: anchored, namespace: c, labels: &l {app: x}, annotations: *l}
spec: {type: LoadBalancer, loadBalancerIP: not-an-ip}
---
kind: ConfigMap
apiVersion: v1
metadata: {name: ignored}
---
--- |
a root scalar
---
)";

std::string many(int copies, const std::string& tail = "") {
  std::string out;
  for (int i = 0; i < copies; ++i) out += "---\n" + kinds_of_document;
  return out + tail;
}

void expect_same(const std::string& text, std::size_t min_part) {
  const auto whole = decode("f.yaml", text);
  const auto parts = decode_in_parts("f.yaml", text, {}, min_part);
  ASSERT_EQ(parts.errors, whole.errors) << "min_part " << min_part << "\nparts:\n"
                                        << (parts.errors.empty() ? "" : parts.errors[0].to_string()) << " (of "
                                        << parts.errors.size() << ")\nwhole:\n"
                                        << (whole.errors.empty() ? "" : whole.errors[0].to_string()) << " (of "
                                        << whole.errors.size() << ")";
  ASSERT_EQ(parts.objects.size(), whole.objects.size());
  for (std::size_t i = 0; i < whole.objects.size(); ++i) EXPECT_TRUE(parts.objects[i] == whole.objects[i]) << i;
}

TEST(decode_in_parts, gives_what_the_whole_file_gives) {
  const auto text = many(40);
  const auto whole = decode("f.yaml", text);
  ASSERT_EQ(whole.objects.size(), 40U * 5);  // plain, block, the slice, listed, anchored
  ASSERT_FALSE(whole.errors.empty());
  EXPECT_NE(whole.errors.back().to_string().find("document "), std::string::npos);
  for (std::size_t min_part : {40U, 300U, 1000U, 5000U}) expect_same(text, min_part);
}

TEST(decode_in_parts, a_syntax_error_in_any_part_is_the_whole_files_error) {
  for (const auto* bad : {"key: [unclosed\n", "a: b: c\n", "key: 'unterminated\n"}) {
    const auto text = many(20, std::string("---\n") + bad) + many(20);
    const auto whole = decode("f.yaml", text);
    ASSERT_EQ(whole.errors.size(), 1U) << bad;
    EXPECT_NE(whole.errors[0].message.find("YAML syntax error"), std::string::npos);
    expect_same(text, 500);
  }
}

TEST(decode_in_parts, one_document_in_parts_is_not_numbered) {
  // Two parts, the first without a document: the second's only one is the file's only one.
  const std::string text = std::string(600, '#') + "\n---\nkind: Service\napiVersion: v1\nmetadata: {name: Bad_Name}\n";
  ASSERT_EQ(document_cuts(text, 16, 100).size(), 1U);
  expect_same(text, 100);
  const auto whole = decode("f.yaml", text);
  ASSERT_EQ(whole.errors.size(), 1U);
  EXPECT_EQ(whole.errors[0].to_string().find("document "), std::string::npos);
}

}  // namespace
}  // namespace model::detail
