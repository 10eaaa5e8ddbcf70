// The node's dataplane driver (speaker/dataplane_driver.hpp): load once, attach to the
// interfaces that reach the peers, reprogram on every snapshot.
#include "speaker/dataplane_driver.hpp"

#include <algorithm>
#include <set>

#include "dataplane_program.hpp"
#include "log_events.hpp"

namespace speaker {

using clock = std::chrono::steady_clock;

std::string_view to_string(dataplane_mode m) {
  switch (m) {
    case dataplane_mode::off: return "off";
    case dataplane_mode::automatic: return "auto";
    case dataplane_mode::xdp: return "xdp";
    case dataplane_mode::tc: return "tc";
  }
  return "?";
}

dataplane_driver::dataplane_driver(dataplane_settings s, std::string node, dataplane_kernel k)
    : o_(std::move(s)), node_(std::move(node)), k_(std::move(k)) {}

void dataplane_driver::set_state(state s, std::string reason) {
  state_ = s;
  reason_ = std::move(reason);
}

void dataplane_driver::start() {
  if (o_.mode == dataplane_mode::off) {
    set_state(state::off, "--dataplane=off");
    log::info(log::ev::dataplane_off, "node", node_);
    return;
  }
  auto host = k_.load(o_);
  if (!host) {
    // auto: a node without BPF still announces; an explicit mode is a promise not kept
    set_state(o_.mode == dataplane_mode::automatic ? state::unavailable : state::failed, host.err().message);
    log::warn(log::ev::dataplane_unavailable, "mode", std::string(to_string(o_.mode)), "reason", reason_,
              "bgp", "keeps running");
    return;
  }
  auto r = dataplane::reconciler::open((*host)->maps());
  if (!r) {
    set_state(state::failed, "read the pinned maps back: " + r.err().message);
    log::error(log::ev::dataplane_unavailable, "mode", std::string(to_string(o_.mode)), "reason", reason_, "bgp",
               "keeps running");
    return;
  }
  host_ = std::move(*host);
  reconciler_ = std::move(*r);
  set_state(state::waiting, "no interface to attach to yet (no BGP peer routed, no --dataplane-interface)");
  log::info(log::ev::dataplane_loaded, "pin_root", o_.pin_root, "services", std::to_string(reconciler_->programmed().size()));
}

// The named interfaces, else those the routes to the peers leave by. A peer reached over
// loopback is on this host: its traffic arrives on no uplink.
std::vector<std::string> dataplane_driver::wanted_interfaces(const std::vector<model::ip_address>& peers) {
  if (!o_.interfaces.empty()) return o_.interfaces;
  std::set<std::string> out;
  std::string problems;
  for (const auto& p : peers) {
    auto r = k_.route_interface(p);
    if (!r) problems += (problems.empty() ? "" : "; ") + p.to_string() + ": " + r.err().message;
    else if (*r != "lo") out.insert(*r);
  }
  if (problems != route_problem_ && !problems.empty()) log::warn(log::ev::dataplane_no_interface, "peers", problems);
  route_problem_ = problems;
  return {out.begin(), out.end()};
}

void dataplane_driver::attach(const std::vector<std::string>& ifaces) {
  if (ifaces.empty()) return;
  const bool dropped = std::any_of(attached_.begin(), attached_.end(), [&](const std::string& i) {
    return std::find(ifaces.begin(), ifaces.end(), i) == ifaces.end();
  });
  if (dropped)
    if (auto e = host_->detach()) log::warn(log::ev::dataplane_attach_failed, "step", "detach", "error", e->message);
  attached_.clear();
  hook_.reset();
  std::vector<dataplane::hook> hooks;
  if (o_.mode != dataplane_mode::tc) hooks.push_back(dataplane::hook::xdp);
  if (o_.mode != dataplane_mode::xdp) hooks.push_back(dataplane::hook::tc);
  std::string joined;
  for (const auto& i : ifaces) joined += (joined.empty() ? "" : ",") + i;
  for (auto h : hooks) {
    dataplane::attach_options a;
    a.mode = h;
    a.interfaces = ifaces;
    a.xdp_generic = o_.xdp_generic;
    auto e = host_->attach(a);
    if (!e) {
      hook_ = h;
      attached_ = ifaces;
      set_state(state::running, "");
      log::info(log::ev::dataplane_attached, "hook", h == dataplane::hook::xdp ? "xdp" : "tc", "interfaces", joined,
                "pin_root", o_.pin_root);
      return;
    }
    if (h == dataplane::hook::xdp && hooks.size() > 1) {
      log::warn(log::ev::dataplane_fallback, "from", "xdp", "to", "tc", "interfaces", joined, "reason", e->message);
      continue;
    }
    set_state(state::failed, e->message);
    log::error(log::ev::dataplane_attach_failed, "interfaces", joined, "error", e->message);
  }
}

void dataplane_driver::update(const model::snapshot& s, const model::assignments& ips,
                              const std::vector<model::ip_address>& peers) {
  if (!reconciler_) return;
  const auto ifaces = wanted_interfaces(peers);
  if (ifaces != attached_ && ifaces != tried_) {  // a failed set is tried again once it changes
    tried_ = ifaces;
    attach(ifaces);
  }
  const auto t0 = clock::now();
  auto p = program_dataplane(s, ips, node_, {o_.maglev_size, o_.tunnel_port});
  auto rep = reconciler_->apply(p.desired);
  apply_seconds_.observe(std::chrono::duration<double>(clock::now() - t0).count());
  ++applies_;
  if (!rep) {
    ++apply_errors_;
    if (apply_error_ != rep.err().message) log::error(log::ev::dataplane_apply_failed, "error", rep.err().message);
    apply_error_ = rep.err().message;
    return;
  }
  if (!apply_error_.empty()) log::info(log::ev::dataplane_recovered, "services", std::to_string(p.desired.services.size()));
  apply_error_.clear();
  auto skipped = std::move(p.skipped);
  skipped.insert(skipped.end(), rep->skipped.begin(), rep->skipped.end());
  for (const auto& k : skipped)
    if (std::find(skipped_.begin(), skipped_.end(), k) == skipped_.end())
      log::warn(log::ev::dataplane_skipped, "service", k.name, "reason", k.reason);
  skipped_ = std::move(skipped);
}

std::optional<std::string> dataplane_driver::not_ready() const {
  if (state_ == state::failed) return "dataplane: " + reason_;
  if (!apply_error_.empty()) return "dataplane: " + apply_error_;
  return std::nullopt;
}

}  // namespace speaker
