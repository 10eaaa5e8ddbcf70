// etcd_probe: opens a datastore URI (store::etcd::open_etcd) and prints what it delivers
// as JSON lines on stdout, one per event, until SIGINT/SIGTERM or --for SECONDS:
//   {"event":"health","synced":true,"connected":false,"error":"...","last_sync_unix":N}
//   {"event":"change","full":true,"objects":N,"added":[..],"modified":[..],"removed":[..],
//    "errors":[..],"assignments":{"ns/name":["10.0.0.1"]}|null,"moved":["ns/name"]}
//   {"event":"leader","leading":true}
// --campaign also campaigns for the controller's leadership (tests kill -9 it).
//   etcd_probe etcd://127.0.0.1:2379/bgplb [--campaign] [--node NAME] [--for SECONDS]
#include <boost/json.hpp>

#include <csignal>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "etcd/open.hpp"

namespace {

namespace json = boost::json;

std::mutex out_mutex;
volatile std::sig_atomic_t stop_requested = 0;

void print(const json::object& o) {
  std::lock_guard lock(out_mutex);
  std::cout << json::serialize(o) << std::endl;
}

json::array keys(const std::vector<model::object_key>& ks) {
  json::array a;
  for (const auto& k : ks) a.emplace_back(k.to_string());
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: etcd_probe URI [--campaign] [--node NAME] [--for SECONDS]\n";
    return 2;
  }
  store::open_options opts;
  bool campaign = false;
  int seconds = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--campaign") campaign = opts.controller = true;
    else if (a == "--node" && i + 1 < argc) opts.node = argv[++i];
    else if (a == "--for" && i + 1 < argc) seconds = std::atoi(argv[++i]);
    else {
      std::cerr << "etcd_probe: unknown argument " << a << "\n";
      return 2;
    }
  }
  std::unique_ptr<store::datastore> ds;
  try {
    ds = store::etcd::open_etcd(argv[1], opts);
  } catch (const std::exception& e) {
    std::cerr << "etcd_probe: " << e.what() << "\n";
    return 1;
  }
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  ds->start(
      [](store::change c) {
        json::object o;
        o["event"] = "change";
        o["full"] = c.full;
        o["objects"] = c.objects.snapshot->size();
        o["added"] = keys(c.objects.changes.added);
        o["modified"] = keys(c.objects.changes.modified);
        o["removed"] = keys(c.objects.changes.removed);
        json::array errors;
        for (const auto& e : c.objects.errors) errors.emplace_back(e.to_string());
        o["errors"] = std::move(errors);
        if (c.assignments) {
          json::object a;
          for (const auto& [k, ips] : *c.assignments) {
            json::array list;
            for (const auto& ip : ips) list.emplace_back(ip.to_string());
            a[k.ns + "/" + k.name] = std::move(list);
          }
          o["assignments"] = std::move(a);
        } else {
          o["assignments"] = nullptr;
        }
        json::array moved;
        for (const auto& k : c.moved) moved.emplace_back(k.ns + "/" + k.name);
        o["moved"] = std::move(moved);
        print(o);
      },
      [](const store::health& h) {
        json::object o;
        o["event"] = "health";
        o["synced"] = h.synced;
        o["connected"] = h.connected;
        o["error"] = h.error;
        o["last_sync_unix"] = h.last_sync_unix;
        print(o);
      });
  if (campaign) {
    ds->campaign([](bool leading) {
      json::object o;
      o["event"] = "leader";
      o["leading"] = leading;
      print(o);
    });
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!stop_requested && (seconds == 0 || std::chrono::steady_clock::now() < until)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ds->stop();
  return 0;
}
