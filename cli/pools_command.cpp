// `bgplbctl pools` (see pools_command.hpp). A stranded address is one a service keeps
// although no pool holds it any more (issue 4, safe pool lifecycle): the pool status
// counts them, the services' PoolRemoved events name them.
#include "pools_command.hpp"
#include "text_table.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "etcd/client.hpp"
#include "etcd/codec.hpp"
#include "store/state_dir.hpp"
#include "store/status_json.hpp"

namespace bgplbctl {

namespace {

namespace json = boost::json;

struct stranded_address {
  std::string address;
  std::string ns;
  std::string name;
  std::string pool;
};

// From the PoolRemoved events, whose one wording (controller/events.hpp) is
// "address <ip> no longer in any pool".
std::vector<stranded_address> stranded_of(const store::state& s) {
  std::vector<stranded_address> out;
  constexpr std::string_view prefix = "address ";
  for (const auto& sv : s.services) {
    for (const auto& e : sv.events) {
      if (e.reason != "PoolRemoved" || e.message.rfind(prefix, 0) != 0) continue;
      const auto end = e.message.find(' ', prefix.size());
      out.push_back({e.message.substr(prefix.size(), end - prefix.size()), sv.ns, sv.name, sv.pool});
    }
  }
  return out;
}

}  // namespace

std::string pools_table(const store::state& s) {
  std::vector<std::vector<std::string>> rows = {
      {"POOL", "ASSIGNED-V4", "AVAILABLE-V4", "ASSIGNED-V6", "AVAILABLE-V6", "STRANDED"}};
  for (const auto& p : s.pools) {
    rows.push_back({p.name, std::to_string(p.assigned_ipv4), std::to_string(p.available_ipv4),
                    std::to_string(p.assigned_ipv6), std::to_string(p.available_ipv6), std::to_string(p.stranded)});
  }
  std::string out = text_table(rows);
  const auto stranded = stranded_of(s);
  if (stranded.empty()) return out;
  std::vector<std::vector<std::string>> srows = {{"STRANDED ADDRESS", "SERVICE", "POOL"}};
  for (const auto& a : stranded) srows.push_back({a.address, a.ns + "/" + a.name, a.pool});
  return out + "\n" + text_table(srows);
}

std::string pools_json(const store::state& s) {
  json::array pools;
  for (const auto& p : s.pools) pools.push_back(store::pool_json(p));
  json::array stranded;
  for (const auto& a : stranded_of(s)) {
    stranded.push_back(json::object{{"address", a.address}, {"namespace", a.ns}, {"name", a.name}, {"pool", a.pool}});
  }
  const json::object doc{{"revision", s.ledger.revision}, {"pools", std::move(pools)}, {"stranded", std::move(stranded)}};
  return json::serialize(doc) + "\n";
}

namespace {

// The status from etcd's P/controller/status/ keys, or nothing with the reason on `err`.
std::optional<store::state> etcd_status(const std::string& uri, std::ostream& err) {
  try {
    store::etcd::client c(store::etcd::parse_uri(uri), /*keep_connected=*/false);
    const store::etcd::layout l(c.settings().prefix);
    std::vector<store::etcd::kv_item> kvs;
    std::int64_t revision = 0;
    if (auto e = c.list(l.status_prefix(), kvs, revision)) {
      err << "bgplbctl: cannot read " << l.status_prefix() << ": " << e.message << "\n";
      return std::nullopt;
    }
    std::vector<store::etcd::ledger_key> keys;
    for (auto& kv : kvs) keys.push_back({std::move(kv.key), std::move(kv.value)});
    auto read = store::etcd::decode_status_keys(l, keys);
    for (const auto& e : read.errors) err << "bgplbctl: " << e.to_string() << "\n";
    return std::move(read.status);
  } catch (const std::invalid_argument& e) {
    err << "bgplbctl: " << e.what() << "\n";
    return std::nullopt;
  }
}

}  // namespace

int run_pools(const pools_options& opts, std::ostream& out, std::ostream& err) {
  if (!opts.datastore.empty()) {
    const auto status = etcd_status(opts.datastore, err);
    if (!status) return 1;
    out << (opts.json ? pools_json(*status) : pools_table(*status));
    return 0;
  }
  const std::string path = opts.state_dir + "/" + std::string(store::file::state_dir::status_file);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << "bgplbctl: " << path << ": cannot read (has the controller written its state yet?)\n";
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  const auto read = store::file::decode_status(path, text.str());
  if (!read.status) {
    for (const auto& e : read.errors) err << "bgplbctl: " << e.to_string() << "\n";
    return 1;
  }
  out << (opts.json ? pools_json(*read.status) : pools_table(*read.status));
  return 0;
}

void add_pools_command(CLI::App& app, int& status) {
  auto opts = std::make_shared<pools_options>();
  CLI::App* cmd = app.add_subcommand("pools", "Show pool usage and stranded addresses from the controller's state");
  auto* state = cmd->add_option("--state", opts->state_dir, "the controller's state directory (bgplb run --state DIR)")
                    ->type_name("DIR");
  auto* ds = cmd->add_option("--datastore", opts->datastore, "an etcd datastore instead (docs/etcd.md)")
                 ->type_name("URI");
  state->excludes(ds);
  cmd->add_flag("-j,--json", opts->json, "print JSON instead of a table");
  cmd->footer(
      "A stranded address is kept by its service although no pool holds it any more.\n"
      "Exit status: 0 shown, 1 the state could not be read, 2 bad usage.");
  cmd->callback([opts, &status] {
    if (opts->state_dir.empty() && opts->datastore.empty()) {
      std::cerr << "bgplbctl pools: give --state DIR or --datastore URI\n";
      status = 2;
      return;
    }
    status = run_pools(*opts, std::cout, std::cerr);
  });
}

}  // namespace bgplbctl
