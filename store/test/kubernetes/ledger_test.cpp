// The ledger on Services and in the holds ConfigMap; the writer's plan.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "ledger.hpp"
#include "model/decode.hpp"
#include "write_plan.hpp"

namespace store::kubernetes {
namespace {

namespace json = boost::json;

model::ip_address ip(std::string_view s) { return *model::ip_address::parse(s); }
std::vector<model::ip_address> ips(std::initializer_list<std::string_view> list) {
  std::vector<model::ip_address> out;
  for (auto s : list) out.push_back(ip(s));
  return out;
}

TEST(Ledger, ServiceFactsFromJson) {
  const auto f = read_service(json::parse(R"({"metadata":{"name":"web","namespace":"default","uid":"u","resourceVersion":"9",
      "annotations":{"metallb.io/ip-allocated-from-pool":"prod","bgplb.io/allocated-since":"1700000000"}},
      "spec":{"type":"LoadBalancer","loadBalancerClass":"bgplb"},
      "status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"},{"hostname":"x"},{"ip":"2001:db8::1"},{"ip":"bad"}]}}})")
                                  .as_object());
  EXPECT_EQ(f.ns, "default");
  EXPECT_EQ(f.name, "web");
  EXPECT_EQ(f.uid, "u");
  EXPECT_EQ(f.resource_version, "9");
  EXPECT_EQ(f.type, "LoadBalancer");
  EXPECT_EQ(f.load_balancer_class, "bgplb");
  EXPECT_EQ(f.ingress, ips({"192.0.2.1", "2001:db8::1"}));
  EXPECT_EQ(f.pool, "prod");
  EXPECT_EQ(f.since, "1700000000");
}

TEST(Ledger, EntriesAreTheServedClassWithAddresses) {
  std::vector<service_facts> services = {
      {"b", "z", "", "", "LoadBalancer", std::nullopt, ips({"192.0.2.2"}), "p", "5"},
      {"a", "y", "", "", "LoadBalancer", std::nullopt, ips({"192.0.2.1"}), std::nullopt, std::nullopt},  // MetalLB, before
      {"a", "other", "", "", "LoadBalancer", "other-class", ips({"192.0.2.9"}), "p", "1"},
      {"a", "cluster", "", "", "ClusterIP", std::nullopt, ips({"192.0.2.8"}), "p", "1"},
      {"a", "none", "", "", "LoadBalancer", std::nullopt, {}, std::nullopt, std::nullopt},
      {"a", "x", "", "", "LoadBalancer", std::nullopt, ips({"192.0.2.3"}), "p", "garbage"},
  };
  model::ledger holds{7, {}, {{ip("192.0.2.50"), "gone", "svc", "p", 100}}};
  const auto l = make_ledger(services, std::nullopt, holds);
  EXPECT_EQ(l.revision, 7u);
  EXPECT_EQ(l.holds, holds.holds);
  EXPECT_EQ(l.entries, (std::vector<model::ledger_entry>{
                           {"a", "x", ips({"192.0.2.3"}), "p", 0},
                           {"a", "y", ips({"192.0.2.1"}), "", 0},
                           {"b", "z", ips({"192.0.2.2"}), "p", 5},
                       }));
  const auto other = make_ledger(services, "other-class", {});
  ASSERT_EQ(other.entries.size(), 1u);
  EXPECT_EQ(other.entries[0].name, "other");
}

TEST(Ledger, HoldsConfigMapRoundTripAndRefusals) {
  model::ledger l{12, {{"a", "b", ips({"192.0.2.1"}), "p", 1}}, {{ip("192.0.2.50"), "gone", "svc", "p", 100}}};
  const auto text = encode_holds("metallb-system", "bgplb-ledger", l, "");
  const auto cm = json::parse(text).as_object();
  EXPECT_EQ(cm.at("kind"), "ConfigMap");
  EXPECT_FALSE(cm.at("metadata").as_object().contains("resourceVersion"));
  auto back = decode_holds("ConfigMap metallb-system/bgplb-ledger", cm);
  ASSERT_TRUE(back.ledger) << model::to_string(back.errors);
  EXPECT_EQ(back.ledger->revision, 12u);
  EXPECT_TRUE(back.ledger->entries.empty());  // entries live on the Services
  EXPECT_EQ(back.ledger->holds, l.holds);
  EXPECT_NE(encode_holds("n", "c", l, "5").find(R"("resourceVersion":"5")"), std::string::npos);

  auto missing = decode_holds("ConfigMap n/c", json::parse(R"({"data":{}})").as_object());
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].to_string(), "ConfigMap n/c data[ledger.json]: missing");
  auto corrupt = decode_holds(
      "ConfigMap n/c",
      json::parse(R"({"data":{"ledger.json":"{\"format\":\"bgplb-ledger\",\"version\":1,\"revision\":1,\"allocations\":[],\"holds\":[{\"ip\":\"x\",\"namespace\":\"a\",\"name\":\"b\",\"pool\":\"p\",\"released_at\":1}]}"}})")
          .as_object());
  ASSERT_FALSE(corrupt.ledger);
  ASSERT_EQ(corrupt.errors.size(), 1u);
  EXPECT_EQ(corrupt.errors[0].file, "ConfigMap n/c data[ledger.json]");
  EXPECT_EQ(corrupt.errors[0].path, "holds[0].ip");
}

