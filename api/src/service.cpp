// The GobgpApi RPCs bgplb serves. Each reads or acts on the speakers through
// on_core (posted to the speaker's thread); nothing here touches a speaker directly.
#include "service.hpp"

#include "convert.hpp"
#include "core.hpp"
#include "rib_query.hpp"

#include "attribute.pb.h"

#include <algorithm>
#include <map>

namespace api {

namespace {

const grpc::Status speaker_unavailable{grpc::StatusCode::UNAVAILABLE, "the speaker did not answer in time"};

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

// What a path names, for the audit: "10.5.0.1/32" or the NLRI's type.
std::string path_text(const apipb::Path& p) {
  apipb::IPAddressPrefix n;
  if (p.nlri().UnpackTo(&n)) return n.prefix() + "/" + std::to_string(n.prefix_len());
  return "nlri " + p.nlri().type_url();
}

bgp::family family_or_ipv4(const apipb::ListPathRequest& r, bool& supported) {
  supported = true;
  if (!r.has_family() || r.family().afi() == apipb::Family::AFI_UNKNOWN) return bgp::ipv4_unicast;
  const auto f = convert::family_of(r.family());
  supported = f.has_value();
  return f.value_or(bgp::ipv4_unicast);
}

}  // namespace

struct gobgp_service::destination_list {
  std::map<bgp::prefix, apipb::Destination> by_prefix;
  bool sorted = true;
};

grpc::Status gobgp_service::admit(grpc::ServerContext* ctx) const {
  return api::admit(identify(ctx->peer(), *credentials_), cfg_.allow_remote);
}

template <class Act>
grpc::Status gobgp_service::guarded(grpc::ServerContext* ctx, const char* rpc, rpc_class k, std::string request,
                                    Act act) {
  const caller c = identify(ctx->peer(), *credentials_);
  grpc::Status st = api::admit(c, cfg_.allow_remote);
  if (st.ok() && k == rpc_class::write && !cfg_.allow_writes)
    st = {grpc::StatusCode::PERMISSION_DENIED,
          std::string(rpc) + " is disabled: enable API writes (allow_writes) in the speaker's configuration"};
  if (st.ok()) st = permit(c, rpc, k, socket_);
  const bool allowed = st.ok();
  if (allowed) st = act();
  if (cfg_.audit) {
    try {
      cfg_.audit(audit_of(rpc, c, std::move(request), allowed, st));
    } catch (...) {  // a failing audit sink must not fail the call, nor kill a gRPC thread
    }
  }
  return st;
}

template <class Op>
grpc::Status gobgp_service::on_peer(const std::string& address, Op op) {
  const bool all = address == "all";
  const auto a = bgp::ip_address::parse(address);
  if (!all && !a) return {grpc::StatusCode::INVALID_ARGUMENT, "invalid neighbor address " + address};
  bool found = false;
  for (const auto& s : speakers_) {
    auto r = on_core(s, [all, a, op](bgp::speaker& sp) {
      if (!all) return op(sp, *a);
      bool any = false;
      for (const auto& p : sp.peers()) any = op(sp, p.address) || any;
      return any;
    });
    if (!r) return speaker_unavailable;
    found = found || *r;
  }
  if (!found && !all) return {grpc::StatusCode::NOT_FOUND, "not found neighbor " + address};
  return grpc::Status::OK;
}

grpc::Status gobgp_service::GetBgp(grpc::ServerContext* ctx, const apipb::GetBgpRequest*,
                                   apipb::GetBgpResponse* resp) {
  if (auto st = admit(ctx); !st.ok()) return st;
  struct info {
    std::uint32_t asn, router_id;
    std::optional<bgp::ip_address> listen;
    std::uint16_t port;
  };
  auto r = on_core(speakers_.front(), [](bgp::speaker& s) {
    const auto& c = s.configuration();
    return info{c.asn, c.router_id, c.listen_address, s.listen_port()};
  });
  if (!r) return speaker_unavailable;
  auto* g = resp->mutable_global();
  g->set_asn(r->asn);
  g->set_router_id(bgp::ip_address::v4(r->router_id).to_string());
  if (r->listen) {
    g->set_listen_port(r->port);
    g->add_listen_addresses(r->listen->to_string());
  } else {
    g->set_listen_port(-1);  // GoBGP's "not listening"
  }
  return grpc::Status::OK;
}

grpc::Status gobgp_service::ListPeer(grpc::ServerContext* ctx, const apipb::ListPeerRequest* req,
                                     grpc::ServerWriter<apipb::ListPeerResponse>* writer) {
  if (auto st = admit(ctx); !st.ok()) return st;
  std::optional<bgp::ip_address> only;
  if (!req->address().empty()) {
    only = bgp::ip_address::parse(req->address());
    if (!only) return grpc::Status::OK;  // no such neighbour: an empty stream
  }
  for (const auto& s : speakers_) {
    auto r = on_core(s, [only](bgp::speaker& sp) {
      std::pair<std::uint32_t, std::vector<bgp::peer_inspection>> out{sp.configuration().asn, {}};
      if (!only) out.second = sp.inspect_peers();
      else if (auto p = sp.inspect_peer(*only)) out.second.push_back(std::move(*p));
      return out;
    });
    if (!r) return speaker_unavailable;
    for (const auto& p : r->second) {
      apipb::ListPeerResponse out;
      convert::peer(out.mutable_peer(), p, r->first, req->enableadvertised());
      if (!writer->Write(out)) return grpc::Status::OK;
    }
  }
  return grpc::Status::OK;
}

grpc::Status gobgp_service::collect(const apipb::ListPathRequest& req, destination_list& out) {
  bool supported = true;
  const bgp::family fam = family_or_ipv4(req, supported);
  if (!supported) return grpc::Status::OK;  // a family bgplb does not carry: empty
  std::vector<rib_query::lookup> lookups;
  for (const auto& l : req.prefixes()) {
    std::string error;
    auto q = rib_query::parse(l.prefix(), static_cast<int>(l.type()), fam == bgp::ipv4_unicast, error);
    if (!q) return {grpc::StatusCode::INVALID_ARGUMENT, error};
    lookups.push_back(*q);
  }
  std::map<bgp::prefix, std::vector<apipb::Path>> paths;
  switch (req.table_type()) {
    case apipb::GLOBAL:
      for (std::size_t i = 0; i < speakers_.size(); ++i) {
        auto routes = on_core(speakers_[i], [](bgp::speaker& s) { return s.originated_routes(); });
        if (!routes) return speaker_unavailable;
        const auto ages = ages_->sync(i, *routes);
        for (std::size_t k = 0; k < routes->size(); ++k) {
          const auto& r = (*routes)[k];
          if (r.destination.is_v4() != (fam == bgp::ipv4_unicast)) continue;
          auto& list = paths[r.destination];
          convert::originated_path(&list.emplace_back(), r, ages[k]);
          list.back().set_best(list.size() == 1);  // per-peer variants are not best
        }
      }
      break;
    case apipb::ADJ_IN:  // empty unless the peer keeps received routes (--adj-rib-in)
    case apipb::ADJ_OUT: {
      const bool in = req.table_type() == apipb::ADJ_IN;
      const auto a = bgp::ip_address::parse(req.name());
      if (!a)
        return {grpc::StatusCode::INVALID_ARGUMENT,
                std::string(in ? "ADJ_IN" : "ADJ_OUT") + " needs a neighbor address, not \"" + req.name() + "\""};
      bool found = false;
      const auto now = std::chrono::system_clock::now();
      for (const auto& s : speakers_) {
        auto r = on_core(s, [a = *a, fam, in](bgp::speaker& sp) { return in ? sp.adj_rib_in(a, fam) : sp.adj_rib_out(a, fam); });
        if (!r) return speaker_unavailable;
        if (!*r) continue;
        found = true;
        for (const auto& ar : **r) convert::advertised_path(&paths[ar.destination.route].emplace_back(), ar, fam, now);
      }
      if (!found) return {grpc::StatusCode::NOT_FOUND, "not found neighbor " + req.name()};
      break;
    }
    default:
      return {grpc::StatusCode::UNIMPLEMENTED, "bgplb serves the GLOBAL, ADJ_IN and ADJ_OUT tables only"};
  }
  std::vector<bgp::prefix> have;
  have.reserve(paths.size());
  for (const auto& [p, v] : paths) have.push_back(p);
  for (const auto& p : rib_query::select(have, lookups)) {
    auto& d = out.by_prefix[p];
    d.set_prefix(p.to_string());
    for (auto& path : paths[p]) *d.add_paths() = std::move(path);
  }
  return grpc::Status::OK;
}

grpc::Status gobgp_service::ListPath(grpc::ServerContext* ctx, const apipb::ListPathRequest* req,
                                     grpc::ServerWriter<apipb::ListPathResponse>* writer) {
  if (auto st = admit(ctx); !st.ok()) return st;
  destination_list list;
  if (auto st = collect(*req, list); !st.ok()) return st;
  for (auto& [p, d] : list.by_prefix) {  // in prefix order whatever sort_type asks
    apipb::ListPathResponse out;
    *out.mutable_destination() = std::move(d);
    if (!writer->Write(out)) break;
  }
  return grpc::Status::OK;
}

grpc::Status gobgp_service::GetTable(grpc::ServerContext* ctx, const apipb::GetTableRequest* req,
                                     apipb::GetTableResponse* resp) {
  if (auto st = admit(ctx); !st.ok()) return st;
  apipb::ListPathRequest q;
  q.set_table_type(req->table_type());
  q.set_name(req->name());
  if (req->has_family()) *q.mutable_family() = req->family();
  destination_list list;
  if (auto st = collect(q, list); !st.ok()) return st;
  std::uint64_t n = 0;
  for (const auto& [p, d] : list.by_prefix) n += static_cast<std::uint64_t>(d.paths_size());
  resp->set_num_destination(list.by_prefix.size());
  resp->set_num_path(n);
  if (req->table_type() == apipb::ADJ_IN) resp->set_num_accepted(n);
  return grpc::Status::OK;
}

grpc::Status gobgp_service::WatchEvent(grpc::ServerContext* ctx, const apipb::WatchEventRequest* req,
                                       grpc::ServerWriter<apipb::WatchEventResponse>* writer) {
  if (auto st = admit(ctx); !st.ok()) return st;
  bool table = false, init = false;
  for (const auto& f : req->table().filters()) {
    // ADJIN is not streamed (the Adj-RIB-In is kept only for ListPath); BEST and POST_POLICY are our routes.
    if (f.type() == apipb::WatchEventRequest::Table::Filter::ADJIN) continue;
    table = true;
    init = init || f.init();
  }
  auto w = hub_->attach(req->has_peer(), table);
  struct detach_on_exit {
    event_hub& hub;
    std::shared_ptr<watcher> w;
    ~detach_on_exit() { hub.detach(w); }
  } guard{*hub_, w};

  // The dump (--current) and the baseline for later changes are taken in the same
  // turn of each speaker's thread, so no change falls between them.
  apipb::WatchEventResponse dump;
  auto* t = dump.mutable_table();
  for (std::size_t i = 0; table && i < speakers_.size(); ++i) {
    auto routes = on_core(speakers_[i], [w = watches_[i], init](bgp::speaker& s) {
      w->poll();
      return init ? s.originated_routes() : std::vector<bgp::route>{};
    });
    if (!routes) return speaker_unavailable;
    if (!init) continue;
    const auto ages = ages_->sync(i, *routes);
    for (std::size_t k = 0; k < routes->size(); ++k) {
      auto* p = t->add_paths();
      convert::originated_path(p, (*routes)[k], ages[k]);
      p->set_best(false);
    }
  }
  if (t->paths_size() > 0 && !writer->Write(dump)) return grpc::Status::OK;
  // The stream ends when the client goes away or the server stops.
  while (!ctx->IsCancelled() && !hub_->closed()) {
    std::deque<apipb::WatchEventResponse> ready;
    {
      std::unique_lock lock(w->m);
      w->cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return !w->queue.empty() || hub_->closed(); });
      ready.swap(w->queue);
    }
    for (const auto& e : ready)
      if (!writer->Write(e)) return grpc::Status::OK;
  }
  return grpc::Status::OK;
}

