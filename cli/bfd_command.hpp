// `bgplbctl bfd [--speaker HOST:PORT] [-j]`: the BFD sessions of a running speaker, one
// per BGPPeer with a bfdProfile: state (ours and the peer's), the negotiated transmission
// interval and detection time, why the session last went down, and whether BFD holds the
// BGP session down. Reads the speaker's /v1/bfd (its metrics address, default
// 127.0.0.1:7472); -j prints that document as it is.
#pragma once

#include "cli11.hpp"

#include <boost/json/value.hpp>

#include <iosfwd>
#include <string>

namespace bgplbctl {

struct bfd_options {
  std::string speaker = "127.0.0.1:7472";
  bool json = false;
};

// The table for a /v1/bfd document.
std::string bfd_table(const boost::json::value& doc);

int run_bfd(const bfd_options& opts, std::ostream& out, std::ostream& err);

void add_bfd_command(CLI::App& app, int& status);

}  // namespace bgplbctl
