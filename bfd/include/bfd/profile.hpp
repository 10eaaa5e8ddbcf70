// bfd::profile — MetalLB's BFDProfile (metallb.io/v1beta1) as a plain value with MetalLB's
// documented defaults. No I/O: the speaker's planner resolves a BGPPeer's bfdProfile into
// one without linking the session code (manager.hpp).
#pragma once

#include <cstdint>

namespace bfd {

struct profile {
  std::uint32_t receive_interval_ms = 300;   // 10–60000
  std::uint32_t transmit_interval_ms = 300;  // 10–60000
  std::uint32_t detect_multiplier = 3;       // 2–255
  std::uint32_t echo_interval_ms = 50;       // 10–60000; echo is not run (see README)
  bool echo_mode = false;                    // accepted, not run: the status says so
  bool passive_mode = false;                 // wait for the peer's first packet
  std::uint32_t minimum_ttl = 254;           // 1–254, multihop only (RFC 5883 §2)
  friend bool operator==(const profile&, const profile&) = default;
};

}  // namespace bfd
