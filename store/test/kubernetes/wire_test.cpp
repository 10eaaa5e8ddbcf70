// The API server's JSON as the datastore keeps it: objects, lists, watch events, Status.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "model/decode.hpp"
#include "resources.hpp"
#include "wire.hpp"

namespace store::kubernetes {
namespace {

namespace json = boost::json;

json::object object_of(std::string_view text) { return json::parse(text).as_object(); }

TEST(Resources, PathsAndFiles) {
  const auto& svc = resource_of(model::kind::service);
  const auto& pool = resource_of(model::kind::ip_address_pool);
  const auto& node = resource_of(model::kind::node);
  const auto& bgpconf = resource_of(model::kind::bgp_configuration);
  EXPECT_EQ(collection_path(svc, "v1", ""), "/api/v1/services");
  EXPECT_EQ(object_path(svc, "v1", "default", "web"), "/api/v1/namespaces/default/services/web");
  EXPECT_EQ(collection_path(pool, "v1beta1", "metallb-system"), "/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools");
  EXPECT_EQ(collection_path(node, "v1", "ignored"), "/api/v1/nodes");
  EXPECT_EQ(collection_path(bgpconf, "v1", ""), "/apis/crd.projectcalico.org/v1/bgpconfigurations");
  EXPECT_EQ(object_file(svc, "default", "web"), "services/default/web.json");
  EXPECT_EQ(object_file(pool, "metallb-system", "p"), "ipaddresspools.metallb.io/metallb-system/p.json");
  EXPECT_EQ(object_file(node, "", "n1"), "nodes/n1.json");
  EXPECT_EQ(api_version(pool, "v1beta1"), "metallb.io/v1beta1");
  EXPECT_EQ(api_version(svc, "v1"), "v1");
  EXPECT_EQ(query_escape("kubernetes.io/service-name in (a,b)"), "kubernetes.io%2Fservice-name%20in%20%28a%2Cb%29");
  for (const auto& r : resources) EXPECT_EQ(&resource_of(r.kind), &r);
}

TEST(Wire, ListItemGetsKindAndLosesVolatileMetadata) {
  const auto& svc = resource_of(model::kind::service);
  std::string why;
  auto o = keep_object(svc, "v1", object_of(R"({
    "metadata": {"name": "web", "namespace": "default", "resourceVersion": "42", "uid": "u-1",
                 "managedFields": [{"manager": "kubectl"}], "creationTimestamp": "2024-01-01T00:00:00Z",
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}", "a": "b"}},
    "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10", "ports": [{"port": 80}], "newField": {"x": 1}},
    "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1", "ipMode": "VIP"}]}}})"), why);
  ASSERT_TRUE(o) << why;
  EXPECT_EQ(o->file, "services/default/web.json");
  EXPECT_EQ(o->resource_version, "42");
  EXPECT_EQ(o->ns, "default");
  EXPECT_EQ(o->name, "web");
  const auto kept = json::parse(o->text).as_object();
  EXPECT_EQ(kept.at("kind"), "Service");
  EXPECT_EQ(kept.at("apiVersion"), "v1");
  const auto& md = kept.at("metadata").as_object();
  EXPECT_FALSE(md.contains("resourceVersion"));
  EXPECT_FALSE(md.contains("managedFields"));
  EXPECT_FALSE(md.contains("creationTimestamp"));
  EXPECT_EQ(md.at("uid"), "u-1");  // stable: Events name it
  EXPECT_EQ(md.at("annotations").as_object().size(), 1u);

  // The model reads the kept text as it reads a manifest; unknown fields are ignored.
  auto d = model::decode(o->file, o->text);
  ASSERT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  ASSERT_EQ(d.objects.size(), 1u);
  const auto& s = std::get<model::service>(d.objects[0]);
  EXPECT_EQ(s.type, "LoadBalancer");
  ASSERT_EQ(s.ingress_ips.size(), 1u);
  EXPECT_EQ(s.ingress_ips[0].to_string(), "192.0.2.1");
  EXPECT_EQ(s.meta.file, "services/default/web.json");
}

TEST(Wire, SameContentSameTextWhateverTheResourceVersion) {
  const auto& svc = resource_of(model::kind::service);
  std::string why;
  auto a = keep_object(svc, "v1", object_of(R"({"metadata":{"name":"a","namespace":"n","resourceVersion":"1"}})"), why);
  auto b = keep_object(svc, "v1", object_of(R"({"metadata":{"name":"a","namespace":"n","resourceVersion":"2"}})"), why);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->text, b->text);
  EXPECT_NE(a->resource_version, b->resource_version);
}

TEST(Wire, NodeStatusKeepsOnlyConditionsAndAddresses) {
  const auto& node = resource_of(model::kind::node);
  std::string why;
  auto o = keep_object(node, "v1", object_of(R"({"metadata":{"name":"n1","labels":{"l":"v"}},
    "status":{"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2024-01-01T00:00:00Z"}],
              "addresses":[{"type":"InternalIP","address":"10.0.0.1"}],
              "images":[{"names":["a"],"sizeBytes":1}],"nodeInfo":{"kubeletVersion":"v1.29"}}})"), why);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->text, R"({"metadata":{"name":"n1","labels":{"l":"v"}},"status":{"conditions":[{"type":"Ready","status":"True"}],)"
                     R"("addresses":[{"type":"InternalIP","address":"10.0.0.1"}]},"kind":"Node","apiVersion":"v1"})");
  auto d = model::decode(o->file, o->text);
  ASSERT_TRUE(d.errors.empty()) << model::to_string(d.errors);
  EXPECT_EQ(std::get<model::node>(d.objects.at(0)).conditions.at(0).status, "True");
}

