// Golden-file tests of `bgplb plan` on the manifests in examples/: the JSON users test
// against in CI. BGPLB_UPDATE_GOLDEN=1 rewrites the golden files; review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "controller/plan.hpp"
#include "store/file_backend.hpp"

namespace controller {
namespace {

std::string source_root() {
  const char* root = std::getenv("BGPLB_SOURCE_ROOT");
  return root != nullptr ? root : ".";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(plan, golden_examples) {
  struct row {
    const char* example;
    bool has_errors;
  };
  const row rows[] = {{"metallb", false}, {"calico", false}, {"calico-peers", false}, {"broken", true}};
  for (const auto& r : rows) {
    store::file::backend b(source_root() + "/examples/" + r.example, store::file::make_posix_filesystem(), nullptr);
    const auto u = b.list();
    const auto plan = plan_json(allocate(*u.snapshot, {}, {}), u.errors);
    const std::string golden = source_root() + "/controller/test/golden/" + r.example + ".json";
    if (std::getenv("BGPLB_UPDATE_GOLDEN") != nullptr) std::ofstream(golden) << plan;
    EXPECT_EQ(plan, slurp(golden)) << r.example << ": regenerate with BGPLB_UPDATE_GOLDEN=1 and review the diff";
    EXPECT_EQ(!u.errors.empty(), r.has_errors) << r.example;
  }
}

TEST(plan, table) {
  result r;
  r.services.push_back({"prod", "web", {*model::ip_address::parse("10.0.0.1")}, "p", {{"Normal", "IPAllocated", "x"}}});
  r.pools.push_back({"p", 1, 3, 0, 0, 0});
  EXPECT_EQ(plan_table(r, {{"f.yaml", "Service a/b", "spec", "bad"}}),
            "SERVICE                                  IPS                              POOL             EVENTS\n"
            "prod/web                                 10.0.0.1                         p                IPAllocated: x\n"
            "\n"
            "POOL                      ASSIGNED-V4         AVAILABLE-V4  ASSIGNED-V6         AVAILABLE-V6\n"
            "p                                   1                    3            0                    0\n"
            "\n"
            "ERRORS\n"
            "f.yaml: Service a/b: spec: bad\n");
}

}  // namespace
}  // namespace controller