TEST(Ledger, Patches) {
  EXPECT_EQ(status_patch(ips({"192.0.2.1", "2001:db8::1"}), "4"),
            R"({"metadata":{"resourceVersion":"4"},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"},{"ip":"2001:db8::1"}]}}})");
  EXPECT_EQ(status_patch({}, "4"), R"({"metadata":{"resourceVersion":"4"},"status":{"loadBalancer":{"ingress":null}}})");
  EXPECT_EQ(annotation_patch("p", "12", "4"),
            R"({"metadata":{"resourceVersion":"4","annotations":{"metallb.io/ip-allocated-from-pool":"p","bgplb.io/allocated-since":"12"}}})");
  EXPECT_EQ(annotation_patch(std::nullopt, std::nullopt, "4"),
            R"({"metadata":{"resourceVersion":"4","annotations":{"metallb.io/ip-allocated-from-pool":null,"bgplb.io/allocated-since":null}}})");
}

TEST(WritePlan, StepsForOneService) {
  struct row {
    std::string_view description;
    service_view actual;
    service_goal goal;
    std::optional<std::vector<model::ip_address>> release;
    std::optional<std::vector<model::ip_address>> status;
    bool annotate;
  };
  const auto x = ips({"192.0.2.1"}), y = ips({"192.0.2.2"}), xy = ips({"192.0.2.1", "2001:db8::1"});
  const row rows[] = {
      {"in place", {x, "p", "1"}, {x, "p", "1"}, std::nullopt, std::nullopt, false},
      {"new", {{}, std::nullopt, std::nullopt}, {x, "p", "1"}, std::nullopt, x, true},
      {"move: drop x first", {x, "p", "1"}, {y, "p", "2"}, std::vector<model::ip_address>{}, y, true},
      {"released", {x, "p", "1"}, {{}, std::nullopt, std::nullopt}, std::vector<model::ip_address>{}, std::nullopt, true},
      {"second family", {x, "p", "1"}, {xy, "p", "1"}, std::nullopt, xy, false},
      {"one family dropped", {xy, "p", "1"}, {x, "p", "1"}, x, std::nullopt, false},
      {"MetalLB's status kept, annotations added", {x, std::nullopt, std::nullopt}, {x, "p", "1"}, std::nullopt, std::nullopt, true},
  };
  for (const auto& r : rows) {
    const auto s = steps_for(r.actual, r.goal);
    EXPECT_EQ(s.release, r.release) << r.description;
    EXPECT_EQ(s.status, r.status) << r.description;
    EXPECT_EQ(s.annotate, r.annotate) << r.description;
  }
}

model::snapshot snapshot_of(std::string_view manifests) {
  auto d = model::decode("s.yaml", manifests);
  EXPECT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  return model::snapshot(std::move(d.objects));
}

TEST(WritePlan, OnlyWhatDiffersAndEventsOnce) {
  const auto actual = snapshot_of(R"(
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default, annotations: {metallb.io/ip-allocated-from-pool: p, bgplb.io/allocated-since: "5"}}
spec: {type: LoadBalancer}
status: {loadBalancer: {ingress: [{ip: 192.0.2.1}]}}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: default}
spec: {type: LoadBalancer}
)");
  state desired;
  desired.ledger = {3, {{"default", "a", ips({"192.0.2.1"}), "p", 5}, {"default", "b", ips({"192.0.2.2"}), "p", 9}},
                    {{ip("192.0.2.60"), "default", "gone", "p", 1}}};
  desired.services = {{"default", "a", ips({"192.0.2.1"}), "p", {}},
                      {"default", "b", ips({"192.0.2.2"}), "p", {{"Normal", "IPAllocated", "Assigned IP [\"192.0.2.2\"]"}}},
                      {"default", "deleted", ips({"192.0.2.3"}), "p", {}}};
  desired.pools = {{"p", 2, 252, 0, 0, 0}};
  writer_memory memory;
  auto plan = plan_writes(desired, actual, memory);
  ASSERT_TRUE(plan.holds);
  EXPECT_EQ(plan.holds->revision, 3u);
  EXPECT_EQ(plan.holds->holds.size(), 1u);
  ASSERT_EQ(plan.services.size(), 1u);  // a is in place; "deleted" is not in the API
  EXPECT_EQ(plan.services[0].key.name, "b");
  EXPECT_EQ(plan.services[0].steps.status, ips({"192.0.2.2"}));
  EXPECT_TRUE(plan.services[0].steps.annotate);
  EXPECT_EQ(plan.services[0].goal.since, "9");
  EXPECT_EQ(plan.pools.size(), 1u);
  ASSERT_EQ(plan.events.size(), 1u);
  EXPECT_EQ(plan.events[0].second.reason, "IPAllocated");

  // The same state again: pools and events are not repeated; holds once written aren't.
  memory.holds = *plan.holds;
  plan = plan_writes(desired, actual, memory);
  EXPECT_FALSE(plan.holds);
  EXPECT_TRUE(plan.pools.empty());
  EXPECT_TRUE(plan.events.empty());
  EXPECT_EQ(plan.services.size(), 1u);  // the API does not show b's status yet
}

}  // namespace
}  // namespace store::kubernetes
