// Campaigning for the controller's leadership (see election.hpp).
#include "election.hpp"

#include <algorithm>
#include <cstdio>

namespace store::etcd {

namespace {

using clock = std::chrono::steady_clock;

std::string hex(std::int64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::optional<leadership::guard> leadership::current() const {
  std::lock_guard lock(mutex_);
  return guard_;
}

void leadership::set(guard g) {
  std::lock_guard lock(mutex_);
  guard_ = std::move(g);
  refused_ = false;
}

void leadership::clear() {
  std::lock_guard lock(mutex_);
  guard_.reset();
}

void leadership::refused() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    guard_.reset();
    wake = wake_;
  }
  refused_ = true;
  if (wake) wake();
}

void leadership::on_refused(std::function<void()> f) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(f);
}

bool leadership::set_why_not(std::string why) {
  std::lock_guard lock(mutex_);
  if (why == why_not_) return false;
  why_not_ = std::move(why);
  return true;
}

std::string leadership::why_not() const {
  std::lock_guard lock(mutex_);
  return why_not_;
}

election::election(client& c, layout l, std::string identity, leadership& lead)
    : client_(c), layout_(std::move(l)), identity_(std::move(identity)), lead_(lead) {
  lead_.on_refused([this] {
    std::lock_guard lock(mutex_);
    if (feed_ != nullptr) feed_->cancel();
    wake_.notify_all();
  });
}

election::~election() {
  stop();
  lead_.on_refused(nullptr);
}

void election::start(datastore::leader_sink sink) {
  sink_ = std::move(sink);
  thread_ = std::thread([this] { run(); });
}

void election::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (feed_ != nullptr) feed_->cancel();
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void election::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, d, [&] { return stopping_.load(); });
}

void election::standing_by(std::string why) {
  if (lead_.set_why_not("not leading: " + why)) sink_(false);
}

std::string election::current_leader() {
  etcdserverpb::RangeRequest first;
  first.set_key(layout_.election_prefix());
  first.set_range_end(range_end(layout_.election_prefix()));
  first.set_sort_target(etcdserverpb::RangeRequest::CREATE);
  first.set_sort_order(etcdserverpb::RangeRequest::ASCEND);
  first.set_limit(1);
  etcdserverpb::RangeResponse r;
  if (client_.range(first, r) || r.kvs_size() == 0) return {};
  return r.kvs(0).value() + " leads (election key " + r.kvs(0).key() + ")";
}

void election::run() {
  while (!stopping_) campaign();
}

// The lease is this process's until `last_ok` (when the last answered keep-alive was
// sent) plus the TTL: etcd counts its TTL from when that renewal arrived, later, and
// nobody else can lead before etcd expires it. The process gives it up a tenth of the
// TTL (at most 500 ms) earlier, so that its writes, its log and its metrics have said so
// before another process can lead, whatever the scheduling delays; and no call outlasts
// that moment.
clock::time_point election::lease_end(clock::time_point last_ok) const {
  const auto ttl = client_.settings().lease_ttl;
  return last_ok + ttl - std::min<clock::duration>(ttl / 10, std::chrono::milliseconds(500));
}

bool election::keep_alive(std::int64_t lease, clock::time_point& last_ok) {
  const auto lease_end = this->lease_end(last_ok);
  const auto sent = clock::now();
  if (sent >= lease_end) return false;
  std::int64_t ttl = 0;
  if (client_.lease_keepalive(lease, ttl, lease_end)) return clock::now() < lease_end;  // tried again soon
  if (ttl <= 0) return false;  // expired: the key went with it
  last_ok = sent;
  return true;
}

