// Table tests of model::validate: the rules that span objects, each row naming its rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "model/decode.hpp"
#include "model/validate.hpp"

namespace model {
namespace {

struct file {
  std::string name;
  std::string text;
};

struct row {
  const char* description;
  std::vector<file> input;
  std::vector<std::string> expected;
};

std::vector<std::string> run(const std::vector<file>& files) {
  std::vector<object> objects;
  std::vector<std::string> out;
  for (const auto& f : files) {
    auto d = decode(f.name, f.text);
    for (const auto& e : d.errors) out.push_back("decode: " + e.to_string());
    for (auto& o : d.objects) objects.push_back(std::move(o));
  }
  for (const auto& e : validate(snapshot(std::move(objects)))) out.push_back(e.to_string());
  return out;
}

std::string pool(const std::string& name, const std::string& addresses, const std::string& labels = "{}") {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name + ", labels: " + labels +
         "}\nspec: {addresses: " + addresses + "}\n---\n";
}

std::string peer(const std::string& name, const std::string& spec) {
  return "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: " + name + "}\nspec: {myASN: 64512, peerASN: 64513, " +
         spec + "}\n---\n";
}

std::string adv(const std::string& name, const std::string& spec) {
  return "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: " + name + "}\nspec: " + spec + "\n---\n";
}

TEST(validate, cross_object_rules) {
  const std::vector<row> rows = {
      {"pools overlap: the later pool by name is blamed",
       {{"pools.yaml", pool("prod", "[10.0.2.0/24, 10.0.0.0/23]") + pool("lab", "[10.0.1.0/24]")}},
       {"pools.yaml: IPAddressPool metallb-system/prod: spec.addresses[1]: 10.0.0.0/23 overlaps pool \"lab\" (10.0.1.0/24)"}},
      {"ranges and CIDRs overlap too",
       {{"a.yaml", pool("a", "[10.0.0.0/24]")}, {"b.yaml", pool("b", "[10.0.0.255-10.0.1.4]")}},
       {"b.yaml: IPAddressPool metallb-system/b: spec.addresses[0]: 10.0.0.255-10.0.1.4 overlaps pool \"a\" (10.0.0.0/24 "
        "in a.yaml)"}},
      {"disjoint pools are fine", {{"p.yaml", pool("a", "[10.0.0.0/24]") + pool("b", "[10.0.1.0/24, 'fd00::/64']")}}, {}},
      {"same object twice",
       {{"a.yaml", pool("a", "[10.0.0.0/24]")}, {"b.yaml", pool("a", "[10.0.1.0/24]")}},
       {"b.yaml: IPAddressPool metallb-system/a: metadata.name: defined twice; the definition in a.yaml is in force"}},
      {"unknown community alias",
       {{"a.yaml", adv("a", "{communities: [nope]}")}},
       {"a.yaml: BGPAdvertisement metallb-system/a: spec.communities[0]: community alias \"nope\" is not defined in any "
        "Community"}},
      {"known community alias",
       {{"a.yaml", adv("a", "{communities: [yes]}") +
                       "apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: c}\n"
                       "spec: {communities: [{name: yes, value: '1:1'}]}\n"}},
       {}},
      {"aggregation length shorter than the pool's prefix",
       {{"a.yaml", pool("prod", "[10.0.0.0/24]") + adv("a", "{aggregationLength: 16}")}},
       {"a.yaml: BGPAdvertisement metallb-system/a: spec.aggregationLength: invalid aggregation length 16: prefix "
        "10.0.0.0/24 in pool \"prod\" is more specific than the aggregation length"}},
      {"aggregation only checked against the advert's pools",
       {{"a.yaml", pool("big", "[10.0.0.0/16]") + pool("small", "[10.1.0.0/24]") +
                       adv("a", "{aggregationLength: 16, ipAddressPools: [big]}")}},
       {}},
      {"aggregation v6",
       {{"a.yaml", pool("v6", "['fd00::/120']") + adv("a", "{aggregationLengthV6: 64}")}},
       {"a.yaml: BGPAdvertisement metallb-system/a: spec.aggregationLengthV6: invalid aggregation length 64: prefix "
        "fd00::/120 in pool \"v6\" is more specific than the aggregation length"}},
      {"conflicting LOCAL_PREF for the same pool",
       {{"a.yaml", pool("prod", "[10.0.0.0/24]") + adv("a", "{localPref: 100, ipAddressPools: [prod]}") +
                       adv("b", "{localPref: 200, ipAddressPools: [prod], communities: ['1:1']}")}},
       {"a.yaml: BGPAdvertisement metallb-system/b: spec.localPref: LOCAL_PREF 200 conflicts with BGPAdvertisement "
        "metallb-system/a (100) for pool \"prod\" with the same aggregation, nodes and peers"}},
      {"different LOCAL_PREF towards different peers is fine",
       {{"a.yaml", pool("prod", "[10.0.0.0/24]") + adv("a", "{localPref: 100, peers: [p1]}") +
                       adv("b", "{localPref: 200, peers: [p2]}")}},
       {}},
      {"pool selectors select pools for the LOCAL_PREF rule",
       {{"a.yaml", pool("prod", "[10.0.0.0/24]", "{env: prod}") +
                       adv("a", "{localPref: 100, ipAddressPoolSelectors: [{matchLabels: {env: prod}}]}") +
                       adv("b", "{localPref: 200, ipAddressPools: [prod]}")}},
       {"a.yaml: BGPAdvertisement metallb-system/b: spec.localPref: LOCAL_PREF 200 conflicts with BGPAdvertisement "
        "metallb-system/a (100) for pool \"prod\" with the same aggregation, nodes and peers"}},
      {"duplicate advertisement",
       {{"a.yaml", adv("a", "{localPref: 100}") + adv("b", "{localPref: 100}")}},
       {"a.yaml: BGPAdvertisement metallb-system/b: spec: duplicate definition of BGPAdvertisement: same spec as "
        "BGPAdvertisement metallb-system/a"}},
      {"BFD profile must exist",
       {{"p.yaml", "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: p}\n"
                   "spec: {myASN: 1, peerASN: 2, peerAddress: 192.0.2.1, bfdProfile: fast}\n"}},
       {"p.yaml: BGPPeer metallb-system/p: spec.bfdProfile: BFDProfile \"fast\" does not exist"}},
      {"password secret must be basic-auth",
       {{"p.yaml", "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: p}\n"
                   "spec: {myASN: 1, peerASN: 2, peerAddress: 192.0.2.1, passwordSecret: {name: s}}\n---\n"
                   "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: metallb-system}\n"
                   "stringData: {password: x}\n"}},
       {"p.yaml: BGPPeer metallb-system/p: spec.passwordSecret: Secret metallb-system/s has type \"Opaque\", want "
        "kubernetes.io/basic-auth"}},
      {"password secret must exist",
       {{"p.yaml", "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: p}\n"
                   "spec: {myASN: 1, peerASN: 2, peerAddress: 192.0.2.1, passwordSecret: {name: s}}\n"}},
       {"p.yaml: BGPPeer metallb-system/p: spec.passwordSecret: Secret metallb-system/s does not exist"}},
      {"duplicate BGPPeer: same address and VRF (MetalLB DiscardNativeOnly)",
       {{"p.yaml", peer("a", "peerAddress: 192.0.2.1") + peer("b", "peerAddress: 192.0.2.1, peerPort: 1179")}},
       {"p.yaml: BGPPeer metallb-system/b: spec.peerAddress: duplicate BGPPeer: address 192.0.2.1 is already peered "
        "by BGPPeer metallb-system/a"}},
      {"duplicate BGPPeer: same interface and VRF",
       {{"p.yaml", peer("a", "interface: eth1, vrf: red") + peer("b", "interface: eth1, vrf: red")}},
       {"p.yaml: BGPPeer metallb-system/b: spec.interface: duplicate BGPPeer: interface eth1 in VRF \"red\" is already "
        "peered by BGPPeer metallb-system/a"}},
      {"same address in another VRF is another session",
       {{"p.yaml", peer("a", "peerAddress: 192.0.2.1") + peer("b", "peerAddress: 192.0.2.1, vrf: red")}},
       {}},
  };
  for (const auto& r : rows) {
    EXPECT_THAT(run(r.input), ::testing::ElementsAreArray(r.expected)) << r.description;
  }
}

// A datastore admitting objects into a state in force names its newcomers: of two objects
// that break a rule together, the new one is blamed whatever the name order, and the
// message says the other stays in force.
TEST(validate, the_newcomer_is_blamed) {
  struct newcomer_row {
    const char* description;
    std::vector<file> input;
    std::set<std::string> fresh;  // names of the new objects
    std::vector<std::string> expected;
  };
  const std::string community_a = "apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: a}\n"
                                  "spec: {communities: [{name: gold, value: '1:1'}]}\n---\n";
  const std::string community_z = "apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: z}\n"
                                  "spec: {communities: [{name: silver, value: '1:2'}, {name: gold, value: '1:3'}]}\n---\n";
  const std::vector<newcomer_row> rows = {
      {"new pool sorting first overlaps one in force: the new one is blamed",
       {{"new.yaml", pool("aaa", "[10.5.0.0/25]")}, {"old.yaml", pool("zzz", "[10.5.0.0/24]")}},
       {"aaa"},
       {"new.yaml: IPAddressPool metallb-system/aaa: spec.addresses[0]: 10.5.0.0/25 overlaps pool \"zzz\" (10.5.0.0/24 "
        "in old.yaml), which stays in force"}},
      {"new pool sorting last: blamed as before, and the one in force stays",
       {{"old.yaml", pool("aaa", "[10.5.0.0/25]")}, {"new.yaml", pool("zzz", "[10.5.0.0/24]")}},
       {"zzz"},
       {"new.yaml: IPAddressPool metallb-system/zzz: spec.addresses[0]: 10.5.0.0/24 overlaps pool \"aaa\" (10.5.0.0/25 "
        "in old.yaml), which stays in force"}},
      {"both new: the later by name",
       {{"a.yaml", pool("aaa", "[10.5.0.0/25]")}, {"z.yaml", pool("zzz", "[10.5.0.0/24]")}},
       {"aaa", "zzz"},
       {"z.yaml: IPAddressPool metallb-system/zzz: spec.addresses[0]: 10.5.0.0/24 overlaps pool \"aaa\" (10.5.0.0/25 "
        "in a.yaml)"}},
      {"both in force: the later by name, nothing stays more than the other",
       {{"a.yaml", pool("aaa", "[10.5.0.0/25]")}, {"z.yaml", pool("zzz", "[10.5.0.0/24]")}},
       {},
       {"z.yaml: IPAddressPool metallb-system/zzz: spec.addresses[0]: 10.5.0.0/24 overlaps pool \"aaa\" (10.5.0.0/25 "
        "in a.yaml)"}},
      {"new BGPPeer on an address peered in force",
       {{"new.yaml", peer("a", "peerAddress: 192.0.2.1")}, {"old.yaml", peer("b", "peerAddress: 192.0.2.1")}},
       {"a"},
       {"new.yaml: BGPPeer metallb-system/a: spec.peerAddress: duplicate BGPPeer: address 192.0.2.1 is already peered by "
        "BGPPeer metallb-system/b in old.yaml, which stays in force"}},
      {"new Community redefining an alias in force",
       {{"new.yaml", community_a}, {"old.yaml", community_z}},
       {"a"},
       {"new.yaml: Community metallb-system/a: spec.communities[0].name: duplicate definition of community alias \"gold\" "
        "(also in Community metallb-system/z in old.yaml), which stays in force"}},
      {"new advertisement with the spec of one in force",
       {{"new.yaml", adv("a", "{localPref: 100}")}, {"old.yaml", adv("b", "{localPref: 100}")}},
       {"a"},
       {"new.yaml: BGPAdvertisement metallb-system/a: spec: duplicate definition of BGPAdvertisement: same spec as "
        "BGPAdvertisement metallb-system/b in old.yaml, which stays in force"}},
      {"new advertisement with a LOCAL_PREF conflicting with one in force",
       {{"p.yaml", pool("prod", "[10.0.0.0/24]") + adv("a", "{localPref: 200, ipAddressPools: [prod], communities: ['1:1']}") +
                       adv("b", "{localPref: 100, ipAddressPools: [prod]}")}},
       {"a"},
       {"p.yaml: BGPAdvertisement metallb-system/a: spec.localPref: LOCAL_PREF 200 conflicts with BGPAdvertisement "
        "metallb-system/b (100) for pool \"prod\" with the same aggregation, nodes and peers, which stays in force"}},
  };
  for (const auto& r : rows) {
    std::vector<object> objects;
    for (const auto& f : r.input) {
      auto d = decode(f.name, f.text);
      EXPECT_TRUE(d.errors.empty()) << r.description << ": " << to_string(d.errors);
      for (auto& o : d.objects) objects.push_back(std::move(o));
    }
    std::vector<std::string> got;
    for (const auto& e : validate(snapshot(std::move(objects)), [&](const object_key& k) { return r.fresh.contains(k.name); }))
      got.push_back(e.to_string());
    EXPECT_THAT(got, ::testing::ElementsAreArray(r.expected)) << r.description;
  }
}

// MetalLB accepts advertisements naming pools and peers that do not exist (it skips the
// names); bgplb accepts them too and warns.
TEST(validate, warnings_for_what_metallb_accepts) {
  const std::vector<row> rows = {
      {"unknown pool: accepted, warned",
       {{"a.yaml", pool("prod", "[10.0.0.0/24]") + adv("a", "{ipAddressPools: [prod, lab]}")}},
       {"a.yaml: BGPAdvertisement metallb-system/a: spec.ipAddressPools[1]: IPAddressPool \"lab\" does not exist; the "
        "advertisement ignores it"}},
      {"unknown peer: accepted, warned",
       {{"a.yaml", peer("p1", "peerAddress: 192.0.2.1") + adv("a", "{peers: [p1, p2]}")}},
       {"a.yaml: BGPAdvertisement metallb-system/a: spec.peers[1]: BGPPeer \"p2\" does not exist; the advertisement "
        "goes to no session of that name"}},
      {"a Calico BGPPeer is a peer of that name too",
       {{"a.yaml", "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: rack1-tor}\n"
                   "spec: {peerIP: 10.50.1.1, asNumber: 65101}\n---\n" +
                       adv("a", "{peers: [rack1-tor]}")}},
       {}},
      {"known names: nothing to say",
       {{"a.yaml", pool("prod", "[10.0.0.0/24]") + peer("p1", "peerAddress: 192.0.2.1") +
                       adv("a", "{ipAddressPools: [prod], peers: [p1]}")}},
       {}},
  };
  for (const auto& r : rows) {
    std::vector<object> objects;
    for (const auto& f : r.input) {
      auto d = decode(f.name, f.text);
      EXPECT_TRUE(d.errors.empty()) << r.description;
      for (auto& o : d.objects) objects.push_back(std::move(o));
    }
    const snapshot snap(std::move(objects));
    EXPECT_TRUE(validate(snap).empty()) << r.description << ": MetalLB accepts it";
    std::vector<std::string> got;
    for (const auto& e : warnings(snap)) got.push_back(e.to_string());
    EXPECT_THAT(got, ::testing::ElementsAreArray(r.expected)) << r.description;
  }
}

}  // namespace
}  // namespace model
