// Exponential back-off with jitter, as client-go's reflector backs off (800 ms doubling to
// 30 s, each delay stretched by up to 100 % at random so that many clients restarted by
// one outage do not come back in step), and the Retry-After header of a 429 or 503.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace store::kubernetes {

struct backoff_policy {
  std::chrono::milliseconds initial{800};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
  double jitter = 1.0;  // a delay d becomes d + uniform[0, jitter·d), capped at max
};

class backoff {
 public:
  explicit backoff(backoff_policy p = {}, std::uint64_t seed = std::random_device{}()) : policy_(p), rng_(seed) {}

  // The next delay; each call without a reset() in between grows it.
  std::chrono::milliseconds next();
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  backoff_policy policy_;
  std::mt19937_64 rng_;
  int failures_ = 0;
};

// RFC 9110 §10.2.3: Retry-After is an HTTP-date or delay-seconds; the API server sends
// delay-seconds. nullopt for anything else (the caller backs off instead).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

}  // namespace store::kubernetes
