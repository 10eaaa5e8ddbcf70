// Maglev population (NSDI 2016 §3.4, Pseudocode 1) with our fixed key hashes.
#include "dataplane/maglev.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

#include "abi.h"

namespace dataplane::maglev {

namespace {

// FNV-1a 64 over the key, then MurmurHash3's 64-bit finaliser: two independent hashes
// from two offset bases. Fixed forever (see the header).
std::uint64_t key_hash(std::string_view key, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

constexpr std::uint64_t offset_basis = 0xcbf29ce484222325ULL;  // FNV's
constexpr std::uint64_t skip_basis = 0x62676c626d61676cULL;    // "bglbmagl"

}  // namespace

bool is_prime(std::uint32_t n) {
  if (n < 2) return false;
  for (std::uint64_t d = 2; d * d <= n; ++d)
    if (n % d == 0) return false;
  return true;
}

std::string backend_key(const address& addr, std::uint16_t port) {
  std::string key(reinterpret_cast<const char*>(addr.bytes().data()), addr.bytes().size());
  key.push_back(static_cast<char>(port >> 8));
  key.push_back(static_cast<char>(port & 0xff));
  return key;
}

std::vector<std::uint32_t> populate(std::span<const std::string> keys, std::uint32_t size) {
  const std::size_t n = keys.size();
  if (n == 0 || n >= size || !is_prime(size))
    throw std::invalid_argument("maglev::populate: need 0 < backends < prime size");
  std::vector<std::uint32_t> offset(n), skip(n);
  for (std::size_t i = 0; i < n; ++i) {
    offset[i] = static_cast<std::uint32_t>(key_hash(keys[i], offset_basis) % size);
    skip[i] = static_cast<std::uint32_t>(key_hash(keys[i], skip_basis) % (size - 1) + 1);
  }
  constexpr std::uint32_t empty = 0xffffffffu;
  std::vector<std::uint32_t> row(size, empty);
  std::uint32_t filled = 0;
  // Each round gives every backend its next preferred free slot, so counts differ by at
  // most one. permutation[i][j] = (offset + j * skip) mod M, walked incrementally.
  std::vector<std::uint32_t> cursor(offset);
  while (true) {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t c = cursor[i];
      while (row[c] != empty) {
        c += skip[i];
        if (c >= size) c -= size;
      }
      row[c] = static_cast<std::uint32_t>(i);
      c += skip[i];
      if (c >= size) c -= size;
      cursor[i] = c;
      if (++filled == size) return row;
    }
  }
}

std::uint32_t flow_hash(const address& client, const address& frontend, std::uint16_t client_port,
                        std::uint16_t frontend_port, protocol proto) {
  abi::addr16 src{}, dst{};
  std::memcpy(src.w, client.bytes().data(), 16);
  std::memcpy(dst.w, frontend.bytes().data(), 16);
  return abi::bgplb_flow_hash(&src, &dst, htons(client_port), htons(frontend_port),
                              static_cast<std::uint8_t>(proto));
}

}  // namespace dataplane::maglev
