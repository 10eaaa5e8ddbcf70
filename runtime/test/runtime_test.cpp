// The process shell's pieces: metrics exposition, HTTP endpoint parsing and limits, log
// line quoting, and runtime::process (signals, readiness, stop order).
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
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

// A long family is kept in pieces of about 64 KiB that break between lines; the pieces,
// moved out or merged by move, read as the same text.
TEST(metrics, long_families_in_pieces_read_as_one_text) {
  runtime::exposition a, b;
  a.family("line", "gauge", "One per service.");
  for (int i = 0; i < 20000; ++i) a.sample("line", {{"service", "ns/svc-" + std::to_string(i)}}, i);
  b.family("other", "gauge", "");
  b.sample("other", {}, 1);
  for (int i = 0; i < 5000; ++i) b.sample("line", {{"service", "b-" + std::to_string(i)}}, i);
  runtime::exposition copied = a;
  copied.merge(b);
  a.merge(std::move(b));
  EXPECT_EQ(b.text(), "");
  const auto whole = a.text();
  EXPECT_EQ(copied.text(), whole);
  // b's lines of the shared family after a's, then b's own family
  EXPECT_NE(whole.find("line{service=\"ns/svc-19999\"} 19999\nline{service=\"b-0\"} 0\n"), std::string::npos);
  EXPECT_NE(whole.find("line{service=\"b-4999\"} 4999\n# TYPE other gauge\nother 1\n"), std::string::npos);
  const auto pieces = a.take_text();
  EXPECT_GT(pieces.size(), 10u);
  std::string joined;
  for (const auto& p : pieces) {
    EXPECT_LE(p.size(), 64u * 1024 + 1024);
    EXPECT_TRUE(p.empty() || p.back() == '\n');
    joined += p;
  }
  EXPECT_EQ(joined, whole);
  EXPECT_EQ(a.text(), "");
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

// A service whose long families take several turns of the core: the scrape is answered
// once every part is in, and the core serves other requests between the parts.
struct slow_metrics_service : runtime::service {
  asio::io_context& io;
  std::atomic<int> parts_left{0};
  std::atomic<int> rendered{0};
  std::atomic<bool> hold_last{false};  // the last part waits (at most 10 s) while this is set
  explicit slow_metrics_service(asio::io_context& i) : io(i) {}
  std::string_view name() const override { return "slow"; }
  void long_metrics(std::shared_ptr<runtime::exposition> x, std::function<void()> done) const override {
    x->family("slow_part", "gauge", "One line per part.");
    auto* self = const_cast<slow_metrics_service*>(this);
    self->parts_left = 50;
    self->part(std::move(x), std::move(done));
  }
  void part(std::shared_ptr<runtime::exposition> x, std::function<void()> done, int waited = 0) {
    if (parts_left == 1 && hold_last && waited < 2000) {  // 5 ms a wait
      auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(5));
      timer->async_wait([this, timer, x = std::move(x), done = std::move(done), waited](boost::system::error_code) mutable {
        part(std::move(x), std::move(done), waited + 1);
      });
      return;
    }
    x->sample("slow_part", {{"n", std::to_string(parts_left)}}, 1);
    ++rendered;
    if (--parts_left == 0) return done();
    // 5 ms between parts: a health check sent meanwhile finds the core free.
    auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(5));
    timer->async_wait([this, timer, x = std::move(x), done = std::move(done)](boost::system::error_code) mutable {
      part(std::move(x), std::move(done));
    });
  }
};