grpc::Status gobgp_service::ResetPeer(grpc::ServerContext* ctx, const apipb::ResetPeerRequest* req,
                                      google::protobuf::Empty*) {
  static const char* const directions[] = {"in", "out", "both"};
  const auto dir = static_cast<std::size_t>(req->direction());
  std::string what = "address=" + req->address();
  if (req->soft()) what += " soft direction=" + std::string(dir < 3 ? directions[dir] : "?");
  else what += " communication=" + quoted(req->communication());
  return guarded(ctx, "ResetPeer", rpc_class::control, std::move(what), [&] {
    if (!req->soft())
      return on_peer(req->address(), [text = req->communication()](bgp::speaker& s, const bgp::ip_address& a) {
        return s.reset_peer(a, text);
      });
    bgp::soft_reset_direction d = bgp::soft_reset_direction::both;
    if (req->direction() == apipb::ResetPeerRequest::IN) d = bgp::soft_reset_direction::in;
    if (req->direction() == apipb::ResetPeerRequest::OUT) d = bgp::soft_reset_direction::out;
    return on_peer(req->address(), [d](bgp::speaker& s, const bgp::ip_address& a) { return s.soft_reset_peer(a, d); });
  });
}

grpc::Status gobgp_service::ShutdownPeer(grpc::ServerContext* ctx, const apipb::ShutdownPeerRequest* req,
                                         google::protobuf::Empty*) {
  // GoBGP 3.10 treats shutdown as a reset (the client calls it deprecated).
  return guarded(ctx, "ShutdownPeer", rpc_class::control,
                 "address=" + req->address() + " communication=" + quoted(req->communication()), [&] {
                   return on_peer(req->address(),
                                  [text = req->communication()](bgp::speaker& s, const bgp::ip_address& a) {
                                    return s.reset_peer(a, text);
                                  });
                 });
}

