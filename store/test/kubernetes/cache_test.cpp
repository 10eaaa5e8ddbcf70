// The object cache as the file backend's directory: updates, change sets, last good
// versions of refused objects, re-lists.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cache.hpp"

namespace store::kubernetes {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

object_text kept(model::kind k, std::string_view text) {
  std::string why;
  auto o = keep_object(resource_of(k), resource_of(k).versions[0], json::parse(text).as_object(), why);
  EXPECT_TRUE(o) << why;
  return *o;
}

object_text pool(std::string_view name, std::string_view addresses, std::string_view rv = "1") {
  return kept(model::kind::ip_address_pool,
              R"({"metadata":{"name":")" + std::string(name) + R"(","namespace":"metallb-system","resourceVersion":")" +
                  std::string(rv) + R"("},"spec":{"addresses":[")" + std::string(addresses) + R"("]}})");
}

object_text service(std::string_view name, std::string_view ingress, std::string_view rv = "1") {
  std::string status = ingress.empty() ? "{}" : R"({"loadBalancer":{"ingress":[{"ip":")" + std::string(ingress) + R"("}]}})";
  return kept(model::kind::service, R"({"metadata":{"name":")" + std::string(name) +
                                        R"(","namespace":"default","resourceVersion":")" + std::string(rv) +
                                        R"("},"spec":{"type":"LoadBalancer"},"status":)" + status + "}");
}

struct fixture : ::testing::Test {
  object_cache cache;
  file::backend backend{"", cache.make_filesystem(), cache.make_watcher(), [] {
                          file::options o;
                          o.quiet = 0ms;
                          o.max_delay = 0ms;
                          return o;
                        }()};
  const resource& pools = resource_of(model::kind::ip_address_pool);
  const resource& services = resource_of(model::kind::service);
};

TEST_F(fixture, ListThenEvents) {
  cache.replace(pools, {pool("a", "192.0.2.0/28"), pool("b", "192.0.2.16/28")});
  cache.replace(services, {service("web", "192.0.2.1")});
  auto first = backend.wait(0ms);  // every object named
  ASSERT_TRUE(first);
  EXPECT_EQ(first->snapshot->size(), 3u);
  EXPECT_EQ(first->changes.added.size(), 3u);
  EXPECT_TRUE(first->errors.empty());
  EXPECT_FALSE(backend.wait(0ms));  // nothing since

  cache.upsert(services, service("web", "192.0.2.2", "2"));
  cache.upsert(services, service("api", "", "3"));
  auto u = backend.wait(0ms);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->changes.added, (std::vector<model::object_key>{{model::kind::service, "default", "api"}}));
  EXPECT_EQ(u->changes.modified, (std::vector<model::object_key>{{model::kind::service, "default", "web"}}));
  EXPECT_EQ(u->snapshot->find<model::service>("default", "web")->ingress_ips.at(0).to_string(), "192.0.2.2");
  EXPECT_EQ(cache.find("services/default/web.json")->resource_version, "2");
  EXPECT_FALSE(cache.find("services/default/web.json")->unread);  // handed over, not kept

  // A new resourceVersion with the same content is not a change.
  cache.upsert(services, service("web", "192.0.2.2", "9"));
  EXPECT_FALSE(cache.dirty());
  EXPECT_EQ(cache.find("services/default/web.json")->resource_version, "9");

  cache.remove(services, service("api", ""));
  u = backend.wait(0ms);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->changes.removed, (std::vector<model::object_key>{{model::kind::service, "default", "api"}}));
}

TEST_F(fixture, RefusedObjectKeepsItsLastGoodVersion) {
  cache.replace(pools, {pool("a", "192.0.2.0/28"), pool("b", "192.0.2.16/28")});
  ASSERT_TRUE(backend.wait(0ms));
  // b now overlaps a: refused for a cross-object rule, its last good version stays.
  cache.upsert(pools, pool("b", "192.0.2.0/27", "2"));
  auto u = backend.wait(0ms);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->changes.empty());
  ASSERT_EQ(u->errors.size(), 1u);
  EXPECT_EQ(u->errors[0].file, "ipaddresspools.metallb.io/metallb-system/b.json");
  EXPECT_EQ(u->errors[0].object, "IPAddressPool metallb-system/b");
  EXPECT_EQ(u->errors[0].path, "spec.addresses[0]");
  EXPECT_EQ(u->snapshot->find<model::ip_address_pool>("metallb-system", "b")->addresses.at(0), "192.0.2.16/28");
  // Invalid on its own: the same.
  cache.upsert(pools, pool("b", "not-an-address", "3"));
  u = backend.wait(0ms);
  ASSERT_TRUE(u);
  ASSERT_EQ(u->errors.size(), 1u);
  EXPECT_EQ(u->errors[0].path, "spec.addresses[0]");
  EXPECT_EQ(u->snapshot->find<model::ip_address_pool>("metallb-system", "b")->addresses.at(0), "192.0.2.16/28");
  // Fixed: admitted, error gone.
  cache.upsert(pools, pool("b", "192.0.2.32/28", "4"));
  u = backend.wait(0ms);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->errors.empty());
  EXPECT_EQ(u->changes.modified.size(), 1u);
}

TEST_F(fixture, RelistNamesOnlyWhatDiffers) {
  cache.replace(services, {service("a", "192.0.2.1"), service("b", "192.0.2.2"), service("c", "")});
  cache.replace(pools, {pool("p", "192.0.2.0/24")});
  ASSERT_TRUE(backend.wait(0ms));
  // After a 410: b changed, c is gone, d is new, a is as it was (new resourceVersion).
  cache.replace(services, {service("a", "192.0.2.1", "50"), service("b", "192.0.2.3", "51"), service("d", "", "52")});
  auto u = backend.wait(0ms);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->changes.added, (std::vector<model::object_key>{{model::kind::service, "default", "d"}}));
  EXPECT_EQ(u->changes.modified, (std::vector<model::object_key>{{model::kind::service, "default", "b"}}));
  EXPECT_EQ(u->changes.removed, (std::vector<model::object_key>{{model::kind::service, "default", "c"}}));
  // The other kinds are untouched.
  EXPECT_NE(u->snapshot->find<model::ip_address_pool>("metallb-system", "p"), nullptr);
  EXPECT_EQ(cache.size(), 4u);
}

}  // namespace
}  // namespace store::kubernetes
