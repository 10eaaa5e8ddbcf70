// The process shell's pieces: metrics exposition, HTTP endpoint parsing and limits, log
// line quoting, and runtime::process (signals, readiness, stop order).
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <csignal>
#include <thread>

#include "runtime/http_server.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/process.hpp"

namespace {

TEST(metrics, exposition_groups_samples_under_one_help_and_type) {
  runtime::exposition x;
  x.family("metallb_bgp_session_up", "gauge", "BGP session state.");
  x.sample("metallb_bgp_session_up", {{"peer", "10.0.0.1"}}, 1);
  x.sample("metallb_bgp_session_up", {{"peer", "a\"b"}}, 0);
  runtime::histogram h({0.001, 0.01});
  h.observe(0.0005);
  h.observe(0.5);
  h.render(x, "bgplb_change_to_wire_seconds", "Latency.");
  EXPECT_EQ(x.text(),
            "# HELP metallb_bgp_session_up BGP session state.\n"
            "# TYPE metallb_bgp_session_up gauge\n"
            "metallb_bgp_session_up{peer=\"10.0.0.1\"} 1\n"
            "metallb_bgp_session_up{peer=\"a\\\"b\"} 0\n"
            "# HELP bgplb_change_to_wire_seconds Latency.\n"
            "# TYPE bgplb_change_to_wire_seconds histogram\n"
            "bgplb_change_to_wire_seconds_bucket{le=\"0.001\"} 1\n"
            "bgplb_change_to_wire_seconds_bucket{le=\"0.01\"} 1\n"
            "bgplb_change_to_wire_seconds_bucket{le=\"+Inf\"} 2\n"
            "bgplb_change_to_wire_seconds_sum 0.5005\n"
            "bgplb_change_to_wire_seconds_count 2\n");
}

TEST(metrics, merge_appends_families_and_joins_samples_of_one_family) {
  runtime::exposition a, b;
  a.family("x_total", "counter", "X.");
  a.sample("x_total", {{"k", "1"}}, 1);
  b.family("y", "gauge", "Y.");
  b.sample("y", {}, 2);
  b.family("x_total", "counter", "X.");
  b.sample("x_total", {{"k", "2"}}, 3);
  a.merge(b);
  runtime::exposition copy = a, moved = std::move(b);
  copy.sample("y", {{"k", "copy"}}, 4);  // into the copy's family, not a's
  moved.sample("y", {}, 5);
  EXPECT_EQ(moved.text(), "# HELP y Y.\n# TYPE y gauge\ny 2\ny 5\n# HELP x_total X.\n# TYPE x_total counter\nx_total{k=\"2\"} 3\n");
  EXPECT_NE(copy.text().find("y{k=\"copy\"} 4\n"), std::string::npos);
  EXPECT_EQ(a.text(),
            "# HELP x_total X.\n# TYPE x_total counter\nx_total{k=\"1\"} 1\nx_total{k=\"2\"} 3\n"
            "# HELP y Y.\n# TYPE y gauge\ny 2\n");
}

TEST(http, endpoints_parse_host_port_forms) {
  using runtime::parse_endpoint;
  EXPECT_EQ(parse_endpoint("127.0.0.1:7472")->port(), 7472);
  EXPECT_EQ(parse_endpoint("[::1]:9")->address().to_string(), "::1");
  EXPECT_EQ(parse_endpoint(":7472")->address().to_string(), "::");
  EXPECT_FALSE(parse_endpoint("127.0.0.1"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:99999"));
  EXPECT_FALSE(parse_endpoint("nohost:80"));
}

TEST(log, values_with_spaces_are_quoted) {
  EXPECT_EQ(runtime::log::line("peer_down", "peer", "tor", "reason", "hold timer \"expired\""),
            "event=peer_down peer=tor reason=\"hold timer \\\"expired\\\"\"");
}

namespace asio = boost::asio;

// A whole HTTP/1.0 exchange on a blocking socket; the response text, or "" when the
// server closed without answering.
std::string http_get(const asio::ip::tcp::endpoint& at, const std::string& path) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect(at);
  const std::string req = "GET " + path + " HTTP/1.0\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::string out;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(out), ec);
  return out;
}

struct recording_service : runtime::service {
  std::atomic<int> started{0}, reloads{0}, stops{0}, stops_now{0};
  std::function<void()> pending_done;  // stop() keeps `done` here until the test lets go
  std::optional<std::string> why_not_ready;
  std::string_view name() const override { return "recorder"; }
  std::optional<std::string> start() override {
    ++started;
    return std::nullopt;
  }
  void reload() override { ++reloads; }
  void stop(std::function<void()> done) override {
    ++stops;
    pending_done = std::move(done);
  }
  void stop_now() override {
    ++stops_now;
    if (pending_done) std::exchange(pending_done, nullptr)();
  }
  void metrics(runtime::exposition& x) const override {
    x.family("recorder_reloads_total", "counter", "Reloads.");
    x.sample("recorder_reloads_total", {}, reloads);
  }
  std::optional<runtime::http_response> http(std::string_view path) override {
    if (path != "/v1/recorder") return std::nullopt;
    return runtime::http_response{200, "application/json", "{}\n"};
  }
  std::optional<std::string> not_ready() const override { return why_not_ready; }
};

template <class F>
bool eventually(F cond) {
  for (int i = 0; i < 500 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return cond();
}

// A SIGHUP that arrives before the loop runs is a reload once it does, not a death (exit
// 129); the first SIGTERM stops gracefully, the second skips what the graceful stop waits for.
runtime::shell_options quiet_on_any_port() {
  runtime::shell_options o;
  o.metrics_address = "127.0.0.1:0";
  o.log_level = "error";
  return o;
}

TEST(process, signals_from_construction_on_and_a_second_stop_skips_the_drain) {
  runtime::process p(quiet_on_any_port());
  recording_service svc;
  p.add(svc);
  ASSERT_EQ(::raise(SIGHUP), 0);  // during start-up
  int code = -1;
  std::thread t([&] { code = p.run(); });
  ASSERT_TRUE(eventually([&] { return svc.reloads == 1; }));
  EXPECT_EQ(svc.started, 1);
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_TRUE(eventually([&] { return svc.stops == 1; }));
  EXPECT_EQ(svc.stops_now, 0);
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  t.join();
  EXPECT_EQ(svc.stops_now, 1);
  EXPECT_EQ(code, 0);
}

TEST(process, readyz_names_each_service_that_is_not_ready_and_routes_reach_services) {
  runtime::process p(quiet_on_any_port());
  recording_service svc;
  svc.why_not_ready = "datastore not loaded yet";
  p.add(svc);
  std::thread t([&] { p.run(); });
  ASSERT_TRUE(eventually([&] { return svc.started == 1 && p.http_endpoint(); }));
  const auto at = *p.http_endpoint();
  auto r = http_get(at, "/readyz");
  EXPECT_NE(r.find("503"), std::string::npos) << r;
  EXPECT_NE(r.find("recorder: datastore not loaded yet\n"), std::string::npos) << r;
  EXPECT_NE(http_get(at, "/healthz").find("200 OK"), std::string::npos);
  EXPECT_NE(http_get(at, "/v1/recorder").find("application/json"), std::string::npos);
  EXPECT_NE(http_get(at, "/metrics").find("recorder_reloads_total 0"), std::string::npos);
  EXPECT_NE(http_get(at, "/nothing").find("404"), std::string::npos);
  p.stop();
  ASSERT_TRUE(eventually([&] { return svc.stops == 1; }));
  svc.stop_now();
  t.join();
}

// Idle clients holding every allowed connection do not lock a health check out: the
// oldest idle one makes room.
TEST(http, a_flood_of_idle_connections_does_not_lock_out_a_health_check) {
  asio::io_context io;
  runtime::http_server::limits lim;
  lim.max_connections = 3;
  runtime::http_server server(io, {asio::ip::make_address("127.0.0.1"), 0},
                              [](const std::string&) { return runtime::http_response{200, "text/plain", "ok\n"}; }, lim);
  std::thread t([&] { io.run(); });
  asio::io_context cio;
  std::vector<asio::ip::tcp::socket> idle;
  for (int i = 0; i < 6; ++i) {
    idle.emplace_back(cio);
    idle.back().connect(server.local_endpoint());
  }
  const auto answer = http_get(server.local_endpoint(), "/healthz");
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
  asio::post(io, [&] { server.close(); });
  // The first idle connections were closed by the server to make room.
  char byte;
  boost::system::error_code ec;
  idle.front().read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  for (auto& s : idle) s.close();
  io.stop();
  t.join();
  EXPECT_GE(server.stats().refused_busy, 3u);
}

}  // namespace
