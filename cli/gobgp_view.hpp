// What GoBGP 3.10's client prints for global, neighbor, RIB and monitor commands, as
// functions of the API's messages (cmd/gobgp/{global,neighbor,monitor}.go), so that
// bgplbctl's output matches it byte for byte. Pure: no gRPC calls.
#pragma once

#include "gobgp.pb.h"

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace bgplbctl::gobgp {

// "HH:MM:SS" or "Nd HH:MM:SS" since `then` (Unix seconds).
std::string timedelta(std::int64_t then, std::int64_t now);

// A path's NLRI, next hop, AS path and attributes as the client renders them. When an
// attribute cannot be read the client loses all of them: next hop "fictitious",
// no AS path, Attrs "[]".
struct native_attr {
  std::uint32_t type = 0;
  std::string text;  // "{Med: 20}"; empty for NEXT_HOP, MP_REACH, AS_PATH
  std::string json;  // GoBGP's attribute JSON
};
struct native_path {
  std::string nlri;
  std::string next_hop = "fictitious";
  std::string as_path;
  std::vector<native_attr> attrs;
};
native_path decode_path(const apipb::Path& p);
std::string attrs_text(const native_path& n);
std::string path_json(const apipb::Path& p, const native_path& n);

void print_global(std::ostream& out, const apipb::Global& g);
// `family`: "" or a family to count (-a).
void print_neighbors(std::ostream& out, std::vector<apipb::Peer> peers, const apipb::Family* family, std::int64_t now);
void print_neighbor(std::ostream& out, const apipb::Peer& p, const apipb::Family* family, std::int64_t now);

enum class id_column { none, received, sent };
void print_rib(std::ostream& out, std::vector<apipb::Destination> dsts, bool show_age, bool show_best, id_column id,
               std::int64_t now);
// {"prefix":[path...]}, keys in string order.
std::string rib_json(const std::vector<apipb::Destination>& dsts);
void print_table_summary(std::ostream& out, const apipb::Family& f, const apipb::GetTableResponse& t);

void print_monitor_paths(std::ostream& out, const google::protobuf::RepeatedPtrField<apipb::Path>& paths,
                         const std::string& utc_now);
std::string monitor_paths_json(const google::protobuf::RepeatedPtrField<apipb::Path>& paths);
void print_monitor_peer(std::ostream& out, const apipb::Peer& p, const std::string& utc_now);

// Go's protobuf text rendering of a Family: "afi:AFI_IP safi:SAFI_UNICAST".
std::string family_text(const apipb::Family& f);

}  // namespace bgplbctl::gobgp
