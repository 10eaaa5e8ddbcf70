// `bgplbctl decode`: hex BGP messages in (arguments or standard input), one JSON
// object per message out. Schema and exit codes: docs/decode.md.
#pragma once

#include "cli11.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace bgplbctl {

struct decode_options {
  std::vector<std::string> hex;  // empty: read standard input
  bool two_octet_as = false;
  std::string add_path;  // "", "ipv4", "ipv6" or "both"
  bool extended_message = false;
  bool ebgp = false;
};

// Decodes every message and prints its JSON line to `out`. Returns the exit status:
// 0 when every message decoded cleanly, 1 when any was malformed or not valid hex.
int run_decode(const decode_options& opts, std::istream& in, std::ostream& out);

// Registers the `decode` subcommand on `app`; when it runs, its exit status is stored
// in `status`.
void add_decode_command(CLI::App& app, int& status);

}  // namespace bgplbctl
