// BGP capabilities (RFC 5492) as GoBGP's API shows them: one typed message from
// capability.proto for every capability GoBGP has a type for, UnknownCapability for
// the rest. Pure; tested against the OPENs real routers send (api/test/vectors/open).
#pragma once

#include <bgp/message.hpp>

#include <google/protobuf/any.pb.h>
#include <google/protobuf/repeated_ptr_field.h>

#include <optional>
#include <vector>

namespace api::convert {

// The capability as GoBGP's typed message, nullopt when it must not be shown at all:
// the gobgp client type-asserts the capabilities it knows by code (`neighbor ADDR`
// panics on an UnknownCapability with code 1, 5, 64, 69, 71 or 73), so a value of
// such a code that cannot be read is left out rather than sent as unknown.
std::optional<google::protobuf::Any> capability_any(const bgp::capability& c);

// Appends every capability that can be shown, in the OPEN's order.
void add_capabilities(google::protobuf::RepeatedPtrField<google::protobuf::Any>* out,
                      const std::vector<bgp::capability>& caps);

}  // namespace api::convert
