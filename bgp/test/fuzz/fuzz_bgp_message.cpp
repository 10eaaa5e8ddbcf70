// libFuzzer target: any bytes as one whole BGP message under the default session
// context (four-octet AS, no ADD-PATH, 4096-octet messages), plus stream framing.
#include "check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bgp::byte_view in(data, size);
  const bgp::session_context ctx;
  const auto f = bgp::frame(in, ctx);
  if (f.error && f.length != 0) std::abort();
  bgp::fuzz::check(bgp::decode(in, ctx), ctx);
  return 0;
}
