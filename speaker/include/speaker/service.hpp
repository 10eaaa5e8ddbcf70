// speaker::service: the node's job in a process ("the node's service"; the folder and the
// binary are both called speaker, see docs/glossary.md). Fed by the datastore (store::
// consumer), it plans what this node announces (speaker::planner) from the snapshot and
// the published assignments, carries the plan's changes onto BGP sessions
// (speaker::agent), serves GoBGP's gRPC API over those sessions, and reports sessions,
// announced and withheld addresses and change-to-wire latency (metrics, /v1/services),
// and the BFD sessions tied to BGP sessions (MetalLB's metallb_bfd_* metrics, /v1/bfd).
// It also programs this node's eBPF dataplane from the same snapshot (dataplane_driver:
// bgplb_dataplane_* metrics, /v1/dataplane).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/server.hpp"
#include "model/assignments.hpp"
#include "runtime/service.hpp"
#include "speaker/agent.hpp"
#include "speaker/dataplane_driver.hpp"
#include "speaker/plan.hpp"
#include "store/feed.hpp"

namespace CLI {
class App;
}

namespace speaker {

struct service_options {
  std::string node;  // this node's name
  agent_options agent;
  // GoBGP's gRPC API (docs/api.md); an empty listen address disables it. Its
  // control_socket is --api-socket, by default api::default_control_socket(node).
  api::server_config api;
  // The eBPF dataplane (docs/dataplane.md); finish_options() puts the node under the pin root.
  dataplane_settings dataplane;
  std::optional<std::string> api_socket;  // --api-socket as given ("" for none)
};

// --node, --router-id, --shutdown-drain, --adj-rib-in, --max-received-prefixes, the
// --api-* and the --dataplane* options. finish_options() applies what CLI11 cannot check
// and the defaults that depend on other options; the error, or "".
void add_options(CLI::App& app, service_options& o);
std::string finish_options(service_options& o);

// `dataplane detach [--node NAME] [--dataplane-pin-root DIR]`: the node's programs, maps and
// pins removed (uninstall). Returns the subcommand; after parsing, `status` holds its exit code.
CLI::App* add_dataplane_command(CLI::App& app, int& status);

class dataplane_worker;

class service final : public runtime::service, public store::consumer {
 public:
  service(boost::asio::io_context& io, service_options o, dataplane_kernel k = linux_dataplane());
  ~service() override;

  std::string_view name() const override { return "speaker"; }
  std::optional<std::string> start() override;
  void stop(std::function<void()> done) override;
  void stop_now() override;
  void metrics(runtime::exposition& x) const override;
  // metallb_speaker_announced and bgplb_speaker_withheld (a line per service address) in
  // parts of the core's time, then the dataplane's families from its own thread.
  void long_metrics(std::shared_ptr<runtime::exposition> x, std::function<void()> done) const override;
  std::optional<runtime::http_response> http(std::string_view path) override;
  std::optional<std::string> not_ready() const override;

  void on_change(const store::change& c) override;

  // Where the service's own Events go (the datastore's post_event); called on the core
  // thread. MetalLB's nodeAssigned, once per service each time this node starts
  // announcing it.
  using event_sink = std::function<void(const model::name_key&, const model::event&)>;
  void set_event_sink(event_sink sink) { on_event_ = std::move(sink); }

 private:
  void post_node_assigned(const std::vector<model::name_key>& started);
  void schedule_dataplane();
  void program_dataplane();
  void on_session_event(const std::string& peer, const bgp::speaker_event& e);
  void on_bfd_event(const bfd_event& e);
  void maybe_start_api();
  struct metrics_walk;
  void walk_metrics(std::shared_ptr<metrics_walk> w) const;
  std::string services_json() const;
  std::string bfd_json() const;

  boost::asio::io_context& io_;
  service_options o_;
  planner planner_;
  agent agent_;
  dataplane_driver dataplane_;
  std::unique_ptr<dataplane_worker> dataplane_worker_;  // the driver's updates, on their own thread
  std::unique_ptr<api::gobgp_server> api_;
  std::size_t api_speakers_ = 0;
  std::thread api_stopper_;

  std::shared_ptr<const model::snapshot> snapshot_;
  std::shared_ptr<const model::assignments> assigned_;
  std::vector<model::error> peer_errors_;
  bool planned_ = false;
  bool stopping_ = false;
  std::function<void()> stop_done_;
  std::map<std::string, std::chrono::steady_clock::time_point> pending_;  // peer -> oldest change not yet on the wire
  runtime::histogram latency_;
  event_sink on_event_;
  // The dataplane is programmed after the change's UPDATEs have gone (posted behind the
  // peers' writes), on the worker's thread; changes that arrive meanwhile are programmed
  // together.
  bool dataplane_active_ = false;  // loaded (the driver's active(), read without waiting for the worker)
  bool dataplane_posted_ = false;
  bool dataplane_full_ = false;
  service_names dataplane_touched_;
  std::thread dataplane_loader_;
};

}  // namespace speaker
