// model::shared_text, and that decoded objects share their file's and apiVersion's text.
#include "model/shared_text.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "model/decode.hpp"

namespace model {
namespace {

TEST(shared_text, copies_share_one_buffer_and_compare_by_text) {
  shared_text a("manifests/web.yaml");
  shared_text b = a;
  EXPECT_TRUE(b.shares_with(a));
  EXPECT_EQ(b.view(), "manifests/web.yaml");
  shared_text c(std::string("manifests/web.yaml"));
  EXPECT_FALSE(c.shares_with(a)) << "made apart";
  EXPECT_EQ(c, a);
  EXPECT_EQ(a, "manifests/web.yaml");
  EXPECT_EQ(a, std::string("manifests/web.yaml"));
  EXPECT_LT(shared_text("a"), shared_text("b"));
  EXPECT_EQ(a.size(), 18U);
  EXPECT_EQ(a.str(), "manifests/web.yaml");
  std::ostringstream o;
  o << a;
  EXPECT_EQ(o.str(), "manifests/web.yaml");

  {
    shared_text d = a;  // a reference that goes first
  }
  shared_text moved = std::move(b);
  EXPECT_TRUE(moved.shares_with(a));
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): a moved-from text is empty
  a.clear();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(moved.view(), "manifests/web.yaml") << "the last reference keeps the buffer";
  moved = shared_text();
  EXPECT_TRUE(moved.empty());
}

TEST(shared_text, the_empty_text_is_empty_however_made) {
  EXPECT_TRUE(shared_text().empty());
  EXPECT_TRUE(shared_text("").empty());
  EXPECT_EQ(shared_text(), shared_text(""));
  EXPECT_EQ(shared_text().view(), "");
  EXPECT_EQ(shared_text().size(), 0U);
}

TEST(shared_text, decoded_objects_share_their_file_and_api_version) {
  const auto r = decode_shared("dir/objects.yaml",
                               "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: n}\n"
                               "---\napiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: n}\n");
  ASSERT_EQ(r.objects.size(), 2U);
  const auto& a = meta_of(*r.objects[0]);
  const auto& b = meta_of(*r.objects[1]);
  EXPECT_EQ(a.file, "dir/objects.yaml");
  EXPECT_TRUE(a.file.shares_with(b.file));
  EXPECT_EQ(a.api_version, "v1");
  EXPECT_TRUE(a.api_version.shares_with(b.api_version));
  const auto other = decode_shared("dir/other.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: n}\n");
  ASSERT_EQ(other.objects.size(), 1U);
  EXPECT_TRUE(meta_of(*other.objects[0]).api_version.shares_with(a.api_version)) << "one text per apiVersion served";
}

}  // namespace
}  // namespace model