grpc::Status gobgp_service::EnablePeer(grpc::ServerContext* ctx, const apipb::EnablePeerRequest* req,
                                       google::protobuf::Empty*) {
  return guarded(ctx, "EnablePeer", rpc_class::control, "address=" + req->address(), [&] {
    return on_peer(req->address(), [](bgp::speaker& s, const bgp::ip_address& a) { return s.enable_peer(a); });
  });
}

grpc::Status gobgp_service::DisablePeer(grpc::ServerContext* ctx, const apipb::DisablePeerRequest* req,
                                        google::protobuf::Empty*) {
  return guarded(ctx, "DisablePeer", rpc_class::control,
                 "address=" + req->address() + " communication=" + quoted(req->communication()), [&] {
                   return on_peer(req->address(),
                                  [text = req->communication()](bgp::speaker& s, const bgp::ip_address& a) {
                                    return s.disable_peer(a, text);
                                  });
                 });
}

grpc::Status gobgp_service::write_path(const apipb::Path& path, bool add) {
  std::string error;
  auto r = convert::route_of(path, error);
  if (!r) return {grpc::StatusCode::INVALID_ARGUMENT, error};
  for (const auto& s : speakers_) {
    auto done = on_core(s, [r = *r, add](bgp::speaker& sp) {
      if (add) sp.announce(r);
      else sp.withdraw(r.destination);
      return true;
    });
    if (!done) return speaker_unavailable;
  }
  return grpc::Status::OK;
}

