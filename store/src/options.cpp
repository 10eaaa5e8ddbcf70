// The datastore's command-line options (see store/options.hpp).
#include "store/options.hpp"

#include <CLI/CLI.hpp>

namespace store {

void add_options(CLI::App& app, cli_options& o) {
  auto* f = app.add_option_function<std::string>(
                   "-f,--filename", [&o](const std::string& dir) { o.uri = "file:" + dir; },
                   "manifest directory (watched); the same as --datastore file:DIR")
                ->check(CLI::ExistingDirectory);
  auto* d = app.add_option("--datastore", o.uri,
                           "where the objects are: file:DIR, kubernetes: (docs/kubernetes.md) or "
                           "etcd://HOST:PORT[,...][/PREFIX][?PARAMS] (docs/etcd.md)");
  f->excludes(d);
  app.add_option("--state", o.open.state_dir, "the controller's state directory (ledger.json, status.json)");
  app.add_option_function<int>(
         "--coalesce-ms", [&o](int ms) { o.open.coalesce = std::chrono::milliseconds(ms); },
         "coalescing window: a change after this long without one is read at once; changes within it "
         "of the last are batched until this long passes without one (default 5)")
      ->check(CLI::Range(1, 10000));
  app.add_option_function<std::string>(
      "--load-balancer-class",
      [&o](const std::string& c) {
        if (!c.empty()) o.open.load_balancer_class = c;
      },
      "serve only services of this spec.loadBalancerClass");
}

std::string finish_options(cli_options& o) {
  if (o.uri.empty()) return "where are the objects? give -f DIR or --datastore URI";
  if (o.open.controller && o.uri.rfind("file:", 0) == 0 && !o.open.state_dir)
    return "the controller needs --state DIR with a manifest directory";
  return "";
}

}  // namespace store
