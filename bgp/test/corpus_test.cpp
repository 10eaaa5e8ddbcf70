// Public corpora: GoBGP's encoder output must decode cleanly and survive a semantic
// round trip; GoBGP's fuzz-found bad-length messages must fail cleanly or round-trip.
#include "hex.hpp"

#include <bgp/codec.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace bgp {
namespace {

const std::filesystem::path vectors = BGP_VECTORS_DIR;

TEST(corpus, gobgp_encoder_vectors_decode_and_round_trip) {
  std::ifstream in(vectors / "gobgp_encoder_vectors.txt");
  ASSERT_TRUE(in) << "missing " << (vectors / "gobgp_encoder_vectors.txt");
  std::string line, description;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) {
      if (line.rfind("# gobgp-json", 0) != 0) description = line.substr(2);
      continue;
    }
    if (line.empty()) continue;
    const bytes wire = test::from_hex(line);
    // The descriptions name the session context GoBGP encoded for.
    session_context ctx;
    ctx.four_octet_as = description.find("no AS4 cap") == std::string::npos;
    ctx.add_path_ipv4 = description.find("add-path ipv4 negotiated") != std::string::npos;
    const auto r = decode(wire, ctx);
    if (description.rfind("gobgp helper NewTestBGPUpdateMessage", 0) == 0) {
      // GoBGP's test helper packs several MP_REACH_NLRI attributes into one UPDATE;
      // RFC 7606 §3(g) makes that a Malformed Attribute List and a session reset.
      ASSERT_TRUE(r.error) << description;
      EXPECT_EQ(r.error->code, 3);
      EXPECT_EQ(r.error->subcode, 1);
      EXPECT_EQ(r.error->action, error_action::session_reset);
      ++n;
      continue;
    }
    ASSERT_TRUE(r.ok()) << description << ": " << r.error->reason;
    const auto again = decode(encode(*r.msg, ctx), ctx);
    ASSERT_TRUE(again.ok()) << description;
    EXPECT_TRUE(*again.msg == *r.msg) << description;
    ++n;
  }
  EXPECT_EQ(n, 17);
}

TEST(corpus, gobgp_bad_length_corpus_fails_cleanly) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(vectors / "bad-len")) {
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string s = ss.str();
    const bytes wire(s.begin(), s.end());
    const auto r = decode(wire, {});
    if (r.ok()) {
      const auto again = decode(encode(*r.msg, {}), {});
      ASSERT_TRUE(again.ok()) << e.path();
      EXPECT_TRUE(*again.msg == *r.msg) << e.path();
    } else {
      ASSERT_TRUE(r.error) << e.path();
      EXPECT_FALSE(r.error->reason.empty());
      // With a good marker, a length field that disagrees with the bytes is 1/2.
      const bool marker_ok = wire.size() >= 16 && std::all_of(wire.begin(), wire.begin() + 16,
                                                              [](auto c) { return c == 0xFF; });
      if (marker_ok && wire.size() >= 19 &&
          ((wire[16] << 8) | wire[17]) != static_cast<int>(wire.size())) {
        EXPECT_EQ(r.error->code, 1) << e.path() << ": " << r.error->reason;
        EXPECT_EQ(r.error->subcode, 2) << e.path();
      }
    }
    ++n;
  }
  EXPECT_EQ(n, 11);
}

}  // namespace
}  // namespace bgp
