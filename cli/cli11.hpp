// CLI11 for bgplbctl. GCC 12 at -O2 reports a false -Wnull-dereference inside CLI11's
// CLI::detail::split (std::vector<std::string> relocation, inlined); it is silenced for
// code in CLI11's headers only, so our own files keep every warning.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <CLI/CLI.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
