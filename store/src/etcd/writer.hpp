// The controller's state_writer on etcd. write() returns at once: it queues a copy of the
// state (a newer one replaces one not yet written) for a thread that brings etcd to it:
// the difference between the keys under P/v1/ledger/ and P/controller/status/ as last
// known and the state's keys (codec.hpp), as Txns of at most max-txn-ops operations, each
// guarded by Compare(create_revision(election key) == ours) (election.hpp). Deletions go
// first, then changed keys, then new ones, the ledger's revision key last: a reader never
// sees one address held by two services, even when a large change spans several Txns.
//
// A failed attempt is retried (the keys as etcd holds them read again first) while this
// process leads, with the newest state; its error is returned once by the next write(),
// as a failed write of the file backend's state directory is, so the controller starts
// its next pass from read_ledger(). A refused compare means leadership is lost: the
// campaigner is told, the state dropped. Writes while not leading are refused at once.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "election.hpp"
#include "store/backend.hpp"

namespace store::etcd {

// The keys and values a state is written as (codec.hpp).
std::map<std::string, std::string> keys_of(const layout& l, const state& s);

// Keys to set (or delete: nullopt) to go from one set of keys to another.
using key_edits = std::map<std::string, std::optional<std::string>>;
key_edits edits_between(const std::map<std::string, std::string>& before, const std::map<std::string, std::string>& after);
// The same from two states, encoding only what differs: O(n) comparisons, O(changes)
// encodings. Equal to edits_between(keys_of(before), keys_of(after)).
key_edits edits_between(const layout& l, const state& before, const state& after);

// The edits that change `base`, in the order they must be applied: deletions, changed
// keys, new keys, the ledger's revision key last.
struct key_op {
  std::string key;
  std::optional<std::string> value;  // nullopt: delete
};
std::vector<key_op> operations(const layout& l, const std::map<std::string, std::string>& base, const key_edits& edits);

// The ledger keys under P/v1/ledger/ read and decoded: what a controller restores, also
// for a process that opened the datastore read-only (datastore::read_published_ledger).
ledger_read read_ledger_keys(client& c, const layout& l);

class writer final : public state_writer {
 public:
  writer(client& c, layout l, leadership& lead);
  ~writer() override;

  std::vector<model::error> write(const state& s) override;
  // Waits for the queue to drain (up to 4 request timeouts), then reads the ledger keys.
  ledger_read read_ledger() override;

  // True when nothing is queued or being written (waits up to `timeout`).
  bool flush(std::chrono::milliseconds timeout);
  void stop();

 private:
  void run();
  // One attempt at writing s; nothing on success or when s must be dropped.
  std::optional<model::error> attempt(const state& s);
  void forget_base();

  client& client_;
  layout layout_;
  leadership& lead_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::optional<state> pending_;
  bool busy_ = false;
  bool stopping_ = false;
  std::optional<model::error> failed_;  // the last attempt's error, returned once by write()
  std::thread thread_;

  // What etcd holds under the two prefixes, as known in the term `base_term_` (the
  // election key's create revision); writer thread only.
  std::optional<std::map<std::string, std::string>> base_;
  std::int64_t base_term_ = 0;
  std::optional<state> last_;  // the state base_ holds the keys of, when known
};

}  // namespace store::etcd
