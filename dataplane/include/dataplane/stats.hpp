// The module's counters read back from the maps: drop reasons and events (stable
// numbers and names, bpf/abi.h) and per-service packets, bytes, new flows and drops.
// Suggested metrics: bgplb_dataplane_drops_total{reason}, bgplb_dataplane_events_total{event},
// bgplb_dataplane_service_{packets,bytes,new_flows,drops}_total{service}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/map_ops.hpp"
#include "dataplane/reconciler.hpp"

namespace dataplane {

struct counter {
  std::uint32_t code = 0;
  std::string_view name;  // "no_backend", "ct_hit"; metric label value
  std::string_view help;  // one line for operators
  bool drop = false;      // a drop reason (else an event)
  std::uint64_t value = 0;
};

// Name and help of a code; empty name for a code abi.h does not define.
counter describe_counter(std::uint32_t code);

// Every defined drop reason and event with its value summed over CPUs.
result<std::vector<counter>> read_counters(const map_ops& maps);

struct service_counters {
  std::string name;
  std::uint32_t id = 0;
  abi::service_stats stats{};
};

result<std::vector<service_counters>> read_service_counters(const map_ops& maps, const reconciler& r);

}  // namespace dataplane
