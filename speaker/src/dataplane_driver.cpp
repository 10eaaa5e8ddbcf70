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

dataplane_driver::~dataplane_driver() = default;

void dataplane_driver::set_state(state s, std::string reason) {
  state_ = s;
  reason_ = std::move(reason);
}

struct dataplane_driver::loaded {
  std::unique_ptr<dataplane_host> host;
  std::unique_ptr<dataplane::reconciler> reconciler;
  std::string error;
  bool read_back_failed = false;
};

void dataplane_driver::start() {
  begin_load();
  if (o_.mode != dataplane_mode::off) finish_load(load());
}

void dataplane_driver::begin_load() {
  if (o_.mode == dataplane_mode::off) {
    set_state(state::off, "--dataplane=off");
    log::info(log::ev::dataplane_off, "node", node_);
    return;
  }
  set_state(state::waiting, "loading the BPF module");
}

std::shared_ptr<dataplane_driver::loaded> dataplane_driver::load() const {
  auto out = std::make_shared<loaded>();
  auto host = k_.load(o_);
  if (!host) {
    out->error = host.err().message;
    return out;
  }
  auto r = dataplane::reconciler::open((*host)->maps());
  if (!r) {
    out->error = "read the pinned maps back: " + r.err().message;
    out->read_back_failed = true;
    return out;
  }
  out->host = std::move(*host);
  out->reconciler = std::move(*r);
  return out;
}

void dataplane_driver::finish_load(const std::shared_ptr<loaded>& l) {
  if (!l->reconciler) {
    // auto: a node without BPF still announces; an explicit mode is a promise not kept
    const bool unavailable = o_.mode == dataplane_mode::automatic && !l->read_back_failed;
    set_state(unavailable ? state::unavailable : state::failed, l->error);
    if (l->read_back_failed)
      log::error(log::ev::dataplane_unavailable, "mode", std::string(to_string(o_.mode)), "reason", reason_, "bgp",
                 "keeps running");
    else
      log::warn(log::ev::dataplane_unavailable, "mode", std::string(to_string(o_.mode)), "reason", reason_, "bgp",
                "keeps running");
    return;
  }
  host_ = std::move(l->host);
  reconciler_ = std::move(l->reconciler);
  set_state(state::waiting, "no interface to attach to yet (no BGP peer routed, no --dataplane-interface)");
  const auto room = host_->maps().limits().services;
  log::info(log::ev::dataplane_loaded, "pin_root", o_.pin_root, "services", std::to_string(reconciler_->programmed_count()),
            "capacity", std::to_string(room));
  if (room != o_.max_services)
    log::warn(log::ev::dataplane_capacity, "pin_root", o_.pin_root, "asked", std::to_string(o_.max_services), "pinned",
              std::to_string(room), "reason",
              "maps already pinned keep their size; `bgplb dataplane detach` and a restart make them anew at the size "
              "asked (established flows are lost)");
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
                              const std::vector<model::ip_address>& peers,
                              const std::optional<service_names>& touched) {
  if (!reconciler_) return;
  const auto ifaces = wanted_interfaces(peers);
  if (ifaces != attached_ && ifaces != tried_) {  // a failed set is tried again once it changes
    tried_ = ifaces;
    attach(ifaces);
  }
  const auto t0 = clock::now();
  skips_logged_ = skips_unlogged_ = 0;
  auto in = std::make_unique<const program_inputs>(program_inputs_of(s, node_, {o_.maglev_size, o_.tunnel_port}));
  const bool full = !touched || !inputs_ || !(*in == *inputs_);
  dataplane::status failed;
  if (full) {
    inputs_.reset();
    failed = program_all(s, ips, *in);
  } else {
    failed = program_some(s, ips, *in, *touched);
  }
  if (skips_unlogged_)
    log::warn(log::ev::dataplane_skipped, "services", std::to_string(skips_unlogged_), "reason",
              "more Services skipped than logged one by one; /v1/dataplane and bgplbctl dataplane list them");
  apply_seconds_.observe(std::chrono::duration<double>(clock::now() - t0).count());
  ++applies_;
  if (full) ++full_applies_;
  if (failed) {
    // The maps may hold part of this change: the next update programs everything.
    inputs_.reset();
    ++apply_errors_;
    if (apply_error_ != failed->message) log::error(log::ev::dataplane_apply_failed, "error", failed->message);
    apply_error_ = failed->message;
    return;
  }
  inputs_ = std::move(in);
  if (!apply_error_.empty())
    log::info(log::ev::dataplane_recovered, "services", std::to_string(reconciler_->programmed_count()));
  apply_error_.clear();
}

