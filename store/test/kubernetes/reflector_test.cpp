// The list/watch state machine, back-off and Retry-After, without I/O.
#include <gtest/gtest.h>

#include <map>

#include "backoff.hpp"
#include "reflector.hpp"

namespace store::kubernetes {
namespace {

using namespace std::chrono_literals;
using request_type = reflector::request::type;

struct recording_sink final : object_sink {
  std::map<std::string, std::string> objects;  // file -> resource version
  int replaces = 0;
  void replace(const resource&, std::vector<object_text> list) override {
    ++replaces;
    objects.clear();
    for (auto& o : list) objects[o.file] = o.resource_version;
  }
  void upsert(const resource&, object_text o) override { objects[o.file] = o.resource_version; }
  void remove(const resource&, const object_text& o) override { objects.erase(o.file); }
};

object_text obj(std::string name, std::string rv) {
  return {"services/default/" + name + ".json", "{}", std::move(rv), "default", std::move(name), ""};
}

watch_event event(watch_event::type t, std::string name, std::string rv) {
  watch_event e;
  e.what = t;
  e.object = obj(std::move(name), rv);
  e.resource_version = std::move(rv);
  return e;
}

watch_event bookmark(std::string rv) {
  watch_event e;
  e.what = watch_event::type::bookmark;
  e.resource_version = std::move(rv);
  return e;
}

reflector_options options() {
  reflector_options o;
  o.ns = "metallb-system";
  o.page_size = 2;
  o.seed = 1;
  return o;
}

TEST(Reflector, PaginatedListThenWatchFromTheListsVersion) {
  recording_sink sink;
  reflector r(resource_of(model::kind::service), sink, options());
  auto req = r.next();
  EXPECT_EQ(req.what, request_type::list);
  EXPECT_EQ(req.target, "/api/v1/services?limit=2");
  EXPECT_EQ(req.delay, 0ms);
  r.on_list_page({{obj("a", "5"), obj("b", "6")}, "100", "next page/1"});
  EXPECT_FALSE(r.synced());
  EXPECT_EQ(sink.replaces, 0);
  req = r.next();
  EXPECT_EQ(req.target, "/api/v1/services?limit=2&continue=next%20page%2F1");
  r.on_list_page({{obj("c", "7")}, "100", ""});
  EXPECT_TRUE(r.synced());
  EXPECT_TRUE(r.connected());
  EXPECT_EQ(sink.replaces, 1);
  EXPECT_EQ(sink.objects.size(), 3u);
  req = r.next();
  EXPECT_EQ(req.what, request_type::watch);
  EXPECT_GE(req.timeout, 300s);
  EXPECT_LT(req.timeout, 600s);
  EXPECT_EQ(req.target, "/api/v1/services?watch=1&allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=" +
                            std::to_string(req.timeout.count()));
}

TEST(Reflector, WatchEventsAndBookmarksMoveTheVersionAndAResumeStartsThere) {
  recording_sink sink;
  reflector r(resource_of(model::kind::service), sink, options());
  (void)r.next();
  r.on_list_page({{obj("a", "5")}, "100", ""});
  (void)r.next();
  r.on_watch_started();
  r.on_watch_event(event(watch_event::type::added, "b", "101"));
  r.on_watch_event(event(watch_event::type::modified, "a", "102"));
  r.on_watch_event(event(watch_event::type::deleted, "b", "103"));
  r.on_watch_event(bookmark("150"));
  EXPECT_EQ(sink.objects, (std::map<std::string, std::string>{{"services/default/a.json", "102"}}));
  EXPECT_EQ(r.resource_version(), "150");
  // The server ended the stream at timeoutSeconds: resume at once from the bookmark.
  r.on_stream_end(300s, "");
  auto req = r.next();
  EXPECT_EQ(req.what, request_type::watch);
  EXPECT_EQ(req.delay, 0ms);
  EXPECT_NE(req.target.find("resourceVersion=150&"), std::string::npos) << req.target;
  // Dropped right after it started: back off, then resume from the last version seen.
  r.on_stream_end(10ms, "end of stream");
  req = r.next();
  EXPECT_EQ(req.what, request_type::watch);
  EXPECT_GE(req.delay, 800ms);
  EXPECT_NE(req.target.find("resourceVersion=150&"), std::string::npos);
  EXPECT_EQ(sink.replaces, 1);
}

TEST(Reflector, GoneRelistsAndASecondGoneBacksOff) {
  recording_sink sink;
  reflector r(resource_of(model::kind::service), sink, options());
  (void)r.next();
  r.on_list_page({{obj("a", "5")}, "100", ""});
  (void)r.next();
  watch_event gone;
  gone.what = watch_event::type::error;
  gone.status = {410, "Expired", "too old resource version"};
  r.on_watch_event(gone);
  EXPECT_FALSE(r.watching());
  r.on_stream_end(1s, "closed");  // the shell drops the stream: no effect now
  auto req = r.next();
  EXPECT_EQ(req.what, request_type::list);
  EXPECT_EQ(req.delay, 0ms);
  r.on_failure({410, "Expired", ""});
  req = r.next();
  EXPECT_EQ(req.what, request_type::list);
  EXPECT_GE(req.delay, 800ms);
  r.on_list_page({{obj("b", "200")}, "200", ""});
  EXPECT_EQ(sink.replaces, 2);
  EXPECT_EQ(sink.objects, (std::map<std::string, std::string>{{"services/default/b.json", "200"}}));
  EXPECT_EQ(r.next().what, request_type::watch);
}

TEST(Reflector, OtherErrorEventsResumeTheWatchAfterBackOff) {
  recording_sink sink;
  reflector r(resource_of(model::kind::service), sink, options());
  (void)r.next();
  r.on_list_page({{}, "100", ""});
  (void)r.next();
  r.on_watch_event(bookmark("120"));
  watch_event failed;
  failed.what = watch_event::type::error;
  failed.status = {500, "InternalError", "etcd leader changed"};
  r.on_watch_event(failed);
  EXPECT_FALSE(r.connected());
  EXPECT_EQ(r.error(), "watch services: 500 InternalError: etcd leader changed");
  auto req = r.next();
  EXPECT_EQ(req.what, request_type::watch);
  EXPECT_GE(req.delay, 800ms);
  EXPECT_NE(req.target.find("resourceVersion=120&"), std::string::npos);
}

TEST(Reflector, ExpiredContinueTokenStartsTheListOver) {
  recording_sink sink;
  reflector r(resource_of(model::kind::service), sink, options());
  (void)r.next();
  r.on_list_page({{obj("a", "5"), obj("b", "6")}, "100", "tok"});
  (void)r.next();
  r.on_failure({410, "Expired", "The provided continue parameter is too old"});
  auto req = r.next();
  EXPECT_EQ(req.target, "/api/v1/services?limit=2");
  r.on_list_page({{obj("c", "8")}, "120", ""});
  EXPECT_EQ(sink.objects.size(), 1u);  // the first page's objects are not kept
}

TEST(Reflector, TooManyRequestsWaitsRetryAfter) {
  recording_sink sink;
  reflector r(resource_of(model::kind::service), sink, options());
  (void)r.next();
  r.on_failure({429, "TooManyRequests", "rate limited"}, 7s);
  EXPECT_FALSE(r.connected());
  EXPECT_EQ(r.error(), "list services: 429 TooManyRequests: rate limited; retrying after 7 s");
  auto req = r.next();
  EXPECT_EQ(req.what, request_type::list);
  EXPECT_EQ(req.delay, 7000ms);
}

TEST(Reflector, ForbiddenIsAPreciseErrorAndBacksOffExponentially) {
  recording_sink sink;
  reflector r(resource_of(model::kind::ip_address_pool), sink, options());
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 8; ++i) {
    auto req = r.next();
    EXPECT_EQ(req.target, "/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools?limit=2");
    if (i > 0) delays.push_back(req.delay);
    r.on_failure({403, "Forbidden", "ipaddresspools.metallb.io is forbidden: User \"u\" cannot list"});
  }
  EXPECT_EQ(r.error(),
            "list ipaddresspools.metallb.io: 403 Forbidden: ipaddresspools.metallb.io is forbidden: User \"u\" cannot list");
  EXPECT_FALSE(r.synced());
  // 800 ms doubling, each stretched by up to 100 %, never above 30 s.
  for (std::size_t i = 0; i < delays.size(); ++i) {
    const auto base = std::min<std::int64_t>(800 << i, 30000);
    EXPECT_GE(delays[i].count(), base) << i;
    EXPECT_LE(delays[i].count(), std::min<std::int64_t>(2 * base, 30000)) << i;
  }
}

TEST(Reflector, NotServedTriesTheOlderVersionThenCountsAsAbsent) {
  recording_sink sink;
  reflector r(resource_of(model::kind::bgp_peer), sink, options());
  EXPECT_EQ(r.next().target, "/apis/metallb.io/v1beta2/namespaces/metallb-system/bgppeers?limit=2");
  r.on_failure({404, "NotFound", "the server could not find the requested resource"});
  EXPECT_EQ(r.version(), "v1beta1");
  EXPECT_EQ(r.next().target, "/apis/metallb.io/v1beta1/namespaces/metallb-system/bgppeers?limit=2");
  r.on_failure({404, "NotFound", ""});
  EXPECT_TRUE(r.absent());
  EXPECT_TRUE(r.synced());
  EXPECT_TRUE(r.connected());
  EXPECT_EQ(sink.replaces, 1);
  auto req = r.next();
  EXPECT_EQ(req.delay, 60s);
  EXPECT_EQ(req.target, "/apis/metallb.io/v1beta2/namespaces/metallb-system/bgppeers?limit=2");
  r.on_list_page({{}, "9", ""});
  EXPECT_FALSE(r.absent());
}

TEST(Reflector, SelectorsGoOnListAndWatch) {
  recording_sink sink;
  auto o = options();
  o.field_selector = "metadata.name=node-1";
  reflector r(resource_of(model::kind::node), sink, o);
  EXPECT_EQ(r.next().target, "/api/v1/nodes?limit=2&fieldSelector=metadata.name%3Dnode-1");
  r.on_list_page({{}, "3", ""});
  EXPECT_TRUE(r.next().target.ends_with("&fieldSelector=metadata.name%3Dnode-1"));
}

TEST(Reflector, TransportErrorDuringAListStartsItOver) {
  recording_sink sink;
  reflector r(resource_of(model::kind::service), sink, options());
  (void)r.next();
  r.on_list_page({{obj("a", "1"), obj("b", "2")}, "10", "tok"});
  (void)r.next();
  r.on_failure({0, "", "connect https://127.0.0.1:6443: Connection refused"});
  EXPECT_EQ(r.error(), "list services: connect https://127.0.0.1:6443: Connection refused");
  auto req = r.next();
  EXPECT_EQ(req.target, "/api/v1/services?limit=2");
  EXPECT_GE(req.delay, 800ms);
}

TEST(Reflector, RelistOnResync) {
  recording_sink sink;
  reflector r(resource_of(model::kind::service), sink, options());
  (void)r.next();
  r.on_list_page({{}, "10", ""});
  EXPECT_TRUE(r.watching());
  r.relist();
  EXPECT_EQ(r.next().what, request_type::list);
}

TEST(Backoff, ResetAndCap) {
  backoff b(backoff_policy{100ms, 1000ms, 2.0, 0.0}, 3);
  EXPECT_EQ(b.next(), 100ms);
  EXPECT_EQ(b.next(), 200ms);
  EXPECT_EQ(b.next(), 400ms);
  EXPECT_EQ(b.next(), 800ms);
  EXPECT_EQ(b.next(), 1000ms);
  EXPECT_EQ(b.next(), 1000ms);
  b.reset();
  EXPECT_EQ(b.next(), 100ms);
}

TEST(Backoff, JitterSpreadsClients) {
  backoff a(backoff_policy{}, 1), b(backoff_policy{}, 2);
  EXPECT_NE(a.next(), b.next());
}

TEST(Backoff, RetryAfter) {
  EXPECT_EQ(parse_retry_after("5"), 5s);
  EXPECT_EQ(parse_retry_after(" 120 "), 120s);
  EXPECT_EQ(parse_retry_after("0"), 0s);
  EXPECT_FALSE(parse_retry_after(""));
  EXPECT_FALSE(parse_retry_after("-1"));
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
  EXPECT_FALSE(parse_retry_after("1.5"));
}

}  // namespace
}  // namespace store::kubernetes
