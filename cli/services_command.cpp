// `bgplbctl services` (see services_command.hpp).
#include "services_command.hpp"
#include "speaker_http.hpp"
#include "text_table.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace bgplbctl {

namespace json = boost::json;

std::string services_table(const json::value& doc) {
  std::vector<std::vector<std::string>> rows{{"SERVICE", "ADDRESS", "POOL", "ANNOUNCED TO / WHY NOT"}};
  for (const auto& s : doc.at("services").as_array()) {
    const std::string name = std::string(s.at("namespace").as_string()) + "/" + std::string(s.at("name").as_string());
    for (const auto& a : s.at("addresses").as_array()) {
      std::string to;
      for (const auto& p : a.at("announced_to").as_array()) to += (to.empty() ? "" : ",") + std::string(p.as_string());
      if (to.empty()) to = "withheld: " + std::string(a.at("reason").as_string());
      rows.push_back({name, std::string(a.at("ip").as_string()), std::string(a.at("pool").as_string()), to});
    }
  }
  return "node " + std::string(doc.at("node").as_string()) + "\n" + text_table(rows);
}

int run_services(const services_options& opts, std::ostream& out, std::ostream& err) {
  return show_speaker_json(opts.speaker, "/v1/services", opts.json, services_table, out, err);
}

void add_services_command(CLI::App& app, int& status) {
  auto opts = std::make_shared<services_options>();
  auto* cmd = app.add_subcommand("services", "Show service addresses of a running speaker: pool, peers announced to, or why not");
  cmd->add_option("--speaker", opts->speaker, "the speaker's metrics address (HOST:PORT)")->capture_default_str();
  cmd->add_flag("-j,--json", opts->json, "print JSON");
  cmd->callback([opts, &status] { status = run_services(*opts, std::cout, std::cerr); });
}

}  // namespace bgplbctl
