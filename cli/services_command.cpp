// `bgplbctl services` (see services_command.hpp): one HTTP GET with Boost.Beast.
#include "services_command.hpp"
#include "text_table.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <iostream>

namespace bgplbctl {

namespace json = boost::json;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

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
  const auto colon = opts.speaker.rfind(':');
  if (colon == std::string::npos) {
    err << "bgplbctl: --speaker " << opts.speaker << ": want HOST:PORT\n";
    return 1;
  }
  std::string host = opts.speaker.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    boost::beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(5));
    stream.connect(resolver.resolve(host, opts.speaker.substr(colon + 1)));
    http::request<http::empty_body> req{http::verb::get, "/v1/services", 11};
    req.set(http::field::host, host);
    http::write(stream, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    if (res.result() != http::status::ok) {
      err << "bgplbctl: " << opts.speaker << " answered " << res.result_int() << ": " << res.body();
      return 1;
    }
    const auto doc = json::parse(res.body());
    out << (opts.json ? json::serialize(doc) + "\n" : services_table(doc));
    return 0;
  } catch (const boost::system::system_error& e) {
    err << "bgplbctl: no speaker at " << opts.speaker << " (its --metrics-address): " << e.code().message() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "bgplbctl: " << opts.speaker << ": " << e.what() << "\n";
    return 1;
  }
}

void add_services_command(CLI::App& app, int& status) {
  auto opts = std::make_shared<services_options>();
  auto* cmd = app.add_subcommand("services", "Show service addresses of a running speaker: pool, peers announced to, or why not");
  cmd->add_option("--speaker", opts->speaker, "the speaker's metrics address (HOST:PORT)")->capture_default_str();
  cmd->add_flag("-j,--json", opts->json, "print JSON");
  cmd->callback([opts, &status] { status = run_services(*opts, std::cout, std::cerr); });
}

}  // namespace bgplbctl
