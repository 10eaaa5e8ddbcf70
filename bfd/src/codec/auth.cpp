// Keyed SHA1 / meticulous keyed SHA1, RFC 5880 §6.7.4.
#include "codec/auth.hpp"

#include "codec/sha1.hpp"

namespace bfd::codec {

namespace {
constexpr std::size_t digest_offset = header_length + 8;
}

void sign(bytes& encoded, const auth_key& key) {
  if (encoded.size() < digest_offset + 20) return;
  std::copy(key.secret.begin(), key.secret.end(), encoded.begin() + digest_offset);
  const auto d = sha1(encoded);
  std::copy(d.begin(), d.end(), encoded.begin() + digest_offset);
}

drop_reason verify(byte_view raw, const control_packet& p, const auth_key& key, rx_auth_state& st) {
  // §6.8.6: "If the Authentication Present (A) bit is set and bfd.AuthType is zero,
  // the packet MUST be discarded." / "If the A bit is clear and bfd.AuthType is not
  // zero, the packet MUST be discarded."
  if (key.type == auth_type::none)
    return p.auth.type == auth_type::none ? drop_reason::none : drop_reason::auth_unexpected;
  if (p.auth.type == auth_type::none) return drop_reason::auth_missing;
  if (p.auth.type != key.type) return drop_reason::auth_type_mismatch;
  // §6.7.4: "If the Auth Key ID field does not match the ID of a configured
  // authentication key, the received packet MUST be discarded."
  if (p.auth.key_id != key.key_id) return drop_reason::auth_key_id;
  // §6.7.4: with bfd.AuthSeqKnown, the sequence number must lie in
  // [RcvAuthSeq, RcvAuthSeq + 3*DetectMult] (keyed) or [RcvAuthSeq+1, ...]
  // (meticulous), in circular arithmetic.
  if (st.seq_known) {
    const std::uint32_t lo = key.type == auth_type::meticulous_keyed_sha1 ? st.rcv_seq + 1 : st.rcv_seq;
    const std::uint32_t hi = st.rcv_seq + 3u * p.detect_mult;
    if (p.auth.sequence - lo > hi - lo) return drop_reason::auth_sequence;
  }
  // "replace the contents of the Auth Key/Digest field with the authentication key
  // selected by the received Auth Key ID field. If the SHA1 hash of the packet ...
  // does not match the received digest, the packet MUST be discarded."
  if (raw.size() < digest_offset + 20) return drop_reason::bad_auth_length;
  bytes copy(raw.begin(), raw.end());
  std::copy(key.secret.begin(), key.secret.end(), copy.begin() + digest_offset);
  const auto d = sha1(copy);
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < 20; ++i) diff |= static_cast<std::uint8_t>(d[i] ^ p.auth.digest[i]);
  if (diff != 0) return drop_reason::auth_digest;
  st.rcv_seq = p.auth.sequence;
  st.seq_known = true;
  return drop_reason::none;
}

}  // namespace bfd::codec
