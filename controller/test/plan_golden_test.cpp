// Golden cases of `bgplb plan` on the manifests in examples/ (golden/plan-<example>/):
// the JSON users test against in CI. BGPLB_UPDATE_GOLDEN=1 rewrites them; review the diff.
#include <gtest/gtest.h>

#include "controller/plan.hpp"
#include "golden.hpp"
#include "store/file_backend.hpp"

namespace controller {
namespace {

TEST(plan, golden_examples) {
  struct row {
    const char* example;
    bool has_errors;
  };
  const row rows[] = {{"metallb", false}, {"calico", false}, {"calico-peers", false}, {"broken", true}};
  for (const auto& r : rows) {
    store::file::backend b(golden::source_root() / "examples" / r.example, store::file::make_posix_filesystem(),
                           nullptr);
    const auto u = b.list();
    const auto plan = plan_json(allocate(*u.snapshot, {}, {}), u.errors);
    EXPECT_TRUE(golden::matches(golden::source_root() / "controller/test/golden" / ("plan-" + std::string(r.example)), plan))
        << r.example;
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
