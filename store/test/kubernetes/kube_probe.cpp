// kube_probe: opens a datastore URI and prints what it delivers as JSON lines, for the
// fixture tests and for anyone checking what bgplb would read from a cluster.
//
//   kube_probe URI [--controller] [--node NAME] [--class CLASS] [--coalesce-ms N]
//                  [--campaign] [--keys] [--count-assignments] [--seconds N]
//
// Output (stdout, one JSON object per line, flushed):
//   {"event":"change","full":..,"generation":..,"objects":N,"added":N,"modified":N,"removed":N,
//    "errors":[".."],"assignments":{"ns/name":["ip"]}|N (--count-assignments)|null,"moved":["ns/name"],"ms":T,
//    "rss_kb":R,"peak_rss_kb":P,"cpu_ms":C[,"heap_kb":H (full only)] [, "keys":{"added":[..],"modified":[..],"removed":[..]}]}
//   {"event":"health","synced":..,"connected":..,"error":"..","last_sync_unix":..,"ms":T}
//   {"event":"leader","leading":..,"ms":T}
//   {"event":"ledger","ledger":{ledger.json}|null,"errors":[".."]}   (after read-ledger)
//   {"event":"written","errors":[".."]}                               (after write)
//   {"event":"opened","describe":".."} first, {"event":"stopped"} last
// Commands (stdin, one per line): resync | read-ledger | write LEDGER.json STATUS.json |
// event NS NAME TYPE REASON MESSAGE... (post_event: the process's own Event) | stop
// (the state files in the state directory's format, store/state_dir.hpp). EOF stops too;
// with --seconds N the probe runs N seconds and reads no commands.
#include <boost/json.hpp>
#include <malloc.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "store/kubernetes.hpp"
#include "store/state_dir.hpp"

namespace json = boost::json;

namespace {

std::mutex out_mutex;
const auto started = std::chrono::steady_clock::now();

std::int64_t ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
}

// VmRSS or VmHWM (the peak) from /proc/self/status.
long memory_kb(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) return std::stol(line.substr(field.size()));
  }
  return -1;
}

// CPU time of the whole process (every thread), user + system.
std::int64_t cpu_ms() {
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000;
}

void emit(json::object o) {
  std::lock_guard lock(out_mutex);
  std::cout << json::serialize(o) << std::endl;
}

json::array error_texts(const std::vector<model::error>& errors) {
  json::array a;
  for (const auto& e : errors) a.push_back(json::string(e.to_string()));
  return a;
}

