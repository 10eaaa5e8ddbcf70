// Per-kind decoders behind model::decode. Each reads one object's fields from `root`
// (the document or List item), records errors through the reader and returns the object.
#pragma once

#include "model/decode.hpp"
#include "model/objects.hpp"
#include "reader.hpp"

namespace model::detail {

// model::decode cuts a file of 2 * default_min_part bytes or more into parts read on two
// threads (decode.cpp); decode_in_parts does the same from min_part on (for tests).
inline constexpr std::size_t default_min_part = std::size_t{1} << 20;
decode_result decode_in_parts(std::string_view file, std::string_view text, const decode_options& options,
                              std::size_t min_part);

service decode_service(reader& r, const field& root, object_meta meta);
endpoint_slice decode_endpoint_slice(reader& r, const field& root, object_meta meta);
node decode_node(reader& r, const field& root, object_meta meta);
secret decode_secret(reader& r, const field& root, object_meta meta);

ip_address_pool decode_ip_address_pool(reader& r, const field& root, object_meta meta);
bgp_advertisement decode_bgp_advertisement(reader& r, const field& root, object_meta meta);
community decode_community(reader& r, const field& root, object_meta meta);
bfd_profile decode_bfd_profile(reader& r, const field& root, object_meta meta);
bgp_peer decode_bgp_peer(reader& r, const field& root, object_meta meta, bool v1beta1);

bgp_configuration decode_bgp_configuration(reader& r, const field& root, object_meta meta);
calico_bgp_peer decode_calico_bgp_peer(reader& r, const field& root, object_meta meta);
calico_node decode_calico_node(reader& r, const field& root, object_meta meta);

}  // namespace model::detail
