// `bgplbctl apply -f FILE|DIR`, `get KIND [NAME]`, `delete KIND NAME` on an etcd datastore
// (--datastore etcd://..., or $BGPLB_DATASTORE): the objects bgplb reads, one key each
// (docs/etcd.md), validated as the file datastore validates a manifest directory before
// anything is stored: a refused file's errors name the file, object, field and rule.
#pragma once

#include "cli11.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace bgplbctl {

struct store_options {
  std::string datastore;
  std::vector<std::string> files;    // apply: files and directories
  std::string kind;                  // get, delete
  std::optional<std::string> name;   // get (optional), delete
  std::optional<std::string> ns;     // -n; the kind's default namespace when unset
};

// Exit status: 0 done, 1 refused or failed (errors on `err`), 2 bad usage.
int run_apply(const store_options& opts, std::ostream& out, std::ostream& err);
int run_get(const store_options& opts, std::ostream& out, std::ostream& err);
int run_delete(const store_options& opts, std::ostream& out, std::ostream& err);

void add_store_commands(CLI::App& app, int& status);

}  // namespace bgplbctl
