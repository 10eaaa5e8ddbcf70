// The views of a running speaker's own JSON endpoints (`services`: /v1/services, `bfd`:
// /v1/bfd), served on its metrics address: one HTTP GET with Boost.Beast, then the
// document as a table or, with -j, as JSON.
#pragma once

#include <boost/json/value.hpp>

#include <functional>
#include <iosfwd>
#include <string>

namespace bgplbctl {

// GETs `path` from `speaker` (HOST:PORT) and prints render(document), or the document as
// JSON when `json`; problems go to `err`. Exit status: 0 shown, 1 no answer or a bad one.
int show_speaker_json(const std::string& speaker, const std::string& path, bool json,
                      const std::function<std::string(const boost::json::value&)>& render, std::ostream& out,
                      std::ostream& err);

}  // namespace bgplbctl
