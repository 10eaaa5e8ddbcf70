// store::coalescer (see coalesce.hpp).
#include "store/coalesce.hpp"

#include <algorithm>

namespace store {

coalescer::clock::time_point coalescer::on_change(clock::time_point now, bool complete) {
  if (!first_) {
    first_ = now;
    under_load_ = delivered_ && now - *delivered_ < quiet_;
  }
  last_ = now;
  if (complete && !under_load_) return now;
  return std::min(last_ + quiet_, *first_ + max_delay_);
}

void coalescer::delivered(clock::time_point now) {
  delivered_ = now;
  first_.reset();
  under_load_ = false;
}

void coalescer::discarded() {
  first_.reset();
  under_load_ = false;
}

std::chrono::milliseconds max_coalesce_delay(std::chrono::milliseconds quiet) {
  return std::max(quiet * 20, std::chrono::milliseconds(100));
}

}  // namespace store
