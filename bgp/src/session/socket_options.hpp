// The kernel boundary of a BGP session: TCP MD5 signatures (RFC 2385), TTL for eBGP
// multihop and GTSM (RFC 5082). Each returns an error text, empty on success.
#pragma once

#include <bgp/types.hpp>

#include <string>

namespace bgp::session {

// Installs (or, with an empty password, removes) the MD5 key for `peer` on socket `fd`.
std::string set_md5(int fd, const ip_address& peer, const std::string& password);

// Outgoing TTL / hop limit.
std::string set_ttl(int fd, bool v6, int ttl);

// RFC 5082: drop segments whose TTL / hop limit is below `min_ttl`.
std::string set_min_ttl(int fd, bool v6, int min_ttl);

}  // namespace bgp::session
