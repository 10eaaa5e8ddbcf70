// speaker::dataplane_driver: the node's eBPF dataplane as the node's service runs it. On
// a datastore change it programs the Services the change touched (their share of the
// program, see dataplane_program.hpp) and hands each to dataplane::reconciler, which
// writes only the difference into the maps; the first change, a full one, or one that
// moves a node's address or Calico's ClusterIP ranges programs everything. It
// loads the module once, attaches it to the interfaces that reach the BGP peers (or the
// ones named), and reports what it does: metrics, /v1/dataplane, log events.
//
// When BPF is not possible here (capabilities, bpffs, kernel) the driver says exactly what
// is missing and stands aside: the control plane keeps running. The kernel side sits
// behind dataplane_kernel so the driver's decisions are tested on the in-memory maps.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dataplane/error.hpp"
#include "dataplane/loader.hpp"
#include "dataplane/map_ops.hpp"
#include "dataplane/reconciler.hpp"
#include "model/assignments.hpp"
#include "model/snapshot.hpp"
#include "runtime/metrics.hpp"
#include "speaker/plan.hpp"

namespace speaker {

enum class dataplane_mode {
  off,
  automatic,  // XDP (native) where the kernel and driver allow it, else tc; nothing when BPF is impossible
  xdp,        // XDP or fail (not ready, with the reason)
  tc,         // tc ingress and egress or fail
};
std::string_view to_string(dataplane_mode m);

struct dataplane_settings {
  dataplane_mode mode = dataplane_mode::off;  // the library's default; the daemons' is auto (docs/dataplane.md)
  std::vector<std::string> interfaces;  // empty: the interfaces the routes to the BGP peers leave by
  std::string pin_root;                 // maps pinned here (the service's default: /sys/fs/bpf/bgplb/<node>)
  bool xdp_generic = false;             // XDP in skb mode (drivers without native XDP)
  std::uint32_t maglev_size = 65537;    // prime; the same on every node
  std::uint16_t tunnel_port = 6080;     // UDP port of the GUE tunnel between nodes
  // Entries of the service and frontend maps at a fresh load (id 0 is never used, so one
  // fewer dataplane services fit); maps already pinned keep the size they were made with.
  std::uint32_t max_services = BGPLB_MAX_SERVICES;
};

// The module once loaded: its maps and its attachment.
class dataplane_host {
 public:
  virtual ~dataplane_host() = default;
  virtual dataplane::map_ops& maps() = 0;
  virtual dataplane::status attach(const dataplane::attach_options& a) = 0;
  virtual dataplane::status detach() = 0;
};

// The kernel boundary of the driver. linux_dataplane() is the real one.
struct dataplane_kernel {
  // Mounts bpffs when missing, checks support, loads (pinned maps reused).
  std::function<dataplane::result<std::unique_ptr<dataplane_host>>(const dataplane_settings&)> load;
  // The interface the route to `to` leaves by, or why there is none.
  std::function<dataplane::result<std::string>(const model::ip_address& to)> route_interface;
  // Monotonic nanoseconds, the clock of the conntrack's last_seen.
  std::function<std::uint64_t()> now_ns;
};
dataplane_kernel linux_dataplane();

// `bgplb dataplane detach`: programs off every interface, maps unpinned, pin_root removed
// (and its parent when that is left empty).
dataplane::status detach_dataplane(const std::string& pin_root);

struct program_inputs;  // dataplane_program.hpp

class dataplane_driver {
 public:
  dataplane_driver(dataplane_settings s, std::string node, dataplane_kernel k);
  ~dataplane_driver();

  // Loads the module (or says why not). Never fails the process. start() is
  // begin_load() then finish_load(load()) on one thread; a service that must not wait for
  // the verifier runs load() on another thread (it touches no member but the settings)
  // and hands its result to finish_load() on its own.
  void start();
  struct loaded;  // the module and its reconciler, or why not
  void begin_load();
  std::shared_ptr<loaded> load() const;
  void finish_load(const std::shared_ptr<loaded>& l);
  // A new snapshot: reprogram, and (re)attach when the interfaces to the peers changed.
  // `touched` names the Services whose objects or addresses changed since the previous
  // update (services_touched); without it, or when the program's inputs changed, every
  // Service is programmed again.
  void update(const model::snapshot& s, const model::assignments& ips, const std::vector<model::ip_address>& peers,
              const std::optional<service_names>& touched = std::nullopt);

  // Whether update() programs anything (the module is loaded).
  bool active() const { return reconciler_ != nullptr; }

  void metrics(runtime::exposition& x) const;  // summary_metrics, then service_metrics
  void summary_metrics(runtime::exposition& x) const;  // state, applies, drops and events by reason
  void service_metrics(runtime::exposition& x) const;  // the counters per Service (4 lines each)
  std::string json() const;                                 // /v1/dataplane
  std::string conntrack_json(std::string_view client) const;  // /v1/dataplane/conntrack/<client address>
  std::optional<std::string> not_ready() const;

  // What the driver is doing, in one word and a reason.
  enum class state { off, unavailable, waiting, running, failed };
  state current() const { return state_; }
  const std::string& reason() const { return reason_; }
  std::optional<dataplane::hook> hook_in_use() const { return hook_; }
  const std::vector<std::string>& interfaces() const { return attached_; }
  std::vector<dataplane::skipped_service> skipped() const;  // what the maps leave out, and why

 private:
  std::vector<std::string> wanted_interfaces(const std::vector<model::ip_address>& peers);
  void attach(const std::vector<std::string>& ifaces);
  void set_state(state s, std::string reason);
  dataplane::status program_all(const model::snapshot& s, const model::assignments& ips, const program_inputs& in);
  dataplane::status program_some(const model::snapshot& s, const model::assignments& ips, const program_inputs& in,
                                 const service_names& touched);
  void log_new_skips(const std::vector<dataplane::skipped_service>& now,
                     const std::vector<dataplane::skipped_service>* before);

  dataplane_settings o_;
  std::string node_;
  dataplane_kernel k_;
  std::unique_ptr<dataplane_host> host_;
  std::unique_ptr<dataplane::reconciler> reconciler_;
  state state_ = state::off;
  std::string reason_;
  std::optional<dataplane::hook> hook_;
  std::vector<std::string> attached_;
  std::vector<std::string> tried_;  // the interfaces of the last attach, failed or not
  std::string apply_error_;         // the last apply's failure; empty once one succeeds
  std::string route_problem_;  // last logged, so a failing route lookup is logged once
  // The inputs the program in the maps was computed with (nullopt: the next update
  // programs everything, as after a failed one). A Service's dataplane services are the
  // reconciler's names with its prefix (service_prefix).
  std::unique_ptr<const program_inputs> inputs_;
  std::map<model::name_key, std::vector<dataplane::skipped_service>> skipped_by_;
  std::set<model::name_key> retry_;    // skipped by the reconciler (a frontend taken): tried with every change
  std::set<model::name_key> no_room_;  // skipped because the maps were full: tried when a Service leaves them
  static constexpr std::size_t max_skips_logged = 100;  // per update; the rest are counted in one line
  std::size_t skips_logged_ = 0, skips_unlogged_ = 0;
  std::uint64_t applies_ = 0, apply_errors_ = 0, full_applies_ = 0;
  runtime::histogram apply_seconds_{{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}};
};

}  // namespace speaker
