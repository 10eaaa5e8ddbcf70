// The datastore's command-line options, shared by every binary: where the objects are
// (`--datastore URI`, or `-f DIR` for a manifest directory), the state directory, the
// coalescing quiet time and the served loadBalancerClass.
#pragma once

#include <string>

#include "store/datastore.hpp"

namespace CLI {
class App;
}

namespace store {

struct cli_options {
  std::string uri;  // from --datastore, or file:DIR from -f
  open_options open;
};

// -f/--datastore, --state, --coalesce-ms, --load-balancer-class. Set o.open.controller
// first: the controller needs a state directory with a manifest directory.
void add_options(CLI::App& app, cli_options& o);
// What CLI11 cannot check; the error, or "".
std::string finish_options(cli_options& o);

}  // namespace store
