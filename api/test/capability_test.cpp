// The capability conversion (src/capability.cpp): table rows for each case, and the
// OPENs real routers sent (vectors/open/<router>.hex, captured on the wire by
// test/integration/test_gobgp_api.py) converted into golden cases
// (golden/capability-<router>/expected; BGPLB_UPDATE_GOLDEN=1 rewrites them, review the diff).
#include "capability.hpp"

#include <bgp/codec.hpp>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>

#include <gtest/gtest.h>

#include "golden.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

namespace api::convert {
namespace {

// "TypeName {short debug string}" of a packed message, or "(left out)".
std::string describe(const std::optional<google::protobuf::Any>& a) {
  if (!a) return "(left out)";
  const std::string name = a->type_url().substr(a->type_url().rfind('/') + 1);
  const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(name);
  if (d == nullptr) return "unknown type " + name;
  std::unique_ptr<google::protobuf::Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
  if (!m->ParseFromString(a->value())) return "unparsable " + name;
  return name.substr(name.find('.') + 1) + " {" + m->ShortDebugString() + "}";
}

bgp::bytes hex(const std::string& s) {
  bgp::bytes out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

bgp::capability unknown(std::uint8_t code, const std::string& value_hex) { return bgp::cap_unknown{code, hex(value_hex)}; }

TEST(capability, rows) {
  struct row {
    const char* description;
    bgp::capability in;
    std::string want;
  };
  const row rows[] = {
      {"RFC 9494 LLGR, two families (FRR)", unknown(71, "0001018000000000020180000000"),
       "LongLivedGracefulRestartCapability {tuples { family { afi: AFI_IP safi: SAFI_UNICAST } flags: 128 } "
       "tuples { family { afi: AFI_IP6 safi: SAFI_UNICAST } flags: 128 }}"},
      {"LLGR without tuples (BIRD)", unknown(71, ""), "LongLivedGracefulRestartCapability {}"},
      {"LLGR stale time is 3 octets", unknown(71, "00010100123456"),
       "LongLivedGracefulRestartCapability {tuples { family { afi: AFI_IP safi: SAFI_UNICAST } time: 1193046 }}"},
      {"LLGR with a partial tuple: whole ones kept", unknown(71, "000101000000010002"),
       "LongLivedGracefulRestartCapability {tuples { family { afi: AFI_IP safi: SAFI_UNICAST } time: 1 }}"},
      {"RFC 3107 carrying label info", unknown(4, ""), "CarryingLabelInfoCapability {}"},
      {"ADD-PATH kept opaque (mode 7): shown as sent", unknown(69, "00010107"),
       "AddPathCapability {tuples { family { afi: AFI_IP safi: SAFI_UNICAST } mode: 7 }}"},
      {"an unknown code stays unknown", unknown(9, "01"), "UnknownCapability {code: 9 value: \"\\001\"}"},
      {"unreadable code the client type-asserts: left out", unknown(73, "ff"), "(left out)"},
      {"unreadable multiprotocol: left out", unknown(1, "00"), "(left out)"},
      {"RFC 8654 has no GoBGP message", bgp::cap_extended_message{}, "UnknownCapability {code: 6}"},
      {"Cisco route refresh", bgp::cap_route_refresh{128}, "RouteRefreshCiscoCapability {}"},
      {"extended next hop: a next-hop AFI the client refuses is left out",
       bgp::cap_extended_next_hop{{{1, 1, 2}, {1, 1, 3}}},
       "ExtendedNexthopCapability {tuples { nlri_family { afi: AFI_IP safi: SAFI_UNICAST } "
       "nexthop_family { afi: AFI_IP6 safi: SAFI_UNICAST } }}"},
      {"graceful restart: R and N in GoBGP's nibble",
       bgp::cap_graceful_restart{true, true, 120, {{bgp::ipv4_unicast, true}}},
       "GracefulRestartCapability {flags: 12 time: 120 tuples { family { afi: AFI_IP safi: SAFI_UNICAST } flags: 128 }}"},
  };
  for (const auto& r : rows) EXPECT_EQ(describe(capability_any(r.in)), r.want) << r.description;
}

TEST(capability, real_router_opens) {
  const std::filesystem::path vectors = golden::source_root() / "api/test/vectors/open";
  const std::filesystem::path cases = golden::source_root() / "api/test/golden";
  // Codes capability.proto has a message for: never sent as UnknownCapability.
  const std::set<int> typed{1, 2, 4, 5, 64, 65, 69, 70, 71, 73, 128};
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(vectors))
    if (e.path().extension() == ".hex") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 4u) << "vectors of FRR, BIRD, gobgpd and ExaBGP expected in " << vectors;
  for (const auto& f : files) {
    std::string text = golden::read(f);
    std::erase_if(text, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
    const auto wire = hex(text);
    const auto r = bgp::decode(wire, {});
    ASSERT_TRUE(r.ok()) << f << ": " << (r.error ? r.error->reason : "no message");
    const auto* open = std::get_if<bgp::open_message>(&*r.msg);
    ASSERT_NE(open, nullptr) << f << " is not an OPEN";
    std::string out;
    for (const auto& c : open->capabilities) {
      const auto a = capability_any(c);
      out += std::to_string(bgp::capability_code(c)) + " " + describe(a) + "\n";
      if (a && a->type_url().ends_with(".UnknownCapability")) {
        EXPECT_EQ(typed.count(bgp::capability_code(c)), 0u) << f << ": code " << int(bgp::capability_code(c));
      }
    }
    EXPECT_TRUE(golden::matches(cases / ("capability-" + f.stem().string()), out)) << f;
  }
}

}  // namespace
}  // namespace api::convert
