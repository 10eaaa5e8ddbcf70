// An immutable string whose copies share one buffer. Every object decoded from a manifest
// names its file and its apiVersion (object_meta): at 100,000 Services those were 200,000
// copies of a path and 100,000 of "discovery.k8s.io/v1", each in an allocation of its own
// (docs/memory.md). A shared_text is one pointer; copies add a reference; the empty text
// allocates nothing.
#pragma once

#include <atomic>
#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace model {

class shared_text {
 public:
  shared_text() noexcept = default;
  shared_text(std::string_view s);  // NOLINT(google-explicit-constructor): as a string converts
  shared_text(const std::string& s) : shared_text(std::string_view(s)) {}  // NOLINT
  shared_text(const char* s) : shared_text(std::string_view(s)) {}         // NOLINT
  shared_text(const shared_text& o) noexcept : p_(o.p_) {
    if (p_ != nullptr) p_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  shared_text(shared_text&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  shared_text& operator=(shared_text o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~shared_text() { release(); }

  std::string_view view() const noexcept { return p_ != nullptr ? std::string_view(p_->data(), p_->size) : std::string_view(); }
  operator std::string_view() const noexcept { return view(); }  // NOLINT(google-explicit-constructor)
  std::string str() const { return std::string(view()); }
  bool empty() const noexcept { return p_ == nullptr; }
  std::size_t size() const noexcept { return p_ != nullptr ? p_->size : 0; }
  void clear() noexcept { release(); }
  // Whether two texts share one buffer (equal texts made apart do not).
  bool shares_with(const shared_text& o) const noexcept { return p_ == o.p_; }

  friend bool operator==(const shared_text& a, const shared_text& b) noexcept {
    return a.p_ == b.p_ || a.view() == b.view();
  }
  friend bool operator==(const shared_text& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const shared_text& a, const std::string& b) noexcept { return a.view() == b; }
  friend bool operator==(const shared_text& a, const char* b) noexcept { return a.view() == b; }
  friend std::strong_ordering operator<=>(const shared_text& a, const shared_text& b) noexcept {
    return a.view() <=> b.view();
  }
  friend std::ostream& operator<<(std::ostream& o, const shared_text& t);

 private:
  struct rep {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
    const char* data() const noexcept { return reinterpret_cast<const char*>(this + 1); }
  };
  void release() noexcept;
  rep* p_ = nullptr;
};

}  // namespace model