// Every Service: one reconciler::apply, which also removes what no Service programs now.
dataplane::status dataplane_driver::program_all(const model::snapshot& s, const model::assignments& ips,
                                                const program_inputs& in) {
  const auto before = std::move(skipped_by_);
  skipped_by_.clear();
  retry_.clear();
  no_room_.clear();
  auto d = program_settings(in);
  for (const auto& [ref, svc] : s.all<model::service>()) {
    const model::name_key key = ref.owned();
    auto p = program_service(in, s, key, svc, ips);
    if (!p.skipped.empty()) skipped_by_[key] = std::move(p.skipped);
    std::move(p.desired.services.begin(), p.desired.services.end(), std::back_inserter(d.services));
  }
  auto rep = reconciler_->apply(d);
  d = {};
  if (!rep) return rep.err();
  for (auto& k : rep->skipped) {
    auto o = owner_of(k.name);
    if (!o) continue;
    (k.no_room ? no_room_ : retry_).insert(*o);
    skipped_by_[*o].push_back(std::move(k));
  }
  for (const auto& [key, list] : skipped_by_) {
    auto b = before.find(key);
    log_new_skips(list, b == before.end() ? nullptr : &b->second);
  }
  return std::nullopt;
}

// The Services a change touched, and those the reconciler skipped before: names no
// Service programs any more go first, so a frontend one Service gives up is free for the
// one that takes it; a Service skipped for a frontend another held is tried once more
// after the others. One skipped because the maps were full is tried again only when a
// Service left them here (or at the next full pass): retrying every one of them with
// every change would make a change cost the number of Services that do not fit.
//
// A Service's share is computed when it is applied, not all of them first: after a cold
// start, the change that gives 100,000 Services their addresses touches every one, and
// holding every share at once was the dataplane's largest transient. Only the shares of
// Services that had names in the maps are kept between the two steps.
dataplane::status dataplane_driver::program_some(const model::snapshot& s, const model::assignments& ips,
                                                 const program_inputs& in, const service_names& touched) {
  const auto retried = std::exchange(retry_, {});
  // touched and retried, merged in name order without a copy of touched
  auto each_key = [&](auto&& f) -> dataplane::status {
    auto a = touched.begin();
    auto b = retried.begin();
    while (a != touched.end() || b != retried.end()) {
      const model::name_key* k;
      if (b == retried.end() || (a != touched.end() && *a < *b)) k = &*a++;
      else if (a == touched.end() || *b < *a) k = &*b++;
      else k = (++b, &*a++);
      if (auto err = f(*k)) return err;
    }
    return std::nullopt;
  };
  auto share = [&](const model::name_key& key) {
    dataplane_program p;
    if (const auto* svc = s.find<model::service>(key.ns, key.name)) p = program_service(in, s, key, *svc, ips);
    return p;
  };
  bool freed = false;
  std::map<model::name_key, dataplane_program> kept;  // shares computed while removing
  // The names of the Service's old share (in the maps) that its new share does not list.
  auto remove_stale = [&](const std::vector<std::string>& old, const dataplane_program& p) -> dataplane::status {
    for (const auto& name : old) {
      const bool listed = std::any_of(p.desired.services.begin(), p.desired.services.end(),
                                      [&](const dataplane::service& ds) { return ds.name == name; });
      if (listed) continue;
      if (auto r = reconciler_->remove_service(name); !r) return r.err();
      freed = true;
    }
    return std::nullopt;
  };
  if (auto e = each_key([&](const model::name_key& key) -> dataplane::status {
        const auto old = reconciler_->programmed_names(service_prefix(key));
        if (old.empty()) return std::nullopt;
        auto p = share(key);
        if (auto err = remove_stale(old, p)) return err;
        kept.emplace(key, std::move(p));
        return std::nullopt;
      }))
    return e;
  auto apply = [&](const model::name_key& key, const dataplane_program& p) -> dataplane::status {
    std::vector<dataplane::skipped_service> skipped = p.skipped;
    bool retry = false, no_room = false;
    for (const auto& ds : p.desired.services) {
      auto r = reconciler_->apply_service(ds);
      if (!r) return r.err();
      for (const auto& k : r->skipped) (k.no_room ? no_room : retry) = true;
      skipped.insert(skipped.end(), r->skipped.begin(), r->skipped.end());
    }
    if (retry) retry_.insert(key);
    else retry_.erase(key);
    if (no_room) no_room_.insert(key);
    else no_room_.erase(key);
    auto b = skipped_by_.find(key);
    log_new_skips(skipped, b == skipped_by_.end() ? nullptr : &b->second);
    if (skipped.empty()) skipped_by_.erase(key);
    else skipped_by_[key] = std::move(skipped);
    return std::nullopt;
  };
  std::size_t applied = 0;
  if (auto e = each_key([&](const model::name_key& key) -> dataplane::status {
        ++applied;
        if (auto k = kept.find(key); k != kept.end()) {
          auto p = std::move(k->second);
          kept.erase(k);
          return apply(key, p);
        }
        return apply(key, share(key));
      }))
    return e;
  // Room was freed: the Services waiting for it are tried in name order until one finds
  // none; the rest wait on untried (at 100,000 Services with the maps full, trying all of
  // them cost seconds of this thread for every change that freed a service id).
  if (freed) {
    auto waiting = std::move(no_room_);
    no_room_.clear();
    bool full = false;
    for (const auto& key : waiting) {
      if (full || std::binary_search(touched.begin(), touched.end(), key) || retried.count(key)) {  // a touched one was just tried
        no_room_.insert(key);
        continue;
      }
      auto p = share(key);
      if (auto e = remove_stale(reconciler_->programmed_names(service_prefix(key)), p)) return e;
      if (auto e = apply(key, p)) return e;
      ++applied;
      full = no_room_.count(key) > 0;
    }
  }
  // Skipped for a frontend another held: once more, after the others moved.
  if (applied > 1) {
    const auto again = retry_;
    for (const auto& key : again)
      if (auto e = apply(key, share(key))) return e;
  }
  return std::nullopt;
}

// A Service's skips that it did not have before are logged (per Service: a change costs
// what it touched, whatever the number of Services skipped elsewhere), the first
// max_skips_logged of an update one by one and the rest as a count.
void dataplane_driver::log_new_skips(const std::vector<dataplane::skipped_service>& now,
                                     const std::vector<dataplane::skipped_service>* before) {
  for (const auto& k : now) {
    if (before && std::find(before->begin(), before->end(), k) != before->end()) continue;
    if (skips_logged_ == max_skips_logged) {
      ++skips_unlogged_;
      continue;
    }
    ++skips_logged_;
    log::warn(log::ev::dataplane_skipped, "service", k.name, "reason", k.reason);
  }
}

std::vector<dataplane::skipped_service> dataplane_driver::skipped() const {
  std::vector<dataplane::skipped_service> out;
  for (const auto& [key, list] : skipped_by_) out.insert(out.end(), list.begin(), list.end());
  return out;
}

std::optional<std::string> dataplane_driver::not_ready() const {
  if (state_ == state::failed) return "dataplane: " + reason_;
  if (!apply_error_.empty()) return "dataplane: " + apply_error_;
  return std::nullopt;
}

}  // namespace speaker
