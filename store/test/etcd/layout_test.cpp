// The etcd key layout (layout.hpp): every kind's key round-trips through parse, ledger
// keys are told apart, strays are unknown, and bgplbctl's kind names resolve.
#include <gtest/gtest.h>

#include "etcd/layout.hpp"

namespace store::etcd {
namespace {

TEST(etcd_layout, object_keys_round_trip) {
  const layout l("/bgplb");
  struct row {
    model::object_key key;
    const char* etcd_key;
  };
  for (const auto& r : std::initializer_list<row>{
           {{model::kind::service, "default", "web"}, "/bgplb/v1/core/services/default/web"},
           {{model::kind::endpoint_slice, "default", "web-1"}, "/bgplb/v1/discovery.k8s.io/endpointslices/default/web-1"},
           {{model::kind::node, "", "n1"}, "/bgplb/v1/core/nodes/n1"},
           {{model::kind::namespace_, "", "default"}, "/bgplb/v1/core/namespaces/default"},
           {{model::kind::secret, "metallb-system", "pw"}, "/bgplb/v1/core/secrets/metallb-system/pw"},
           {{model::kind::ip_address_pool, "metallb-system", "prod"}, "/bgplb/v1/metallb.io/ipaddresspools/metallb-system/prod"},
           {{model::kind::bgp_advertisement, "metallb-system", "a"}, "/bgplb/v1/metallb.io/bgpadvertisements/metallb-system/a"},
           {{model::kind::community, "metallb-system", "c"}, "/bgplb/v1/metallb.io/communities/metallb-system/c"},
           {{model::kind::bfd_profile, "metallb-system", "f"}, "/bgplb/v1/metallb.io/bfdprofiles/metallb-system/f"},
           {{model::kind::bgp_peer, "metallb-system", "tor"}, "/bgplb/v1/metallb.io/bgppeers/metallb-system/tor"},
           {{model::kind::bgp_configuration, "", "default"}, "/bgplb/v1/crd.projectcalico.org/bgpconfigurations/default"},
       }) {
    EXPECT_EQ(l.key(r.key), r.etcd_key);
    const auto p = l.parse(r.etcd_key);
    EXPECT_EQ(p.kind, layout::parsed::what::object) << r.etcd_key;
    EXPECT_EQ(p.object, r.key) << r.etcd_key;
    EXPECT_EQ(row_of(r.key.kind).kind, r.key.kind);
  }
}

TEST(etcd_layout, ledger_and_strays) {
  const layout l("/x/y");
  EXPECT_EQ(l.ledger_entry_key("default", "web"), "/x/y/v1/ledger/services/default/web");
  EXPECT_EQ(l.ledger_hold_key(*model::ip_address::parse("fd00::1")), "/x/y/v1/ledger/holds/fd00::1");
  auto p = l.parse("/x/y/v1/ledger/services/default/web");
  EXPECT_EQ(p.kind, layout::parsed::what::ledger_entry);
  EXPECT_EQ(p.object.ns, "default");
  EXPECT_EQ(p.object.name, "web");
  p = l.parse("/x/y/v1/ledger/holds/10.0.0.1");
  EXPECT_EQ(p.kind, layout::parsed::what::ledger_hold);
  EXPECT_EQ(p.hold, "10.0.0.1");
  EXPECT_EQ(l.parse(l.ledger_revision_key()).kind, layout::parsed::what::ledger_revision);
  for (const char* stray : {"/x/y/v1/core/services/web", "/x/y/v1/core/nodes/a/b", "/x/y/v1/core/pods/default/p",
                            "/x/y/v1/core/services/default/", "/x/y/v1/ledger/services/web", "/x/y/v2/core/nodes/a",
                            "/x/yz/v1/core/nodes/a", "/x/y/v1/ledger/other"}) {
    EXPECT_EQ(l.parse(stray).kind, layout::parsed::what::unknown) << stray;
  }
}

TEST(etcd_layout, kind_names_and_range_end) {
  for (const char* name : {"IPAddressPool", "ipaddresspools", "ipaddresspool", "IPADDRESSPOOLS"}) {
    ASSERT_NE(find_kind(name), nullptr) << name;
    EXPECT_EQ(find_kind(name)->kind, model::kind::ip_address_pool);
  }
  EXPECT_EQ(find_kind("community")->kind, model::kind::community);
  EXPECT_EQ(find_kind("Communities")->kind, model::kind::community);
  EXPECT_EQ(find_kind("pods"), nullptr);
  EXPECT_EQ(range_end("/bgplb/v1/"), "/bgplb/v10");
  EXPECT_EQ(range_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(range_end(std::string("\xff", 1)), std::string(1, '\0'));
}

}  // namespace
}  // namespace store::etcd
