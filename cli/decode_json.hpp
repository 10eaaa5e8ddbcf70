// The JSON form of decoded BGP messages, as `bgplbctl decode` prints them; the schema
// is documented in docs/decode.md. Pure functions of codec values: no I/O.
#pragma once

#include <bgp/codec.hpp>

#include <boost/json/object.hpp>

#include <string_view>

namespace bgplbctl {

// One decode outcome: the message (with an "rfc7606" member when the codec kept a
// usable UPDATE despite an error) or, when nothing usable was decoded, an error object.
// `ctx` decides whether NLRI are printed with their ADD-PATH path identifiers.
boost::json::object decode_result_json(const bgp::decode_result& r,
                                       const bgp::session_context& ctx);

boost::json::object message_json(const bgp::message& m, const bgp::session_context& ctx);

// {"type":"error", code, subcode, action, reason, data, description[, afi, safi]}
boost::json::object error_json(const bgp::decode_error& e);

// An error object for input that never reached the codec (bad hex): code and subcode
// 0, action "session_reset", empty data.
boost::json::object input_error_json(std::string_view reason);

}  // namespace bgplbctl
