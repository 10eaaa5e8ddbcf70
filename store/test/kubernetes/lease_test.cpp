// Leader election decisions (client-go's tryAcquireOrRenew) and the Lease's JSON.
#include <gtest/gtest.h>

#include "lease.hpp"

namespace store::kubernetes {
namespace {

using namespace std::chrono_literals;
using action = elector::decision::action;
using clock = elector::clock;

const auto t0 = clock::time_point{} + 1000s;
const auto wall = std::chrono::system_clock::time_point{} + std::chrono::seconds(1'700'000'000);

TEST(Lease, MicroTime) {
  EXPECT_EQ(micro_time(wall + 1234567us), "2023-11-14T22:13:21.234567Z");
}

TEST(Lease, CreatedWhenAbsent) {
  elector e("a", {});
  auto d = e.decide(std::nullopt, t0, wall);
  EXPECT_EQ(d.what, action::create);
  EXPECT_EQ(d.record.holder, "a");
  EXPECT_EQ(d.record.duration_seconds, 15);
  EXPECT_EQ(d.record.transitions, 0);
  EXPECT_FALSE(e.leading(t0));
  e.on_written(d.record, t0);
  EXPECT_TRUE(e.leading(t0 + 9s));
  EXPECT_FALSE(e.leading(t0 + 10s));  // renew deadline after the send
}

TEST(Lease, RenewalKeepsAcquireTimeAndTransitions) {
  elector e("a", {});
  const lease_record held{"a", 15, "acq", "ren", 3};
  auto d = e.decide(held, t0, wall);
  EXPECT_EQ(d.what, action::update);
  EXPECT_EQ(d.record.acquire_time, "acq");
  EXPECT_EQ(d.record.transitions, 3);
  EXPECT_EQ(d.record.renew_time, micro_time(wall));
  e.on_written(d.record, t0 + 2s);
  EXPECT_EQ(e.leading_until(), t0 + 12s);
}

TEST(Lease, HeldByAnotherIsTakenOnlyAfterAWholeDurationUnchanged) {
  elector b("b", {});
  const lease_record a1{"a", 15, "t", "r1", 0};
  EXPECT_EQ(b.decide(a1, t0, wall).what, action::wait);
  EXPECT_EQ(b.decide(a1, t0 + 14s, wall).what, action::wait);
  // a renewed at 14 s: b's clock starts again.
  const lease_record a2{"a", 15, "t", "r2", 0};
  EXPECT_EQ(b.decide(a2, t0 + 14s, wall).what, action::wait);
  EXPECT_EQ(b.decide(a2, t0 + 28s, wall).what, action::wait);
  auto d = b.decide(a2, t0 + 29s, wall);
  EXPECT_EQ(d.what, action::update);
  EXPECT_EQ(d.record.holder, "b");
  EXPECT_EQ(d.record.transitions, 1);
  EXPECT_EQ(d.record.acquire_time, micro_time(wall));
}

TEST(Lease, TheHoldersDurationCounts) {
  elector b("b", {});
  const lease_record a{"a", 60, "t", "r", 0};
  EXPECT_EQ(b.decide(a, t0, wall).what, action::wait);
  EXPECT_EQ(b.decide(a, t0 + 59s, wall).what, action::wait);
  EXPECT_EQ(b.decide(a, t0 + 60s, wall).what, action::update);
}

TEST(Lease, ReleasedLeaseIsTakenAtOnce) {
  elector b("b", {});
  const lease_record released{"", 1, "t", "r", 4};
  auto d = b.decide(released, t0, wall);
  EXPECT_EQ(d.what, action::update);
  EXPECT_EQ(d.record.transitions, 5);
}

TEST(Lease, SeeingAnotherHolderEndsLeadershipAtOnce) {
  elector a("a", {});
  auto d = a.decide(std::nullopt, t0, wall);
  a.on_written(d.record, t0);
  EXPECT_TRUE(a.leading(t0 + 1s));
  // a stalled; b took the Lease after it expired.
  EXPECT_EQ(a.decide(lease_record{"b", 15, "t", "r", 1}, t0 + 1s, wall).what, action::wait);
  EXPECT_FALSE(a.leading(t0 + 1s));
}

TEST(Lease, SafetyMarginBetweenLeaders) {
  // The old leader stops writing renew-deadline after its last renewal was sent; the
  // challenger first sees that renewal no earlier than it was sent and waits a whole
  // duration: at least duration - renew deadline passes between the two.
  const lease_timing t{};
  elector a("a", t), b("b", t);
  auto d = a.decide(std::nullopt, t0, wall);
  a.on_written(d.record, t0);
  const auto seen = t0 + 100ms;
  EXPECT_EQ(b.decide(d.record, seen, wall).what, action::wait);
  auto first_b_write = seen;
  while (b.decide(d.record, first_b_write, wall).what == action::wait) first_b_write += 100ms;
  EXPECT_GE(first_b_write - a.leading_until(), t.duration - t.renew_deadline);
}

TEST(Lease, ReleaseClearsTheHolder) {
  elector a("a", {});
  EXPECT_FALSE(a.release(wall));
  auto d = a.decide(std::nullopt, t0, wall);
  a.on_written(d.record, t0);
  auto r = a.release(wall + 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->holder, "");
  EXPECT_EQ(r->duration_seconds, 1);
  a.on_released();
  EXPECT_FALSE(a.leading(t0));
}

TEST(Lease, JsonRoundTrip) {
  const lease_record r{"a_1", 15, "2024-01-01T00:00:00.000000Z", "2024-01-01T00:00:02.000000Z", 2};
  const auto text = encode_lease("metallb-system", "bgplb-controller", r, "77");
  EXPECT_EQ(text,
            R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"bgplb-controller",)"
            R"("namespace":"metallb-system","resourceVersion":"77"},"spec":{"holderIdentity":"a_1","leaseDurationSeconds":15,)"
            R"("leaseTransitions":2,"acquireTime":"2024-01-01T00:00:00.000000Z","renewTime":"2024-01-01T00:00:02.000000Z"}})");
  std::string why;
  auto back = decode_lease(text, why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->record, r);
  EXPECT_EQ(back->resource_version, "77");
  auto empty = decode_lease(R"({"metadata":{"resourceVersion":"3"}})", why);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->record.holder, "");
  EXPECT_FALSE(decode_lease("[]", why));
}

}  // namespace
}  // namespace store::kubernetes
