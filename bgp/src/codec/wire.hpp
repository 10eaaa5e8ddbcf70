// Bounds-checked big-endian reading and appending writing of wire bytes. Every read
// reports failure instead of reading past the end; nothing here allocates on read.
#pragma once

#include <bgp/types.hpp>

#include <cstdint>
#include <cstring>

namespace bgp::codec {

class reader {
 public:
  explicit reader(byte_view v) : p_(v.data()), end_(v.data() + v.size()) {}

  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  const std::uint8_t* position() const { return p_; }

  bool u8(std::uint8_t& v) {
    if (remaining() < 1) return false;
    v = *p_++;
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = static_cast<std::uint16_t>((p_[0] << 8) | p_[1]);
    p_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = (std::uint32_t{p_[0]} << 24) | (std::uint32_t{p_[1]} << 16) |
        (std::uint32_t{p_[2]} << 8) | std::uint32_t{p_[3]};
    p_ += 4;
    return true;
  }
  bool u64(std::uint64_t& v) {
    std::uint32_t hi = 0, lo = 0;
    if (remaining() < 8) return false;
    u32(hi);
    u32(lo);
    v = (std::uint64_t{hi} << 32) | lo;
    return true;
  }
  // A view of the next n bytes, consumed.
  bool take(std::size_t n, byte_view& out) {
    if (remaining() < n) return false;
    out = byte_view(p_, n);
    p_ += n;
    return true;
  }
  byte_view rest() {
    byte_view out(p_, remaining());
    p_ = end_;
    return out;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

inline std::uint16_t load_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
         (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

// Appends to a byte vector; lengths written before their content are patched later.
class writer {
 public:
  explicit writer(bytes& out) : out_(out) {}

  std::size_t size() const { return out_.size(); }
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    const std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24),
                               static_cast<std::uint8_t>(v >> 16),
                               static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    out_.insert(out_.end(), b, b + 4);
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
  }
  void put(byte_view v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void put(const std::uint8_t* p, std::size_t n) { out_.insert(out_.end(), p, p + n); }

  // Reserve space for a length field; returns its offset for patch_*.
  std::size_t placeholder(std::size_t n) {
    const std::size_t at = out_.size();
    out_.resize(at + n);
    return at;
  }
  void patch_u8(std::size_t at, std::uint8_t v) { out_[at] = v; }
  void patch_u16(std::size_t at, std::uint16_t v) {
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
  }
  bytes& buffer() { return out_; }

 private:
  bytes& out_;
};

}  // namespace bgp::codec
