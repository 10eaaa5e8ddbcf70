// bgplbctl's gobgp-style commands: `global`, `neighbor`, `monitor`, with GoBGP 3.10's
// client syntax, text and JSON (-j), talking GobgpApi to a bgplb speaker or any gobgpd.
// Connection options as gobgp's: -u/--host, -p/--port, --target (host:port or
// unix:///path), --tls, --tls-ca-file.
#pragma once

#include "cli11.hpp"

namespace bgplbctl {

// Registers `global`, `neighbor` and `monitor` on `app`; the exit status of the one
// that runs goes to `status` (0 ok, 1 error, as gobgp).
void add_gobgp_commands(CLI::App& app, int& status);

}  // namespace bgplbctl
