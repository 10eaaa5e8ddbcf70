// Ledger and status values in etcd (codec.hpp): encode/decode round trips, errors that
// name the key and the field path within its value, the whole ledger and the controller's
// status from their keys.
#include <gtest/gtest.h>

#include "etcd/codec.hpp"

namespace store::etcd {
namespace {

model::ip_address ip(const char* s) { return *model::ip_address::parse(s); }

const layout l("/bgplb");

TEST(etcd_codec, entries_holds_and_revision_round_trip) {
  const model::ledger_entry e{"default", "web", {ip("10.0.0.1"), ip("fd00::1")}, "prod", 1700000000};
  const auto key = l.ledger_entry_key("default", "web");
  const auto r = decode_entry(key, l.parse(key), encode_entry(e));
  ASSERT_TRUE(r.value) << model::to_string(r.errors);
  EXPECT_EQ(*r.value, e);

  const model::ledger_hold h{ip("10.0.0.9"), "default", "old", "prod", 1700000100};
  const auto hkey = l.ledger_hold_key(h.ip);
  const auto rh = decode_hold(hkey, l.parse(hkey), encode_hold(h));
  ASSERT_TRUE(rh.value) << model::to_string(rh.errors);
  EXPECT_EQ(*rh.value, h);

  const auto rr = decode_revision(l.ledger_revision_key(), encode_revision(42) + "\n");
  ASSERT_TRUE(rr.value) << model::to_string(rr.errors);
  EXPECT_EQ(*rr.value, 42u);
  const auto re = decode_revision(l.ledger_revision_key(), " {} ");
  ASSERT_EQ(re.errors.size(), 1u);
  EXPECT_EQ(re.errors[0].to_string(), "/bgplb/v1/ledger/revision: format: required");
}

TEST(etcd_codec, errors_name_key_and_path) {
  const auto key = l.ledger_entry_key("default", "web");
  const auto p = l.parse(key);
  struct row {
    const char* value;
    const char* error;
  };
  for (const auto& r : std::initializer_list<row>{
           {R"({"namespace":"default","name":"web","ips":["10.0.0.x"],"pool":"p","since":1})",
            "/bgplb/v1/ledger/services/default/web: ips[0]: \"10.0.0.x\" is not an IP address"},
           {R"({"namespace":"default","name":"web","ips":[],"pool":"p","since":1})",
            "/bgplb/v1/ledger/services/default/web: ips: must hold one or two addresses"},
           {R"({"namespace":"default","name":"api","ips":["10.0.0.1"],"pool":"p","since":1})",
            "/bgplb/v1/ledger/services/default/web: names service default/api; the key names default/web"},
           {R"({"namespace":"default","name":"web","ips":["10.0.0.1"],"pool":"p","since":1,"x":2})",
            "/bgplb/v1/ledger/services/default/web: x: unknown field"},
           {R"([1])", "/bgplb/v1/ledger/services/default/web: expected a JSON object"},
           {R"({"namespace":)", "/bgplb/v1/ledger/services/default/web: invalid JSON: "},
           {R"({"namespace":"default","name":"web","ips":["10.0.0.1"],"pool":"p","since":1}],"holds":[{)",
            "/bgplb/v1/ledger/services/default/web: invalid JSON: "},
       }) {
    const auto d = decode_entry(key, p, r.value);
    EXPECT_FALSE(d.value) << r.value;
    ASSERT_EQ(d.errors.size(), 1u) << r.value;
    EXPECT_TRUE(d.errors[0].to_string().starts_with(r.error)) << d.errors[0].to_string();
  }
  const auto hkey = l.ledger_hold_key(ip("10.0.0.9"));
  const auto h = decode_hold(hkey, l.parse(hkey), encode_hold({ip("10.0.0.8"), "d", "n", "p", 1}));
  ASSERT_EQ(h.errors.size(), 1u);
  EXPECT_EQ(h.errors[0].to_string(), "/bgplb/v1/ledger/holds/10.0.0.9: ip: \"10.0.0.8\" differs from the key's address 10.0.0.9");
  const auto rv = decode_revision(l.ledger_revision_key(), R"({"format":"bgplb-ledger","version":1,"revision":1,"allocations":[]})");
  ASSERT_EQ(rv.errors.size(), 1u);
  EXPECT_EQ(rv.errors[0].to_string(), "/bgplb/v1/ledger/revision: allocations: unknown field");
  const auto rv2 = decode_revision(l.ledger_revision_key(), R"({"format":"bgplb-ledger","version":2,"revision":1})");
  ASSERT_EQ(rv2.errors.size(), 1u);
  EXPECT_NE(rv2.errors[0].message.find("unsupported version 2"), std::string::npos);
}

TEST(etcd_codec, whole_ledger_from_keys) {
  const model::ledger_entry a{"default", "a", {ip("10.0.0.1")}, "prod", 5};
  const model::ledger_entry b{"default", "b", {ip("10.0.0.2")}, "prod", 6};
  const model::ledger_hold h{ip("10.0.0.3"), "default", "c", "prod", 7};
  const auto r = decode_ledger_keys(l, {{l.ledger_revision_key(), encode_revision(9)},
                                        {l.ledger_hold_key(h.ip), encode_hold(h)},
                                        {l.ledger_entry_key("default", "b"), encode_entry(b)},
                                        {l.ledger_entry_key("default", "a"), encode_entry(a)}});
  ASSERT_TRUE(r.ledger) << model::to_string(r.errors);
  EXPECT_EQ(*r.ledger, (model::ledger{9, {a, b}, {h}}));
  const auto bad = decode_ledger_keys(l, {{l.ledger_entry_key("default", "a"), encode_entry(a)},
                                          {l.ledger_prefix() + "junk", "{}"}});
  EXPECT_FALSE(bad.ledger);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].file, "/bgplb/v1/ledger/junk");
}

