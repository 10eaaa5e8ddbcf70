// store::coalescer: when a change is handed on, as rows of {description, quiet, max delay,
// steps}; each step is a change (complete or not) at a time, with the delivery time it
// must get, or a delivery, or a discard (what was pending was no change).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/coalesce.hpp"

namespace store {
namespace {

using std::chrono::milliseconds;

enum class what { change, partial, delivered, discarded };

struct step {
  int at_ms;
  what w;
  int due_ms = 0;  // for a change: when everything pending is due
};

struct row {
  std::string description;
  int quiet_ms;
  int max_delay_ms;
  std::vector<step> steps;
};

const std::vector<row> rows = {
    {"the first change after a quiet period goes at once", 5, 100, {{0, what::change, 0}}},
    {"a change within the quiet time of a delivery waits until the quiet time passes without one",
     5,
     100,
     {{0, what::change, 0}, {0, what::delivered}, {2, what::change, 7}, {4, what::change, 9}, {9, what::delivered},
      {20, what::change, 20}}},
    {"the window counts from the delivery, not from the change",
     5,
     100,
     {{0, what::change, 0}, {10, what::delivered}, {13, what::change, 18}, {18, what::delivered}, {24, what::change, 24}}},
    {"a burst that never pauses is held at most max_delay after its first change",
     5,
     100,
     {{0, what::change, 0}, {1, what::delivered}, {3, what::change, 8}, {50, what::change, 55}, {99, what::change, 103}}},
    {"a change not yet complete waits for the quiet time, and goes once it is complete",
     5,
     100,
     {{0, what::partial, 5}, {2, what::partial, 7}, {3, what::change, 3}}},
    {"under load a complete change still waits",
     5,
     100,
     {{0, what::change, 0}, {0, what::delivered}, {1, what::partial, 6}, {2, what::change, 7}}},
    {"what turns out to be no change does not count as a delivery",
     5,
     100,
     {{0, what::change, 0}, {0, what::discarded}, {1, what::change, 1}, {1, what::delivered}, {2, what::change, 7}}},
    {"quiet time 0: every complete change goes at once",
     0,
     100,
     {{0, what::change, 0}, {0, what::delivered}, {0, what::change, 0}, {0, what::delivered}, {0, what::partial, 0}}},
};

TEST(coalescer, rows) {
  const auto base = coalescer::clock::time_point{} + std::chrono::hours(1);
  for (const auto& r : rows) {
    coalescer c(milliseconds(r.quiet_ms), milliseconds(r.max_delay_ms));
    for (std::size_t i = 0; i < r.steps.size(); ++i) {
      const auto& s = r.steps[i];
      const auto at = base + milliseconds(s.at_ms);
      if (s.w == what::delivered || s.w == what::discarded) {
        if (s.w == what::delivered) c.delivered(at);
        else c.discarded();
        EXPECT_FALSE(c.pending()) << r.description << ", step " << i;
        continue;
      }
      EXPECT_EQ(c.on_change(at, s.w == what::change) - base, milliseconds(s.due_ms)) << r.description << ", step " << i;
      EXPECT_TRUE(c.pending()) << r.description << ", step " << i;
    }
  }
}

TEST(coalescer, max_delay_is_twenty_times_the_quiet_time_and_at_least_100_ms) {
  EXPECT_EQ(max_coalesce_delay(milliseconds(5)), milliseconds(100));
  EXPECT_EQ(max_coalesce_delay(milliseconds(20)), milliseconds(400));
}

}  // namespace
}  // namespace store