TEST(Wire, ObjectWithoutNameIsRefused) {
  std::string why;
  EXPECT_FALSE(keep_object(resource_of(model::kind::service), "v1", object_of(R"({"metadata":{}})"), why));
  EXPECT_EQ(why, "object without metadata.name");
  EXPECT_FALSE(keep_object(resource_of(model::kind::service), "v1", object_of(R"({"spec":{}})"), why));
  EXPECT_EQ(why, "object without metadata");
}

TEST(Wire, ListPages) {
  const auto& pool = resource_of(model::kind::ip_address_pool);
  std::string why;
  auto page = parse_list(pool, "v1beta1", R"({"kind":"IPAddressPoolList","apiVersion":"metallb.io/v1beta1",
    "metadata":{"resourceVersion":"100","continue":"tok"},
    "items":[{"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool","metadata":{"name":"p","namespace":"metallb-system","resourceVersion":"7"},
              "spec":{"addresses":["192.0.2.0/24"]}}]})", why);
  ASSERT_TRUE(page) << why;
  EXPECT_EQ(page->resource_version, "100");
  EXPECT_EQ(page->continue_token, "tok");
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].file, "ipaddresspools.metallb.io/metallb-system/p.json");
  EXPECT_EQ(page->items[0].resource_version, "7");

  auto empty = parse_list(pool, "v1beta1", R"({"metadata":{"resourceVersion":"5"},"items":null})", why);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->items.empty());
  EXPECT_TRUE(empty->continue_token.empty());

  EXPECT_FALSE(parse_list(pool, "v1beta1", "not json", why));
  EXPECT_FALSE(parse_list(pool, "v1beta1", R"({"metadata":{}})", why));
  EXPECT_EQ(why, "list response without items");
}

TEST(Wire, WatchEvents) {
  const auto& svc = resource_of(model::kind::service);
  struct row {
    std::string_view description;
    std::string_view line;
    std::optional<watch_event::type> type;
    std::string_view resource_version;
  };
  const row rows[] = {
      {"added", R"({"type":"ADDED","object":{"metadata":{"name":"a","namespace":"n","resourceVersion":"11"}}})",
       watch_event::type::added, "11"},
      {"modified", R"({"type":"MODIFIED","object":{"metadata":{"name":"a","namespace":"n","resourceVersion":"12"}}})",
       watch_event::type::modified, "12"},
      {"deleted", R"({"type":"DELETED","object":{"metadata":{"name":"a","namespace":"n","resourceVersion":"13"}}})",
       watch_event::type::deleted, "13"},
      {"bookmark", R"({"type":"BOOKMARK","object":{"kind":"Service","apiVersion":"v1","metadata":{"resourceVersion":"99"}}})",
       watch_event::type::bookmark, "99"},
      {"bookmark without RV", R"({"type":"BOOKMARK","object":{"metadata":{}}})", std::nullopt, ""},
      {"unknown type", R"({"type":"SOMETHING","object":{}})", std::nullopt, ""},
      {"no object", R"({"type":"ADDED"})", std::nullopt, ""},
      {"not JSON", R"({"type":)", std::nullopt, ""},
  };
  for (const auto& r : rows) {
    std::string why;
    auto e = parse_watch_event(svc, "v1", r.line, why);
    ASSERT_EQ(e.has_value(), r.type.has_value()) << r.description << ": " << why;
    if (!e) continue;
    EXPECT_EQ(e->what, *r.type) << r.description;
    EXPECT_EQ(e->resource_version, r.resource_version) << r.description;
    if (e->what != watch_event::type::bookmark) {
      EXPECT_EQ(e->object->file, "services/n/a.json") << r.description;
    }
  }
}

TEST(Wire, WatchErrorCarriesTheStatus) {
  std::string why;
  auto e = parse_watch_event(resource_of(model::kind::service), "v1",
                             R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure",
                                 "message":"too old resource version: 5 (100)","reason":"Expired","code":410}})j",
                             why);
  ASSERT_TRUE(e) << why;
  EXPECT_EQ(e->what, watch_event::type::error);
  EXPECT_EQ(e->status, (api_status{410, "Expired", "too old resource version: 5 (100)"}));
}

TEST(Wire, StatusBodies) {
  const auto forbidden = parse_status(403, R"({"kind":"Status","apiVersion":"v1","status":"Failure",
      "message":"services is forbidden: User \"system:serviceaccount:x:y\" cannot list resource \"services\" in API group \"\" at the cluster scope",
      "reason":"Forbidden","details":{"kind":"services"},"code":403})");
  EXPECT_EQ(describe(forbidden),
            "403 Forbidden: services is forbidden: User \"system:serviceaccount:x:y\" cannot list resource \"services\" in "
            "API group \"\" at the cluster scope");
  EXPECT_EQ(describe(parse_status(502, "<html>Bad Gateway</html>\n")), "502: <html>Bad Gateway</html>");
}

}  // namespace
}  // namespace store::kubernetes