void election::campaign() {
  const auto ttl = client_.settings().lease_ttl;
  std::int64_t lease = 0;
  if (auto e = client_.lease_grant(ttl, lease)) {
    standing_by("cannot campaign: granting a lease failed: " + e.message);
    pause(std::chrono::milliseconds(500));
    return;
  }
  auto last_ok = clock::now();
  const auto key = layout_.election_prefix() + hex(lease);

  // Create the key unless it exists, and learn its create revision.
  etcdserverpb::TxnRequest t;
  auto* cmp = t.add_compare();
  cmp->set_key(key);
  cmp->set_target(etcdserverpb::Compare::CREATE);
  cmp->set_result(etcdserverpb::Compare::EQUAL);
  cmp->set_create_revision(0);
  auto* put = t.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(identity_);
  put->set_lease(lease);
  t.add_failure()->mutable_request_range()->set_key(key);
  etcdserverpb::TxnResponse tr;
  std::int64_t created = 0;
  const auto created_error = client_.txn(t, tr);
  if (!created_error) {
    if (tr.succeeded()) created = tr.header().revision();
    else if (tr.responses_size() > 0 && tr.responses(0).response_range().kvs_size() > 0) {
      created = tr.responses(0).response_range().kvs(0).create_revision();
    }
  }
  bool leading = false;
  const std::string lease_lost =
      "no keep-alive of the lease answered for a whole lease-ttl: etcd expires it now (no etcd quorum reachable?)";
  auto finish = [&](bool lost, const std::string& why) {
    if (leading) {
      lead_.clear();
      if (lost) {
        lead_.set_why_not("not leading: " + why + "; campaigning again");
        sink_(false);
      }
    }
    client_.lease_revoke(lease);  // best effort: resigning lets the next one lead now
  };
  if (created == 0) {
    finish(false, {});
    standing_by("cannot campaign: creating the election key " + key + " failed" +
                (created_error ? ": " + created_error.message : std::string()));
    pause(std::chrono::milliseconds(500));
    return;
  }

  // After an unanswered keep-alive, try again soon: the renewal that a new raft leader
  // answers first moves the TTL's deadline.
  const auto next_renewal = [&](bool answered) {
    const auto next = clock::now() + (answered ? ttl / 3 : std::min<clock::duration>(ttl / 3, std::chrono::milliseconds(250)));
    return std::min(next, lease_end(last_ok));  // at the lease's end at the latest: step down then
  };
  auto next_keepalive = last_ok + ttl / 3;
  while (!stopping_) {
    // Is my key still there, and who campaigns just before me?
    etcdserverpb::RangeRequest mine;
    mine.set_key(key);
    mine.set_count_only(true);
    etcdserverpb::RangeResponse mr;
    etcdserverpb::RangeRequest before;
    before.set_key(layout_.election_prefix());
    before.set_range_end(range_end(layout_.election_prefix()));
    before.set_max_create_revision(created - 1);
    before.set_sort_target(etcdserverpb::RangeRequest::CREATE);
    before.set_sort_order(etcdserverpb::RangeRequest::DESCEND);
    before.set_limit(1);
    etcdserverpb::RangeResponse br;
    if (client_.range(mine, mr, lease_end(last_ok)) || client_.range(before, br, lease_end(last_ok))) {
      const auto answered_before = last_ok;
      if (!keep_alive(lease, last_ok)) return finish(true, lease_lost);
      next_keepalive = next_renewal(last_ok != answered_before);
      pause(std::chrono::milliseconds(200));
      continue;
    }
    if (mr.count() == 0) return finish(true, "the election key " + key + " is gone (its lease expired)");
    etcdserverpb::WatchCreateRequest w;
    if (br.kvs_size() > 0) {
      // Not leading: any campaigner's key that goes may change who leads (not only the
      // predecessor's), so every deletion under the prefix is a reason to look again and
      // the reason given names the leader of the moment. Deletions are rare (a campaigner
      // stops or dies), and there are a handful of controllers.
      w.set_key(layout_.election_prefix());
      w.set_range_end(range_end(layout_.election_prefix()));
      if (auto who = current_leader(); !who.empty()) standing_by(who);
    } else {
      w.set_key(key);
      if (!leading) {
        lead_.set({key, created});
        leading = true;
        sink_(true);
      }
    }
    w.set_start_revision(br.header().revision() + 1);
    w.add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
    watch_feed feed(client_, w);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      feed_ = &feed;
    }
    bool recheck = false;
    while (!stopping_ && !recheck) {
      if (lead_.take_refused()) {
        {
          std::lock_guard lock(mutex_);
          feed_ = nullptr;
        }
        return finish(true, "etcd refused a write guarded by the election key " + key + " (it is gone)");
      }
      auto item = feed.next(next_keepalive);
      if (!item) {
        const auto answered_before = last_ok;
        if (!keep_alive(lease, last_ok)) {
          {
            std::lock_guard lock(mutex_);
            feed_ = nullptr;
          }
          return finish(true, lease_lost);
        }
        next_keepalive = next_renewal(last_ok != answered_before);
        continue;
      }
      if (!item->response || item->response->canceled() || item->response->compact_revision() > 0) {
        recheck = true;  // the ranges above fail over from a dead member
        pause(std::chrono::milliseconds(100));
        continue;
      }
      for (const auto& e : item->response->events()) {
        if (e.type() == mvccpb::Event_EventType_DELETE) recheck = true;
      }
    }
    std::lock_guard lock(mutex_);
    feed_ = nullptr;
  }
  lead_.clear();
  client_.lease_revoke(lease);
}

}  // namespace store::etcd
