// Properties every fuzz target checks on a decode result: a clean decode re-encodes,
// and the re-encoding decodes to the same message once the codec's documented
// normalisations are applied (unknown non-transitive attributes are not passed on,
// unknown transitive ones gain the Partial bit and go in type order).
#pragma once

#include <bgp/codec.hpp>
#include <bgp/iana.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace bgp::fuzz {

inline message passed_on(message m) {
  if (auto* u = std::get_if<update_message>(&m)) {
    std::vector<unknown_attribute> kept;
    for (auto a : u->attrs.unknown)
      if (a.flags & iana::attr_flag::transitive) {
        a.flags |= iana::attr_flag::partial;
        kept.push_back(std::move(a));
      }
    std::stable_sort(kept.begin(), kept.end(),
                     [](const auto& a, const auto& b) { return a.code < b.code; });
    u->attrs.unknown = std::move(kept);
  }
  return m;
}

inline void check(const decode_result& r, const session_context& ctx) {
  if (!r.msg && !r.error) {
    std::fprintf(stderr, "decode returned neither a message nor an error\n");
    std::abort();
  }
  if (!r.msg) return;
  bytes wire;
  try {
    encode(wire, *r.msg, ctx);
  } catch (const std::length_error&) {
    return;  // e.g. a treat-as-withdraw UPDATE whose re-encoding is not smaller
  }
  if (!r.ok()) return;
  const auto again = decode(wire, ctx);
  if (!again.ok() || !(*again.msg == passed_on(*r.msg))) {
    std::fprintf(stderr, "re-encoding does not decode to the same message: %s\n",
                 again.error ? again.error->reason.c_str() : "different message");
    std::abort();
  }
}

}  // namespace bgp::fuzz
