// Writing the controller's state to etcd under its leadership (see writer.hpp).
#include "writer.hpp"

#include <algorithm>

#include "codec.hpp"

namespace store::etcd {

std::map<std::string, std::string> keys_of(const layout& l, const state& s) {
  std::map<std::string, std::string> out;
  for (const auto& e : s.ledger.entries) out.emplace(l.ledger_entry_key(e.ns, e.name), encode_entry(e));
  for (const auto& h : s.ledger.holds) out.emplace(l.ledger_hold_key(h.ip), encode_hold(h));
  out.emplace(l.ledger_revision_key(), encode_revision(s.ledger.revision));
  out.emplace(l.status_pools_key(), encode_pools_status(s));
  // Only services with events: addresses and pools are the ledger's.
  for (const auto& sv : s.services) {
    if (!sv.events.empty()) out.emplace(l.status_service_key(sv.ns, sv.name), encode_service_status(sv));
  }
  return out;
}

key_edits edits_between(const std::map<std::string, std::string>& before, const std::map<std::string, std::string>& after) {
  key_edits out;
  for (const auto& [key, value] : before) {
    if (!after.contains(key)) out.emplace(key, std::nullopt);
  }
  for (const auto& [key, value] : after) {
    const auto it = before.find(key);
    if (it == before.end() || it->second != value) out.emplace(key, value);
  }
  return out;
}

namespace {

// Walks two lists sorted by `key_of`, calling gone(b), changed(a) for an item of `after`
// whose key is new or whose item differs.
template <class T, class K, class G, class C>
void merge_walk(const std::vector<T>& before, const std::vector<T>& after, K key_of, G gone, C changed) {
  auto b = before.begin();
  auto a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && key_of(*b) < key_of(*a))) {
      gone(*b++);
    } else if (b == before.end() || key_of(*a) < key_of(*b)) {
      changed(*a++);
    } else {
      if (!(*a == *b)) changed(*a);
      ++a;
      ++b;
    }
  }
}

// The statuses written (codec.hpp: only those with events), by namespace and name.
std::vector<model::service_status> with_events(const state& s) {
  std::vector<model::service_status> out;
  for (const auto& sv : s.services) {
    if (!sv.events.empty()) out.push_back(sv);
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return std::tie(x.ns, x.name) < std::tie(y.ns, y.name); });
  return out;
}

}  // namespace

key_edits edits_between(const layout& l, const state& before, const state& after) {
  key_edits out;
  merge_walk(
      before.ledger.entries, after.ledger.entries, [](const model::ledger_entry& e) { return std::tie(e.ns, e.name); },
      [&](const auto& e) { out.emplace(l.ledger_entry_key(e.ns, e.name), std::nullopt); },
      [&](const auto& e) { out.emplace(l.ledger_entry_key(e.ns, e.name), encode_entry(e)); });
  merge_walk(
      before.ledger.holds, after.ledger.holds, [](const model::ledger_hold& h) { return h.ip; },
      [&](const auto& h) { out.emplace(l.ledger_hold_key(h.ip), std::nullopt); },
      [&](const auto& h) { out.emplace(l.ledger_hold_key(h.ip), encode_hold(h)); });
  merge_walk(
      with_events(before), with_events(after), [](const model::service_status& s) { return std::tie(s.ns, s.name); },
      [&](const auto& sv) { out.emplace(l.status_service_key(sv.ns, sv.name), std::nullopt); },
      [&](const auto& sv) { out.emplace(l.status_service_key(sv.ns, sv.name), encode_service_status(sv)); });
  if (before.ledger.revision != after.ledger.revision) out.emplace(l.ledger_revision_key(), encode_revision(after.ledger.revision));
  if (before.pools != after.pools || before.config_errors != after.config_errors || before.ledger.revision != after.ledger.revision) {
    out.emplace(l.status_pools_key(), encode_pools_status(after));
  }
  return out;
}

std::vector<key_op> operations(const layout& l, const std::map<std::string, std::string>& base, const key_edits& edits) {
  std::vector<key_op> deletes, changes, additions;
  std::optional<key_op> revision;
  for (const auto& [key, value] : edits) {
    const auto it = base.find(key);
    if (!value) {
      if (it != base.end()) deletes.push_back({key, std::nullopt});
      continue;
    }
    if (it != base.end() && it->second == *value) continue;
    key_op op{key, value};
    if (key == l.ledger_revision_key()) revision = std::move(op);
    else (it == base.end() ? additions : changes).push_back(std::move(op));
  }
  deletes.insert(deletes.end(), std::make_move_iterator(changes.begin()), std::make_move_iterator(changes.end()));
  deletes.insert(deletes.end(), std::make_move_iterator(additions.begin()), std::make_move_iterator(additions.end()));
  if (revision) deletes.push_back(std::move(*revision));
  return deletes;
}