grpc::Status gobgp_service::AddPath(grpc::ServerContext* ctx, const apipb::AddPathRequest* req,
                                    apipb::AddPathResponse*) {
  return guarded(ctx, "AddPath", rpc_class::write, "path=" + path_text(req->path()), [&]() -> grpc::Status {
    if (req->table_type() != apipb::GLOBAL || !req->vrf_id().empty() || !req->has_path())
      return {grpc::StatusCode::INVALID_ARGUMENT, "bgplb adds paths to the GLOBAL table only"};
    return write_path(req->path(), true);
  });
}

grpc::Status gobgp_service::DeletePath(grpc::ServerContext* ctx, const apipb::DeletePathRequest* req,
                                       google::protobuf::Empty*) {
  const std::string what = req->has_path() ? "path=" + path_text(req->path()) : "all paths of a family";
  return guarded(ctx, "DeletePath", rpc_class::write, what, [&]() -> grpc::Status {
    if (req->table_type() != apipb::GLOBAL || !req->vrf_id().empty())
      return {grpc::StatusCode::INVALID_ARGUMENT, "bgplb deletes paths from the GLOBAL table only"};
    if (!req->has_path())
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "DeletePath needs a path: deleting by family or uuid is not supported"};
    return write_path(req->path(), false);
  });
}

}  // namespace api
