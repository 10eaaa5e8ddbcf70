// `bgplbctl pools --state DIR | --datastore etcd://... [-j]`: pool usage and stranded
// addresses as the controller last wrote them: to its state directory (status.json,
// store/state_dir.hpp), or to etcd's P/controller/status/ keys (docs/etcd.md). Read-only.
#pragma once

#include "cli11.hpp"

#include <iosfwd>
#include <string>

#include "store/backend.hpp"

namespace bgplbctl {

struct pools_options {
  std::string state_dir;
  std::string datastore;  // etcd://...; instead of state_dir
  bool json = false;
};

// The table (or JSON document) for a status already read.
std::string pools_table(const store::state& s);
std::string pools_json(const store::state& s);

// Reads DIR/status.json (or the etcd keys) and prints it to `out`; problems go to `err`.
// Exit status: 0 shown, 1 the status is missing, unreachable or refused (the error names
// file or key, field and rule).
int run_pools(const pools_options& opts, std::ostream& out, std::ostream& err);

void add_pools_command(CLI::App& app, int& status);

}  // namespace bgplbctl
