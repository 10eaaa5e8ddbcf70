// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does
// it (tryAcquireOrRenew), with no I/O: the shell reads the Lease, asks decide() what to
// write, writes it with the read resourceVersion as precondition (a 409 means someone
// else wrote first) and reports the outcome.
//
// Timing (client-go's defaults): lease duration 15 s, renew deadline 10 s, retry period
// 2 s. A candidate takes the Lease only when its record has not changed for a whole
// lease duration by the candidate's own clock (the record's times are never compared
// across machines). The leader counts as leading until renew deadline after it *sent*
// its last successful renewal; since every other candidate waits a lease duration from
// the moment it saw that renewal, the leader stops writing at least lease duration −
// renew deadline (5 s) before anyone else can start.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace store::kubernetes {

struct lease_timing {
  std::chrono::milliseconds duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

// spec of a Lease.
struct lease_record {
  std::string holder;  // holderIdentity; "" when released
  std::int64_t duration_seconds = 0;
  std::string acquire_time;  // MicroTime text
  std::string renew_time;
  std::int64_t transitions = 0;
  friend bool operator==(const lease_record&, const lease_record&) = default;
};

struct lease_object {
  lease_record record;
  std::string resource_version;
};

// JSON of a Lease with this record (metadata.resourceVersion set when non-empty).
std::string encode_lease(std::string_view ns, std::string_view name, const lease_record& r,
                         std::string_view resource_version);
// A Lease read from the API; nullopt with the reason when it is not one.
std::optional<lease_object> decode_lease(std::string_view body, std::string& why);
// metav1.MicroTime: "2006-01-02T15:04:05.000000Z".
std::string micro_time(std::chrono::system_clock::time_point t);

class elector {
 public:
  using clock = std::chrono::steady_clock;

  elector(std::string identity, lease_timing timing) : identity_(std::move(identity)), timing_(timing) {}

  struct decision {
    enum class action : std::uint8_t { wait, create, update } what = action::wait;
    lease_record record;  // to create, or to update
  };
  // Given the Lease as read at `now` (nullopt: it does not exist) and the wall time for
  // the record, what to write.
  decision decide(const std::optional<lease_record>& current, clock::time_point now,
                  std::chrono::system_clock::time_point wall);
  // The write decided at `sent` succeeded: we hold the Lease.
  void on_written(const lease_record& written, clock::time_point sent);
  // The record to write when giving the Lease up (holder cleared, duration 1 s), as
  // client-go's ReleaseOnCancel does; nullopt when not holding it.
  std::optional<lease_record> release(std::chrono::system_clock::time_point wall) const;
  void on_released();

  // Until when this process may write: renew deadline after the last successful
  // renewal was sent; clock::time_point{} when it never held the Lease.
  clock::time_point leading_until() const { return leading_until_; }
  bool leading(clock::time_point now) const { return now < leading_until_; }
  const std::string& identity() const { return identity_; }
  const lease_timing& timing() const { return timing_; }

 private:
  std::string identity_;
  lease_timing timing_;
  std::optional<lease_record> observed_;
  clock::time_point observed_at_{};
  std::optional<lease_record> held_;  // what we last wrote while holding it
  clock::time_point leading_until_{};
};

}  // namespace store::kubernetes
