// Property test: random valid messages survive encode -> decode -> encode byte for byte.
#include "hex.hpp"
#include "random_message.hpp"

#include <gtest/gtest.h>

namespace bgp {
namespace {

TEST(roundtrip, random_valid_messages) {
  int checked = 0;
  for (std::uint64_t seed = 1; seed <= 20000; ++seed) {
    test::message_generator gen(seed);
    const session_context ctx = gen.context();
    const message m = gen.any(ctx);
    bytes wire;
    try {
      encode(wire, m, ctx);
    } catch (const std::length_error&) {
      continue;  // generated beyond the session's size limit
    }
    const auto r = decode(wire, ctx);
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.error->reason << "\n" << test::to_hex(wire);
    ASSERT_TRUE(*r.msg == m) << "seed " << seed << "\n" << test::to_hex(wire);
    ASSERT_EQ(encode(*r.msg, ctx), wire) << "seed " << seed;
    ++checked;
  }
  EXPECT_GT(checked, 19000);
}

TEST(roundtrip, decode_never_reads_outside_truncations) {
  // Every prefix of a valid message is either a clean error or (never) a crash;
  // run under ASan in CI.
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    test::message_generator gen(seed);
    const session_context ctx = gen.context();
    bytes wire;
    try {
      encode(wire, gen.any(ctx), ctx);
    } catch (const std::length_error&) {
      continue;
    }
    for (std::size_t n = 0; n < wire.size(); ++n) {
      bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
      const auto r = decode(cut, ctx);
      ASSERT_TRUE(r.error) << "seed " << seed << " cut at " << n;
    }
  }
}

}  // namespace
}  // namespace bgp