TEST(process, long_metrics_render_in_parts_between_other_work) {
  runtime::process p(quiet_on_any_port());
  recording_service svc;
  slow_metrics_service slow(p.io());
  p.add(svc).add(slow);
  std::thread t([&] { p.run(); });
  ASSERT_TRUE(eventually([&] { return svc.started == 1 && p.http_endpoint(); }));
  const auto at = *p.http_endpoint();
  // While the scrape is in its parts, a health check is answered (the core is free). The
  // last part waits for it, so a slow machine cannot let the scrape end first.
  std::string scrape, health;
  std::atomic<int> seen_mid{-1};
  slow.hold_last = true;
  std::thread scraper([&] { scrape = http_get(at, "/metrics"); });
  ASSERT_TRUE(eventually([&] { return slow.rendered > 0; }));
  std::thread checker([&] {
    health = http_get(at, "/healthz");
    seen_mid = slow.parts_left.load();
    slow.hold_last = false;
  });
  scraper.join();
  checker.join();
  EXPECT_NE(health.find("200 OK"), std::string::npos) << health;
  EXPECT_GT(seen_mid, 0) << "the health check waited for the whole scrape";
  EXPECT_NE(scrape.find("200 OK"), std::string::npos);
  EXPECT_NE(scrape.find("recorder_reloads_total 0"), std::string::npos) << scrape;
  EXPECT_NE(scrape.find("bgplb_http_accept_errors_total 0"), std::string::npos);
  for (int n = 1; n <= 50; ++n)
    EXPECT_NE(scrape.find("slow_part{n=\"" + std::to_string(n) + "\"} 1\n"), std::string::npos) << n;
  EXPECT_EQ(slow.rendered, 50);
  p.stop();
  ASSERT_TRUE(eventually([&] { return svc.stops == 1; }));
  svc.stop_now();
  t.join();
}

// An asynchronous handler may answer later; one that drops its respond closes the
// connection instead of leaving it hanging.
TEST(http, an_asynchronous_answer_comes_later_and_a_dropped_one_closes) {
  asio::io_context io;
  runtime::http_server::respond kept;
  runtime::http_server server(
      io, {asio::ip::make_address("127.0.0.1"), 0},
      runtime::http_server::async_handler([&](const std::string& path, runtime::http_server::respond r) {
        if (path == "/later") {
          kept = std::move(r);
          asio::post(io, [&] { std::exchange(kept, nullptr)({200, "text/plain", "later\n"}); });
        }
        // "/dropped": r goes out of scope uncalled
      }),
      {});
  std::thread t([&] { io.run(); });
  const auto later = http_get(server.local_endpoint(), "/later");
  EXPECT_NE(later.find("200 OK"), std::string::npos) << later;
  EXPECT_NE(later.find("later\n"), std::string::npos) << later;
  EXPECT_EQ(http_get(server.local_endpoint(), "/dropped"), "");
  asio::post(io, [&] { server.close(); });
  io.stop();
  t.join();
}

// A body in pieces goes out whole with its length; HEAD gets the length and no body; other
// methods get 405 with Allow; one kept-alive connection carries them all in turn.
TEST(http, pieces_head_and_other_methods_on_one_connection) {
  asio::io_context io;
  runtime::http_server server(io, {asio::ip::make_address("127.0.0.1"), 0}, [](const std::string&) {
    runtime::http_response r{200, "text/plain", "head:", {}};
    for (int i = 0; i < 100; ++i) r.more.push_back(std::string(1000, static_cast<char>('a' + i % 26)));
    return r;
  });
  std::thread t([&] { io.run(); });
  asio::io_context cio;
  asio::ip::tcp::socket s(cio);
  s.connect(server.local_endpoint());
  const std::string reqs =
      "GET /x HTTP/1.1\r\nHost: h\r\n\r\nHEAD /x HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  asio::write(s, asio::buffer(reqs));
  std::string out;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(out), ec);
  std::string body = "head:";
  for (int i = 0; i < 100; ++i) body += std::string(1000, static_cast<char>('a' + i % 26));
  const auto get_end = out.find("\r\n\r\n");
  ASSERT_NE(get_end, std::string::npos) << out;
  EXPECT_NE(out.substr(0, get_end).find("Content-Length: 100005"), std::string::npos) << out.substr(0, get_end);
  EXPECT_EQ(out.substr(get_end + 4, body.size()), body);
  const auto rest = out.substr(get_end + 4 + body.size());
  const auto head_end = rest.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << rest;
  EXPECT_EQ(rest.find("HTTP/1.1 200 OK"), 0u) << rest;
  EXPECT_NE(rest.substr(0, head_end).find("Content-Length: 100005"), std::string::npos);
  const auto post = rest.substr(head_end + 4);
  EXPECT_EQ(post.find("HTTP/1.1 405 Method Not Allowed"), 0u) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;
  EXPECT_NE(post.find("\r\n\r\nonly GET\n"), std::string::npos) << post;
  asio::post(io, [&] { server.close(); });
  io.stop();
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
