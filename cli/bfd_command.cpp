// `bgplbctl bfd` (see bfd_command.hpp).
#include "bfd_command.hpp"
#include "speaker_http.hpp"
#include "text_table.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <iostream>

namespace bgplbctl {

namespace json = boost::json;

namespace {

std::string text(const json::value& v) { return std::string(v.as_string()); }

// Microseconds as milliseconds ("300 ms", "12.5 ms"); "-" while not negotiated.
std::string ms(const json::value& v) {
  const auto us = v.to_number<std::uint64_t>();
  if (us == 0) return "-";
  char buf[32];
  if (us % 1000 == 0) std::snprintf(buf, sizeof buf, "%llu ms", static_cast<unsigned long long>(us / 1000));
  else std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(us) / 1000.0);
  return buf;
}

// Seconds as "45s", "12m05s", "3h02m", "2d04h".
std::string age(double seconds) {
  auto s = static_cast<unsigned long long>(seconds < 0 ? 0 : seconds);
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llus", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%llum%02llus", s / 60, s % 60);
  else if (s < 86400) std::snprintf(buf, sizeof buf, "%lluh%02llum", s / 3600, s % 3600 / 60);
  else std::snprintf(buf, sizeof buf, "%llud%02lluh", s / 86400, s % 86400 / 3600);
  return buf;
}

}  // namespace

std::string bfd_table(const json::value& doc) {
  std::vector<std::vector<std::string>> rows{
      {"PEER", "ADDRESS", "HOPS", "STATE", "REMOTE", "SINCE", "TX", "DETECT", "LAST DOWN", "BGP"}};
  for (const auto& v : doc.at("sessions").as_array()) {
    const auto& s = v.as_object();
    const std::string last = text(s.at("last_down_diag"));
    rows.push_back({text(s.at("bgp_peer")), text(s.at("peer")), text(s.at("hops")), text(s.at("state")),
                    text(s.at("remote_state")), age(s.at("since_s").to_number<double>()), ms(s.at("tx_interval_us")),
                    ms(s.at("detection_time_us")), last == "no diagnostic" ? "-" : last,
                    s.at("bgp_held_down").as_bool() ? "held down" : "-"});
  }
  std::string out = "node " + text(doc.at("node")) + "\n";
  if (rows.size() == 1) return out + "no BFD sessions (no BGPPeer of this node names a bfdProfile)\n";
  out += text_table(rows);
  std::string drops;
  for (const auto& [reason, n] : doc.at("stats").at("drops").as_object())
    drops += (drops.empty() ? "" : ", ") + std::string(reason) + " " + std::to_string(n.to_number<std::uint64_t>());
  if (!drops.empty()) out += "packets dropped: " + drops + "\n";
  return out;
}

int run_bfd(const bfd_options& opts, std::ostream& out, std::ostream& err) {
  return show_speaker_json(opts.speaker, "/v1/bfd", opts.json, bfd_table, out, err);
}

void add_bfd_command(CLI::App& app, int& status) {
  auto opts = std::make_shared<bfd_options>();
  auto* cmd = app.add_subcommand("bfd", "Show a running speaker's BFD sessions: state, negotiated intervals, last diagnostic");
  cmd->add_option("--speaker", opts->speaker, "the speaker's metrics address (HOST:PORT)")->capture_default_str();
  cmd->add_flag("-j,--json", opts->json, "print JSON");
  cmd->callback([opts, &status] { status = run_bfd(*opts, std::cout, std::cerr); });
}

}  // namespace bgplbctl