json::array key_texts(const std::vector<model::object_key>& keys) {
  json::array a;
  for (const auto& k : keys) a.push_back(json::string(k.to_string()));
  return a;
}

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int usage() {
  std::cerr << "usage: kube_probe URI [--controller] [--node NAME] [--class CLASS] [--coalesce-ms N] [--campaign] "
               "[--keys] [--count-assignments] [--seconds N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string uri = argv[1];
  store::open_options o;
  bool campaign = false, keys = false, count_only = false;
  int seconds = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--controller") o.controller = true;
      else if (a == "--node") o.node = value();
      else if (a == "--class") o.load_balancer_class = value();
      else if (a == "--coalesce-ms") o.coalesce = std::chrono::milliseconds(std::stoi(value()));
      else if (a == "--campaign") campaign = true;
      else if (a == "--keys") keys = true;
      else if (a == "--count-assignments") count_only = true;
      else if (a == "--seconds") seconds = std::stoi(value());
      else return usage();
    } catch (const std::exception& e) {
      std::cerr << "kube_probe: " << e.what() << "\n";
      return 2;
    }
  }
  // Logs go to stderr: stdout carries only the JSON lines.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("kube_probe"));
  std::unique_ptr<store::datastore> ds;
  try {
    ds = store::open_kubernetes(uri, o);
  } catch (const std::invalid_argument& e) {
    std::cerr << "kube_probe: " << e.what() << "\n";
    return 1;
  }
  emit({{"event", "opened"}, {"describe", ds->describe()}});
  ds->start(
      [keys, count_only](store::change c) {
        json::object line{{"event", "change"},
                          {"full", c.full},
                          {"generation", c.objects.snapshot->generation()},
                          {"objects", c.objects.snapshot->size()},
                          {"added", c.objects.changes.added.size()},
                          {"modified", c.objects.changes.modified.size()},
                          {"removed", c.objects.changes.removed.size()},
                          {"errors", error_texts(c.objects.errors)}};
        if (c.assignments && count_only) {
          line["assignments"] = c.assignments->size();
        } else if (c.assignments) {
          json::object a;
          for (const auto& [k, ips] : *c.assignments) {
            json::array list;
            for (const auto& ip : ips) list.push_back(json::string(ip.to_string()));
            a[k.ns + "/" + k.name] = std::move(list);
          }
          line["assignments"] = std::move(a);
        } else {
          line["assignments"] = nullptr;
        }
        json::array moved;
        for (const auto& k : c.moved) moved.push_back(json::string(k.ns + "/" + k.name));
        line["moved"] = std::move(moved);
        if (keys) {
          line["keys"] = json::object{{"added", key_texts(c.objects.changes.added)},
                                      {"modified", key_texts(c.objects.changes.modified)},
                                      {"removed", key_texts(c.objects.changes.removed)}};
        }
        line["ms"] = ms();
        line["rss_kb"] = memory_kb("VmRSS:");
        line["peak_rss_kb"] = memory_kb("VmHWM:");
        line["cpu_ms"] = cpu_ms();
        // Heap in use (main arena); mallinfo2 walks the heap, so on full updates only.
        if (c.full) line["heap_kb"] = static_cast<std::int64_t>(::mallinfo2().uordblks / 1024);
        emit(std::move(line));
      },
      [](const store::health& h) {
        emit({{"event", "health"},
              {"synced", h.synced},
              {"connected", h.connected},
              {"error", h.error},
              {"last_sync_unix", h.last_sync_unix},
              {"ms", ms()}});
      });
  if (campaign) ds->campaign([](bool leading) { emit({{"event", "leader"}, {"leading", leading}, {"ms", ms()}}); });

  // This thread is the "core": it calls write() and read_ledger(). With --seconds it
  // only waits that long (stdin is not read).
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::seconds(seconds));
  std::string line;
  while (seconds == 0 && std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string cmd;
    words >> cmd;
    if (cmd == "stop") break;
    if (cmd == "resync") {
      ds->resync();
    } else if (cmd == "read-ledger") {
      auto* w = ds->writer();
      if (w == nullptr) {
        emit({{"event", "ledger"}, {"ledger", nullptr}, {"errors", json::array{"not opened as a controller"}}});
        continue;
      }
      auto r = w->read_ledger();
      json::value l = nullptr;
      if (r.ledger) l = json::parse(store::file::encode_ledger(*r.ledger));
      emit({{"event", "ledger"}, {"ledger", l}, {"errors", error_texts(r.errors)}, {"ms", ms()}});
    } else if (cmd == "write") {
      std::string ledger_path, status_path;
      words >> ledger_path >> status_path;
      auto* w = ds->writer();
      const auto lt = slurp(ledger_path), st = slurp(status_path);
      if (w == nullptr || !lt || !st) {
        emit({{"event", "written"}, {"errors", json::array{"no writer or unreadable state files"}}});
        continue;
      }
      auto l = store::file::decode_ledger(ledger_path, *lt);
      auto s = store::file::decode_status(status_path, *st);
      if (!l.ledger || !s.status) {
        auto errors = l.errors;
        errors.insert(errors.end(), s.errors.begin(), s.errors.end());
        emit({{"event", "written"}, {"errors", error_texts(errors)}});
        continue;
      }
      store::state state = std::move(*s.status);
      state.ledger = std::move(*l.ledger);
      emit({{"event", "written"}, {"errors", error_texts(w->write(state))}, {"ms", ms()}});
    } else if (cmd == "event") {
      model::name_key key;
      model::event e;
      words >> key.ns >> key.name >> e.type >> e.reason;
      std::getline(words >> std::ws, e.message);
      ds->post_event(key, e);
    } else if (!cmd.empty()) {
      emit({{"event", "unknown-command"}, {"command", cmd}});
    }
  }
  ds->stop();
  emit({{"event", "stopped"}, {"ms", ms()}});
  return 0;
}
