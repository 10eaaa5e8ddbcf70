// `bgplbctl dataplane` (see dataplane_command.hpp).
#include "dataplane_command.hpp"
#include "speaker_http.hpp"
#include "text_table.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <iostream>

namespace bgplbctl {

namespace json = boost::json;

namespace {

std::string text(const json::value& v) { return std::string(v.as_string()); }
std::string number(const json::value& v) { return std::to_string(v.to_number<std::uint64_t>()); }

// "4099 of 65537 (6.3%)"
std::string share(std::uint64_t slots, std::uint64_t size) {
  if (size == 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llu (%.1f%%)", static_cast<unsigned long long>(slots),
                100.0 * static_cast<double>(slots) / static_cast<double>(size));
  return buf;
}

std::string counts(const json::object& o) {
  std::string out;
  for (const auto& [name, n] : o)
    if (n.to_number<std::uint64_t>() != 0) out += (out.empty() ? "" : ", ") + std::string(name) + " " + number(n);
  return out;
}

}  // namespace

std::string dataplane_table(const json::value& doc) {
  std::string ifaces;
  for (const auto& i : doc.at("interfaces").as_array()) ifaces += (ifaces.empty() ? "" : ",") + text(i);
  std::string out = "node " + text(doc.at("node")) + ": dataplane " + text(doc.at("state")) + " (mode " +
                    text(doc.at("mode")) + ", hook " + text(doc.at("hook")) + (ifaces.empty() ? "" : " on " + ifaces) +
                    ")\n";
  if (const auto reason = text(doc.at("reason")); !reason.empty()) out += "reason: " + reason + "\n";
  if (const auto* room = doc.as_object().if_contains("capacity"))  // the maps' room (--dataplane-max-services)
    out += "room: " + number(room->at("services_programmed")) + " of " + number(room->at("services")) +
           " dataplane services programmed\n";
  std::vector<std::vector<std::string>> rows{{"SERVICE", "FRONTENDS", "BACKEND", "NODE", "SLOTS", "PACKETS", "DROPS"}};
  for (const auto& v : doc.at("services").as_array()) {
    const auto& s = v.as_object();
    std::string fronts;
    for (const auto& f : s.at("frontends").as_array()) fronts += (fronts.empty() ? "" : " ") + text(f);
    std::string packets = "-", drops = "-";
    if (const auto* st = s.if_contains("stats")) {
      packets = number(st->at("packets"));
      drops = number(st->at("drops"));
    }
    const auto size = s.at("maglev_size").to_number<std::uint64_t>();
    const auto& backends = s.at("backends").as_array();
    if (backends.empty()) rows.push_back({text(s.at("name")), fronts, "none (ICMP unreachable)", "-", "-", packets, drops});
    bool first = true;
    for (const auto& b : backends) {
      const auto node = text(b.at("node"));
      rows.push_back({first ? text(s.at("name")) : "", first ? fronts : "", text(b.at("address")),
                      node.empty() ? "local" : node, share(b.at("slots").to_number<std::uint64_t>(), size),
                      first ? packets : "", first ? drops : ""});
      first = false;
    }
  }
  out += rows.size() == 1 ? "no services programmed\n" : text_table(rows);
  for (const auto& v : doc.at("skipped").as_array())
    out += "skipped " + text(v.at("name")) + ": " + text(v.at("reason")) + "\n";
  if (auto d = counts(doc.at("drops").as_object()); !d.empty()) out += "packets dropped: " + d + "\n";
  return out;
}

std::string conntrack_table(const json::value& doc) {
  std::string out = "node " + text(doc.at("node")) + ", client " + text(doc.at("client")) + "\n";
  if (const auto* e = doc.as_object().if_contains("error")) return out + "error: " + text(*e) + "\n";
  std::vector<std::vector<std::string>> rows{{"SERVICE", "PROTO", "DIRECTION", "CLIENT", "FRONTEND", "BACKEND", "NODE", "IDLE"}};
  for (const auto& v : doc.at("entries").as_array()) {
    const auto node = text(v.at("node"));
    char idle[32];
    std::snprintf(idle, sizeof idle, "%.0fs", v.at("idle_s").to_number<double>());
    rows.push_back({text(v.at("service")), text(v.at("protocol")), text(v.at("direction")), text(v.at("client")),
                    text(v.at("frontend")), text(v.at("backend")), node.empty() ? "local" : node, idle});
  }
  return out + (rows.size() == 1 ? "no conntrack entries for this client\n" : text_table(rows));
}

void add_dataplane_command(CLI::App& app, int& status) {
  struct options {
    std::string speaker = "127.0.0.1:7472", client;
    bool json = false;
  };
  auto opts = std::make_shared<options>();
  auto* cmd = app.add_subcommand(
      "dataplane", "Show a running speaker's eBPF dataplane: services, backends, Maglev spread, drops; --client: its flows");
  cmd->add_option("--speaker", opts->speaker, "the speaker's metrics address (HOST:PORT)")->capture_default_str();
  cmd->add_option("--client", opts->client, "show the conntrack entries of this client address");
  cmd->add_flag("-j,--json", opts->json, "print JSON");
  cmd->callback([opts, &status] {
    status = opts->client.empty()
                 ? show_speaker_json(opts->speaker, "/v1/dataplane", opts->json, dataplane_table, std::cout, std::cerr)
                 : show_speaker_json(opts->speaker, "/v1/dataplane/conntrack/" + opts->client, opts->json,
                                     conntrack_table, std::cout, std::cerr);
  });
}

}  // namespace bgplbctl
