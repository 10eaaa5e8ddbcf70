// The etcd key layout (see layout.hpp): one row per kind, and the parser of keys.
#include "layout.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace store::etcd {

namespace {

constexpr std::array<kind_row, 11> rows{{
    {model::kind::service, "core", "services", true},
    {model::kind::endpoint_slice, "discovery.k8s.io", "endpointslices", true},
    {model::kind::node, "core", "nodes", false},
    {model::kind::namespace_, "core", "namespaces", false},
    {model::kind::secret, "core", "secrets", true},
    {model::kind::ip_address_pool, "metallb.io", "ipaddresspools", true},
    {model::kind::bgp_advertisement, "metallb.io", "bgpadvertisements", true},
    {model::kind::community, "metallb.io", "communities", true},
    {model::kind::bfd_profile, "metallb.io", "bfdprofiles", true},
    {model::kind::bgp_peer, "metallb.io", "bgppeers", true},
    {model::kind::bgp_configuration, "crd.projectcalico.org", "bgpconfigurations", false},
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string singular(std::string_view resource) {
  if (resource.ends_with("ies")) return std::string(resource.substr(0, resource.size() - 3)) + "y";
  return std::string(resource.substr(0, resource.size() - 1));
}

std::vector<std::string_view> segments(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0; start <= s.size();) {
    const auto slash = std::min(s.find('/', start), s.size());
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

const kind_row* find_kind(std::string_view name) {
  for (const auto& r : rows) {
    if (iequals(name, model::kind_name(r.kind)) || iequals(name, r.resource) || iequals(name, singular(r.resource))) return &r;
  }
  return nullptr;
}

const kind_row& row_of(model::kind k) { return rows[static_cast<std::size_t>(k)]; }

std::string range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

layout::layout(std::string prefix) : prefix_(std::move(prefix)) {}

std::string layout::kind_prefix(model::kind k) const {
  const auto& r = row_of(k);
  return data_prefix() + std::string(r.group) + "/" + std::string(r.resource) + "/";
}

std::string layout::key(const model::object_key& k) const {
  return kind_prefix(k.kind) + (row_of(k.kind).namespaced ? k.ns + "/" : "") + k.name;
}

std::string layout::ledger_entry_key(const std::string& ns, const std::string& name) const {
  return ledger_prefix() + "services/" + ns + "/" + name;
}

std::string layout::ledger_hold_key(const model::ip_address& ip) const { return ledger_prefix() + "holds/" + ip.to_string(); }

std::string layout::status_service_key(const std::string& ns, const std::string& name) const {
  return status_prefix() + "services/" + ns + "/" + name;
}

std::string layout::unknown_reason() const {
  return "not a key bgplb reads: objects are " + data_prefix() + "<group>/<resource>/[<namespace>/]<name>";
}

layout::parsed layout::parse(std::string_view key) const {
  parsed p;
  const auto data = data_prefix();
  if (!key.starts_with(data)) return p;
  const auto s = segments(key.substr(data.size()));
  if (std::any_of(s.begin(), s.end(), [](std::string_view x) { return x.empty(); })) return p;
  if (s[0] == "ledger") {
    if (s.size() == 2 && s[1] == "revision") p.kind = parsed::what::ledger_revision;
    else if (s.size() == 4 && s[1] == "services") {
      p.kind = parsed::what::ledger_entry;
      p.object = {model::kind::service, std::string(s[2]), std::string(s[3])};
    } else if (s.size() == 3 && s[1] == "holds") {
      p.kind = parsed::what::ledger_hold;
      p.hold = std::string(s[2]);
    }
    return p;
  }
  if (s.size() < 3) return p;
  for (const auto& r : rows) {
    if (s[0] != r.group || s[1] != r.resource) continue;
    if (s.size() != (r.namespaced ? 4u : 3u)) return p;
    p.kind = parsed::what::object;
    p.object = {r.kind, r.namespaced ? std::string(s[2]) : "", std::string(s.back())};
    return p;
  }
  return p;
}

}  // namespace store::etcd
