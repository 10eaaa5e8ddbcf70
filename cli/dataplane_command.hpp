// `bgplbctl dataplane [--speaker HOST:PORT] [--client IP] [-j]`: a running speaker's eBPF
// dataplane: state and hook, each service with its frontends, its backends and their
// share of the Maglev row (slots), packets and drops; the services it could not program
// and why; drops by reason. With --client, the conntrack entries of that client (which
// backend each of its flows is on). Reads /v1/dataplane or /v1/dataplane/conntrack/IP on
// the speaker's metrics address (default 127.0.0.1:7472); -j prints that document.
#pragma once

#include "cli11.hpp"

#include <boost/json/value.hpp>

#include <string>

namespace bgplbctl {

std::string dataplane_table(const boost::json::value& doc);
std::string conntrack_table(const boost::json::value& doc);

void add_dataplane_command(CLI::App& app, int& status);

}  // namespace bgplbctl
