// JSON as GoBGP's client prints it: Go's encoding/json applied to the generated Go
// structs (not protojson). Snake_case proto names in declaration order, zero scalars
// and empty lists left out, a present submessage printed even when empty, enums and
// 64-bit integers as bare numbers, bytes as base64, Any as {"type_url","value"},
// and <, >, & escaped as \u003c, \u003e, \u0026.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

namespace bgplbctl::gobgp {

void append_json_string(std::string& out, std::string_view s);
std::string go_json(const google::protobuf::Message& m);

}  // namespace bgplbctl::gobgp
