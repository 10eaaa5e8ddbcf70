// SHA-1 (FIPS 180-4) for BFD's keyed SHA1 authentication (RFC 5880 §6.7.4). SHA-1
// is what the RFC names; it is not used for anything else here.
#pragma once

#include <bfd/packet.hpp>

#include <array>
#include <cstdint>

namespace bfd::codec {

std::array<std::uint8_t, 20> sha1(byte_view data);

}  // namespace bfd::codec
