// libFuzzer target: an UPDATE body under every session context. The first input octet
// chooses the context (bit 0 two-octet AS, 1 extended message, 2 ADD-PATH IPv4,
// 3 ADD-PATH IPv6, 4 eBGP); the rest is the body after the 19-octet header.
#include "check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  bgp::session_context ctx;
  ctx.four_octet_as = !(data[0] & 1);
  ctx.extended_message = data[0] & 2;
  ctx.add_path_ipv4 = data[0] & 4;
  ctx.add_path_ipv6 = data[0] & 8;
  ctx.ebgp = data[0] & 16;
  const std::size_t len = bgp::header_size + size - 1;
  if (len > 65535) return 0;
  bgp::bytes wire(16, 0xFF);
  wire.push_back(static_cast<std::uint8_t>(len >> 8));
  wire.push_back(static_cast<std::uint8_t>(len));
  wire.push_back(static_cast<std::uint8_t>(bgp::iana::message_type::update));
  wire.insert(wire.end(), data + 1, data + size);
  bgp::fuzz::check(bgp::decode(wire, ctx), ctx);
  return 0;
}
