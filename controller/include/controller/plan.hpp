// `bgplb plan`: what the controller would do with a set of manifests, as JSON (the
// machine contract users test against in CI) or as a table for people.
#pragma once

#include <string>
#include <vector>

#include "controller/allocate.hpp"
#include "model/error.hpp"

namespace controller {

// {"services":[{"namespace","name","ips","pool","events":[{"type","reason","message"}]}],
//  "pools":[{"name","assigned_ipv4","available_ipv4","assigned_ipv6","available_ipv6"}],
//  "errors":["file: object: path: rule", ...]}
std::string plan_json(const result& r, const std::vector<model::error>& errors);
std::string plan_table(const result& r, const std::vector<model::error>& errors);

// JSON text indented the way plan_json() is (objects and arrays of objects one member per
// line, short scalar arrays inline), for callers that extend a plan.
std::string pretty_json(std::string_view compact_json);

}  // namespace controller
