// Every session's deadlines (next transmission, detection) on one steady_timer: a
// binary min-heap with lazy updates. A session moving a deadline later (every received
// packet moves detection) touches only its own record; the heap entry is corrected when
// it comes up. Moving one earlier pushes a new entry; the old one is then stale and
// skipped. The heap holds at most a few entries per session.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace bfd::session {

using clock = std::chrono::steady_clock;
inline constexpr clock::time_point never = clock::time_point::max();

enum class deadline_kind : std::uint8_t { transmit = 0, detect = 1 };

// A session's side of the bookkeeping.
struct deadline_slots {
  clock::time_point due[2] = {never, never};     // the real deadlines
  clock::time_point queued[2] = {never, never};  // the live heap entry's time, if any
};

class deadline_heap {
 public:
  struct entry {
    clock::time_point when;
    std::uint32_t id;
    deadline_kind kind;
  };

  // Sets a deadline; pushes an entry only when it is earlier than the live one.
  void set(std::uint32_t id, deadline_slots& s, deadline_kind k, clock::time_point when) {
    const auto i = static_cast<std::size_t>(k);
    s.due[i] = when;
    if (when < s.queued[i]) {
      s.queued[i] = when;
      push({when, id, k});
    }
  }

  bool empty() const { return heap_.empty(); }
  clock::time_point next() const { return heap_.empty() ? never : heap_.front().when; }

  // Pops the earliest entry if due at `now`.
  bool pop_due(clock::time_point now, entry& out) {
    if (heap_.empty() || heap_.front().when > now) return false;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    out = heap_.back();
    heap_.pop_back();
    return true;
  }

  // For a popped entry of a live session: true if the session's real deadline is due by
  // `horizon` (it is then taken out and returned in `due`), false if the entry is stale
  // or was re-queued at the session's real, later deadline.
  bool settle(const entry& e, deadline_slots& s, clock::time_point horizon, clock::time_point& due) {
    const auto i = static_cast<std::size_t>(e.kind);
    if (e.when != s.queued[i]) return false;  // superseded by an earlier entry
    s.queued[i] = never;
    if (s.due[i] == never) return false;
    if (s.due[i] > horizon) {
      s.queued[i] = s.due[i];
      push({s.due[i], e.id, e.kind});
      return false;
    }
    due = s.due[i];
    s.due[i] = never;
    return true;
  }

  std::size_t size() const { return heap_.size(); }

 private:
  static bool later(const entry& a, const entry& b) { return a.when > b.when; }
  void push(entry e) {
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  std::vector<entry> heap_;
};

}  // namespace bfd::session
