// `bgplbctl pools` (see pools_command.hpp). A stranded address is one a service keeps
// although no pool holds it any more (issue 4, safe pool lifecycle): the pool status
// counts them, the services' PoolRemoved events name them.
#include "pools_command.hpp"
#include "text_table.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

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

int run_pools(const pools_options& opts, std::ostream& out, std::ostream& err) {
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
  cmd->add_option("--state", opts->state_dir, "the controller's state directory (bgplb run --state DIR)")
      ->required()
      ->type_name("DIR");
  cmd->add_flag("-j,--json", opts->json, "print JSON instead of a table");
  cmd->footer(
      "A stranded address is kept by its service although no pool holds it any more.\n"
      "Exit status: 0 shown, 1 the state could not be read, 2 bad usage.");
  cmd->callback([opts, &status] { status = run_pools(*opts, std::cout, std::cerr); });
}

}  // namespace bgplbctl
