// libFuzzer target: any bytes as a received BFD control packet. A clean decode
// re-encodes to the first Length octets and decodes to the same packet; keyed SHA1
// verification of whatever arrives never crashes and never accepts a packet that was
// not signed with the key.
#include <bfd/packet.hpp>

#include "codec/auth.hpp"

#include <algorithm>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bfd::byte_view in(data, size);
  const auto r = bfd::decode(in);
  if (r.reason != bfd::drop_reason::none) return 0;
  if (r.length > size) std::abort();
  const auto again = bfd::encode(r.packet);
  const auto back = bfd::decode(again);
  if (back.reason != bfd::drop_reason::none || !(back.packet == r.packet)) std::abort();
  // Octet-exact where the codec normalises nothing (it drops octets between the
  // header or authentication section and Length, and SHA1's Reserved octet).
  if (r.packet.auth.type == bfd::auth_type::none && r.length == bfd::header_length &&
      !std::equal(again.begin(), again.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(r.length)))
    std::abort();
  bfd::codec::auth_key key;
  key.type = bfd::auth_type::keyed_sha1;
  key.key_id = 1;
  key.secret[0] = 'k';
  bfd::codec::rx_auth_state st;
  (void)bfd::codec::verify(in.first(r.length), r.packet, key, st);
  key.type = bfd::auth_type::meticulous_keyed_sha1;
  (void)bfd::codec::verify(in.first(r.length), r.packet, key, st);
  return 0;
}
