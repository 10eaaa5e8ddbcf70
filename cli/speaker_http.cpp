// A speaker's JSON endpoints (see speaker_http.hpp).
#include "speaker_http.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <ostream>
#include <thread>

namespace bgplbctl {

namespace json = boost::json;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

int show_speaker_json(const std::string& speaker, const std::string& path, bool as_json,
                      const std::function<std::string(const json::value&)>& render, std::ostream& out,
                      std::ostream& err) {
  const auto colon = speaker.rfind(':');
  if (colon == std::string::npos) {
    err << "bgplbctl: --speaker " << speaker << ": want HOST:PORT\n";
    return 1;
  }
  std::string host = speaker.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  // 503: the speaker is busy (its dataplane programming every Service); asked again for up
  // to 10 s before the answer is shown.
  http::response<http::string_body> res;
  for (int attempt = 0;; ++attempt) {
    res = {};
    try {
      boost::asio::io_context io;
      tcp::resolver resolver(io);
      boost::beast::tcp_stream stream(io);
      stream.expires_after(std::chrono::seconds(5));
      stream.connect(resolver.resolve(host, speaker.substr(colon + 1)));
      http::request<http::empty_body> req{http::verb::get, path, 11};
      req.set(http::field::host, host);
      http::write(stream, req);
      boost::beast::flat_buffer buf;
      http::read(stream, buf, res);
    } catch (const boost::system::system_error& e) {
      err << "bgplbctl: no speaker at " << speaker << " (its --metrics-address): " << e.code().message() << "\n";
      return 1;
    }
    if (res.result() != http::status::service_unavailable || attempt == 50) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (res.result() != http::status::ok) {
    err << "bgplbctl: " << speaker << " answered " << res.result_int() << " for " << path << ": " << res.body();
    if (!res.body().empty() && res.body().back() != '\n') err << '\n';
    return 1;
  }
  boost::system::error_code ec;
  const auto doc = json::parse(res.body(), ec);
  if (ec) {
    err << "bgplbctl: " << speaker << path << ": not JSON: " << ec.message() << "\n";
    return 1;
  }
  try {
    out << (as_json ? json::serialize(doc) + "\n" : render(doc));
  } catch (const std::exception& e) {
    err << "bgplbctl: " << speaker << path << ": unexpected document: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace bgplbctl
