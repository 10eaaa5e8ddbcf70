// What the controller's state needs written to the API, given what the API shows: the
// writer's pure core. The plan comes in phases, each finished before the next starts, so
// that no address is ever claimed by two Services at once in the API, even when a write
// fails half-way or the controller dies:
//   1. the holds ConfigMap (a released address is held before anything can reuse it)
//   2. releases: status patches that only drop addresses (a Service moving from x to y
//      first drops x)
//   3. claims: every Service's final status, then its pool and since annotations
//   4. IPAddressPool status, 5. Events (best effort)
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/snapshot.hpp"
#include "store/backend.hpp"

namespace store::kubernetes {

// A Service as the API shows it, and as the controller wants it.
struct service_view {
  std::vector<model::ip_address> ingress;
  std::optional<std::string> pool;   // metallb.io/ip-allocated-from-pool
  std::optional<std::string> since;  // bgplb.io/allocated-since
};
using service_goal = service_view;  // pool and since nullopt: annotation removed

struct service_steps {
  std::optional<std::vector<model::ip_address>> release;  // phase 2: drop addresses first
  std::optional<std::vector<model::ip_address>> status;   // phase 3: the final ingress
  bool annotate = false;                                  // phase 3: pool and since
  bool empty() const { return !release && !status && !annotate; }
};
service_steps steps_for(const service_view& actual, const service_goal& goal);
service_view view_of(const model::service& s);

struct service_write {
  model::name_key key;
  service_goal goal;
  service_steps steps;
};

struct write_plan {
  std::optional<model::ledger> holds;  // the ConfigMap's new revision and holds
  std::vector<service_write> services;  // name order; their releases all go before any claim
  std::vector<model::pool_status> pools;
  std::vector<std::pair<model::name_key, model::event>> events;
  bool empty() const { return !holds && services.empty() && pools.empty() && events.empty(); }
};

// What the writer has written (or read) before, so that unchanged parts are not written
// again. Cleared whenever leadership is gained.
struct writer_memory {
  std::optional<model::ledger> holds;  // revision and holds as in the ConfigMap
  std::map<std::string, model::pool_status> pools;
  std::map<model::name_key, std::vector<model::event>> events;
};

// The writes from `actual` (the datastore's current view) to `desired`. Services absent
// from `actual` are skipped (deleted, or not yet seen: the next write covers them). The
// memory is updated for pools and events as if every write succeeds; the caller forgets
// a pool on failure (events are best effort).
write_plan plan_writes(const state& desired, const model::snapshot& actual, writer_memory& memory);

// The goal of each Service in `desired`: ingress from its status, pool and since from
// its ledger entry.
std::map<model::name_key, service_goal> goals_of(const state& desired);

}  // namespace store::kubernetes
