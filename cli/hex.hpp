// Hex text <-> bytes for bgplbctl: the lenient reader for messages typed or pasted by
// operators (whitespace, colons, a leading 0x) and the lowercase writer for JSON output.
#pragma once

#include <bgp/types.hpp>

#include <string>
#include <string_view>

namespace bgplbctl {

struct parsed_hex {
  bgp::bytes data;
  std::string error;  // empty when `data` is valid
  bool ok() const { return error.empty(); }
};

// Accepts hex digits of either case, ignoring spaces, tabs, CR and ':' anywhere, after
// an optional leading "0x"/"0X". Anything else, an odd digit count or no digits at all
// is an error.
parsed_hex parse_hex(std::string_view text);

std::string to_hex(bgp::byte_view data);

}  // namespace bgplbctl
