#include "model/shared_text.hpp"

#include <cstring>
#include <limits>
#include <new>
#include <ostream>
#include <stdexcept>

namespace model {

shared_text::shared_text(std::string_view s) {
  if (s.empty()) return;
  if (s.size() > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("shared_text: text too long");
  void* at = ::operator new(sizeof(rep) + s.size());
  p_ = ::new (at) rep{{1}, static_cast<std::uint32_t>(s.size())};
  std::memcpy(static_cast<char*>(at) + sizeof(rep), s.data(), s.size());
}

void shared_text::release() noexcept {
  if (p_ == nullptr) return;
  if (p_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    p_->~rep();
    ::operator delete(static_cast<void*>(p_));
  }
  p_ = nullptr;
}

std::ostream& operator<<(std::ostream& o, const shared_text& t) { return o << t.view(); }

}  // namespace model
