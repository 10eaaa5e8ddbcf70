// RFC 5880 §6.7: keyed SHA1 and meticulous keyed SHA1 authentication of control
// packets, pure: signing an encoded packet and checking a received one against the
// receive sequence state of the session (§6.7.1 bfd.RcvAuthSeq, bfd.AuthSeqKnown).
// Simple password and keyed MD5 (§6.7.2, §6.7.3) are not implemented: a session is
// configured with SHA1 or with nothing.
#pragma once

#include <bfd/packet.hpp>

#include <array>
#include <cstdint>

namespace bfd::codec {

struct auth_key {
  auth_type type = auth_type::none;  // none, keyed_sha1 or meticulous_keyed_sha1
  std::uint8_t key_id = 0;
  std::array<std::uint8_t, 20> secret{};  // §6.7.4: the key, padded with zeros to 20 octets
  friend bool operator==(const auth_key&, const auth_key&) = default;
};

struct rx_auth_state {
  std::uint32_t rcv_seq = 0;  // bfd.RcvAuthSeq
  bool seq_known = false;     // bfd.AuthSeqKnown
};

// §6.7.4 transmission: the digest field of an encoded SHA1 packet becomes
// SHA1(packet with the key in the digest field).
void sign(bytes& encoded, const auth_key& key);

// §6.8.6 authentication checks and §6.7.4 reception. `raw` is the packet's first
// Length octets, `p` its decoding. On success updates `st` and returns none. A
// session without authentication passes `key.type == none`.
drop_reason verify(byte_view raw, const control_packet& p, const auth_key& key, rx_auth_state& st);

}  // namespace bfd::codec
