// `bgplb plan --node`: the sessions a node would run, the routes it would send (one entry
// per prefix and attribute set with the BGPPeers that get it), and each withheld service
// address with its reason.
#include <boost/json.hpp>

#include <map>

#include "speaker/plan.hpp"

namespace speaker {

namespace json = boost::json;

std::string community_string(std::uint32_t c) { return std::to_string(c >> 16) + ":" + std::to_string(c & 0xFFFF); }

std::string to_string(const large_community& c) {
  return std::to_string(c.global) + ":" + std::to_string(c.local1) + ":" + std::to_string(c.local2);
}

namespace {

template <class T>
std::string serialize_array(const T& items) {
  json::array a;
  for (const auto& i : items) a.push_back(i);
  return json::serialize(a);
}

}  // namespace

std::string announcements_json(const node_plan& p) {
  // prefix -> attributes -> peers, so peers sharing a prefix and attributes share an entry.
  std::map<model::cidr, std::vector<std::pair<route_plan, std::vector<std::string>>>> by_prefix;
  for (const auto& [peer, routes] : p.routes)
    for (const auto& [prefix, attrs] : routes) {
      auto& groups = by_prefix[prefix];
      const route_plan& a = attrs;  // clang 14 cannot capture a structured binding
      auto g = std::find_if(groups.begin(), groups.end(), [&a](const auto& x) { return x.first == a; });
      if (g == groups.end()) groups.push_back({attrs, {peer}});
      else g->second.push_back(peer);
    }
  std::vector<json::object> out;
  for (const auto& [prefix, groups] : by_prefix)
    for (const auto& [attrs, peers] : groups) {
      json::object o;
      o["prefix"] = prefix.to_string();
      json::array ps(peers.begin(), peers.end());
      o["peers"] = std::move(ps);
      json::array cs, ls;
      for (auto c : attrs.communities) cs.push_back(json::value(community_string(c)));
      for (const auto& l : attrs.large_communities) ls.push_back(json::value(to_string(l)));
      o["communities"] = std::move(cs);
      o["large_communities"] = std::move(ls);
      if (attrs.local_pref) o["local_pref"] = *attrs.local_pref;
      else o["local_pref"] = nullptr;
      if (attrs.link_bandwidth_endpoints) o["weight"] = *attrs.link_bandwidth_endpoints;
      out.push_back(std::move(o));
    }
  return serialize_array(out);
}

std::string sessions_json(const node_plan& p) {
  std::vector<json::object> out;
  for (const auto& s : p.peers) {
    json::object o{{"name", s.name},          {"address", s.address.to_string()}, {"port", s.port},
                   {"my_asn", s.my_asn},      {"peer_asn", s.peer_asn},          {"hold_time", s.hold_time.count()}};
    o["keepalive"] = s.keepalive ? json::value(s.keepalive->count()) : json::value(nullptr);
    o["router_id"] = s.router_id ? json::value(s.router_id->to_string()) : json::value(nullptr);
    o["source_address"] = s.source_address ? json::value(s.source_address->to_string()) : json::value(nullptr);
    o["ebgp_multihop"] = s.ebgp_multihop;
    o["graceful_restart"] = s.graceful_restart;
    o["password"] = !s.password.empty();  // whether one is set; never the key itself
    out.push_back(std::move(o));
  }
  return serialize_array(out);
}

std::string withheld_json(const node_plan& p) {
  std::vector<json::object> out;
  for (const auto& w : p.withheld)
    out.push_back({{"namespace", w.ns}, {"name", w.name}, {"ip", w.ip.to_string()}, {"reason", w.reason}});
  return serialize_array(out);
}

}  // namespace speaker
