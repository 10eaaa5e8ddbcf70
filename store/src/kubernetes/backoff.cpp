// Back-off delays and Retry-After (see backoff.hpp).
#include "backoff.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace store::kubernetes {

std::chrono::milliseconds backoff::next() {
  const double base = static_cast<double>(policy_.initial.count()) * std::pow(policy_.factor, failures_);
  const double cap = static_cast<double>(policy_.max.count());
  const double d = std::min(base, cap);
  std::uniform_real_distribution<double> stretch(0.0, policy_.jitter);
  const double jittered = std::min(d + d * stretch(rng_), cap);
  if (base < cap) ++failures_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(jittered));
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  std::int64_t s = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
  if (ec != std::errc{} || end != value.data() + value.size() || s < 0) return std::nullopt;
  return std::chrono::seconds(s);
}

}  // namespace store::kubernetes
