// `bgplbctl services [--speaker HOST:PORT] [-j]`: each service address a running speaker
// knows of, its pool, and the BGPPeers it is announced to from that node — or why not.
// Reads the speaker's /v1/services (its metrics address, default 127.0.0.1:7472).
#pragma once

#include "cli11.hpp"

#include <boost/json/value.hpp>

#include <iosfwd>
#include <string>

namespace bgplbctl {

struct services_options {
  std::string speaker = "127.0.0.1:7472";
  bool json = false;
};

// The table for a /v1/services document.
std::string services_table(const boost::json::value& doc);

// Fetches and prints; problems go to `err`. Exit status: 0 shown, 1 no answer or a bad one.
int run_services(const services_options& opts, std::ostream& out, std::ostream& err);

void add_services_command(CLI::App& app, int& status);

}  // namespace bgplbctl