// What the writer stores under P/controller/status/ reads back as the status it came from
// (bgplbctl pools --datastore); a bad service value is refused naming its key.
TEST(etcd_codec, status_from_keys) {
  state st;
  st.ledger.revision = 7;
  st.pools.push_back({"prod", 2, 10, 0, 0, 1});
  const model::service_status b{"default", "b", {ip("10.0.0.2")}, "prod", {{"Warning", "PoolRemoved", "address 10.0.0.2 no longer in any pool"}}};
  const model::service_status a{"default", "a", {ip("10.0.0.1")}, "prod", {{"Normal", "IPAllocated", "Assigned IP"}}};
  const std::vector<ledger_key> keys = {{l.status_service_key("default", "b"), encode_service_status(b)},
                                        {l.status_pools_key(), encode_pools_status(st)},
                                        {l.status_service_key("default", "a"), encode_service_status(a)}};
  const auto r = decode_status_keys(l, keys);
  ASSERT_TRUE(r.status) << model::to_string(r.errors);
  EXPECT_EQ(r.status->ledger.revision, 7u);
  EXPECT_EQ(r.status->pools, st.pools);
  EXPECT_EQ(r.status->services, (std::vector<model::service_status>{a, b})) << "in name order";

  auto bad = keys;
  bad[0].value = R"({"namespace":"default","name":"b","ingress":["nope"]})";
  const auto rb = decode_status_keys(l, bad);
  ASSERT_FALSE(rb.status);
  ASSERT_FALSE(rb.errors.empty());
  EXPECT_EQ(rb.errors[0].file, l.status_service_key("default", "b"));

  const auto none = decode_status_keys(l, {});
  ASSERT_EQ(none.errors.size(), 1u);
  EXPECT_EQ(none.errors[0].to_string(), "/bgplb/controller/status/pools: not written yet (has a controller led?)");
}

}  // namespace
}  // namespace store::etcd
