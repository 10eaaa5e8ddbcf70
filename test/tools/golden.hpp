// In-process golden cases: the C++ side of test/tools/golden.py (docs/testing.md).
// A case is a folder <module>/test/golden/<case>/ whose `expected` file holds what the
// code under test must produce; BGPLB_UPDATE_GOLDEN=1 rewrites the file instead of
// comparing (review the diff like code). Source root: $BGPLB_SOURCE_ROOT, set by meson.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace golden {

inline std::filesystem::path source_root() {
  const char* root = std::getenv("BGPLB_SOURCE_ROOT");
  return root != nullptr ? root : ".";
}

inline std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// `actual` against case_dir/expected, or written there under BGPLB_UPDATE_GOLDEN=1.
inline ::testing::AssertionResult matches(const std::filesystem::path& case_dir, const std::string& actual) {
  const auto expected = case_dir / "expected";
  const char* update = std::getenv("BGPLB_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(case_dir);
    std::ofstream(expected) << actual;
    return ::testing::AssertionSuccess() << "updated " << expected;
  }
  const std::string want = read(expected);
  if (want == actual) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expected << " differs (BGPLB_UPDATE_GOLDEN=1 rewrites it; review the diff)\n"
                                       << "--- expected\n" << want << "--- actual\n" << actual;
}

}  // namespace golden