writer::writer(client& c, layout l, leadership& lead) : client_(c), layout_(std::move(l)), lead_(lead) {
  thread_ = std::thread([this] { run(); });
}

writer::~writer() { stop(); }

std::vector<model::error> writer::write(const state& s) {
  if (!lead_.current()) {
    return {{layout_.ledger_prefix(), "", "", "not written: this controller does not lead (" + layout_.election_prefix() + ")"}};
  }
  std::optional<state> copy(s);  // copied before the lock: the writer thread never waits for it
  std::lock_guard lock(mutex_);
  pending_.swap(copy);
  wake_.notify_all();
  std::vector<model::error> out;
  if (failed_) out.push_back(std::move(*failed_));
  failed_.reset();
  return out;
}

bool writer::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [&] { return (!pending_ && !busy_) || stopping_; });
}

ledger_read read_ledger_keys(client& c, const layout& l) {
  std::vector<kv_item> kvs;
  std::int64_t revision = 0;
  if (auto e = c.list(l.ledger_prefix(), kvs, revision)) {
    return {std::nullopt, {{l.ledger_prefix(), "", "", "cannot read the ledger: " + e.message}}};
  }
  std::vector<ledger_key> keys;
  keys.reserve(kvs.size());
  for (auto& kv : kvs) keys.push_back({std::move(kv.key), std::move(kv.value)});
  return decode_ledger_keys(l, keys);
}

ledger_read writer::read_ledger() {
  flush(client_.settings().timeout * 4);
  return read_ledger_keys(client_, layout_);
}

void writer::stop() {
  flush(client_.settings().timeout);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void writer::run() {
  auto backoff = std::chrono::milliseconds(100);
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return pending_ || stopping_; });
    if (stopping_) break;
    state s = std::move(*pending_);
    pending_.reset();
    busy_ = true;
    lock.unlock();
    auto error = attempt(s);
    lock.lock();
    busy_ = false;
    if (error) {
      failed_ = std::move(error);
      if (!pending_) pending_ = std::move(s);  // retried unless a newer state came
      wake_.wait_for(lock, backoff, [&] { return stopping_; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    } else {
      failed_.reset();
      backoff = std::chrono::milliseconds(100);
    }
    if (!pending_) idle_.notify_all();
  }
  idle_.notify_all();
}

std::optional<model::error> writer::attempt(const state& s) {
  const auto guard = lead_.current();
  if (!guard) return std::nullopt;  // not leading: dropped
  const auto where = layout_.ledger_prefix();
  if (base_term_ != guard->create_revision) forget_base();  // another leader may have written since
  if (!base_) {
    std::map<std::string, std::string> base;
    for (const auto& prefix : {layout_.ledger_prefix(), layout_.status_prefix()}) {
      std::vector<kv_item> kvs;
      std::int64_t revision = 0;
      if (auto e = client_.list(prefix, kvs, revision)) return model::error{where, "", "", "not written: " + e.message};
      for (auto& kv : kvs) base.emplace(std::move(kv.key), std::move(kv.value));
    }
    base_ = std::move(base);
    base_term_ = guard->create_revision;
  }
  const auto ops = operations(layout_, *base_, last_ ? edits_between(layout_, *last_, s) : edits_between(*base_, keys_of(layout_, s)));
  const std::size_t chunk = client_.settings().max_txn_ops;
  for (std::size_t at = 0; at < ops.size(); at += chunk) {
    etcdserverpb::TxnRequest t;
    auto* cmp = t.add_compare();
    cmp->set_key(guard->key);
    cmp->set_target(etcdserverpb::Compare::CREATE);
    cmp->set_result(etcdserverpb::Compare::EQUAL);
    cmp->set_create_revision(guard->create_revision);
    const auto end = std::min(ops.size(), at + chunk);
    for (std::size_t i = at; i < end; ++i) {
      auto* op = t.add_success();
      if (ops[i].value) {
        op->mutable_request_put()->set_key(ops[i].key);
        op->mutable_request_put()->set_value(*ops[i].value);
      } else {
        op->mutable_request_delete_range()->set_key(ops[i].key);
      }
    }
    etcdserverpb::TxnResponse r;
    if (auto e = client_.txn(t, r)) {
      forget_base();  // it may or may not have been applied
      return model::error{where, "", "", "not written: " + e.message};
    }
    if (!r.succeeded()) {
      forget_base();
      lead_.refused();
      return std::nullopt;  // deposed: dropped
    }
    for (std::size_t i = at; i < end; ++i) {
      if (ops[i].value) (*base_)[ops[i].key] = *ops[i].value;
      else base_->erase(ops[i].key);
    }
  }
  last_ = s;  // base_ holds s's keys now
  return std::nullopt;
}

void writer::forget_base() {
  base_.reset();
  last_.reset();
}

}  // namespace store::etcd
