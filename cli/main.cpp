// bgplbctl: the operator's client. Only wires subcommands together; each lives in its
// own <name>_command.cpp.
#include "bfd_command.hpp"
#include "dataplane_command.hpp"
#include "decode_command.hpp"
#include "gobgp_command.hpp"
#include "pools_command.hpp"
#include "services_command.hpp"
#include "store_command.hpp"

#include "cli11.hpp"

#include <exception>
#include <iostream>

#ifndef BGPLB_VERSION
#define BGPLB_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  CLI::App app{"bgplbctl: inspect a bgplb speaker and decode BGP messages", "bgplbctl"};
  app.set_version_flag("--version", "bgplbctl " BGPLB_VERSION);
  app.footer("Run 'bgplbctl <command> --help' for a command's options.");

  // One command per run: after it, a word such as `neighbor` in `monitor neighbor` is
  // that command's argument, not a second command.
  app.require_subcommand(0, 1);

  int status = 0;
  bgplbctl::add_decode_command(app, status);
  bgplbctl::add_gobgp_commands(app, status);
  bgplbctl::add_pools_command(app, status);
  bgplbctl::add_services_command(app, status);
  bgplbctl::add_store_commands(app, status);
  bgplbctl::add_bfd_command(app, status);
  bgplbctl::add_dataplane_command(app, status);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version come through here with exit code 0; every real usage
    // error is 2, whatever CLI11's own code for it.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "bgplbctl: internal error: " << e.what() << '\n';
    return 3;
  }
  if (app.get_subcommands().empty()) {
    std::cerr << app.help();
    return 2;
  }
  return status;
}
