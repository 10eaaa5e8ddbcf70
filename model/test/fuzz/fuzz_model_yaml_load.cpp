// libFuzzer target comparing the two YAML parsers behind model::decode: whenever both
// libyaml's fast path and yaml-cpp (what bgplb used alone before) accept the bytes, they
// must build the same tree, so switching parsers changes no decoded value. Input that only
// libyaml accepts is valid YAML that yaml-cpp 0.7 refuses by mistake (`[a?b]`: "unknown
// token"); it now loads instead of being a syntax error.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "../../src/yaml_load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto fast = model::detail::load_all_libyaml(text);
  if (fast.error) return 0;
  const auto reference = model::detail::load_all_yaml_cpp(text);
  if (reference.error) return 0;
  // Without aliases (the fast path refuses them) the trees have no cycles: compare them whole.
  const auto a = model::detail::dump(fast.tree, 4096);
  const auto b = model::detail::dump(reference.tree, 4096);
  if (a != b) {
    std::fprintf(stderr, "trees differ\nlibyaml:\n%s\nyaml-cpp:\n%s\n", a.c_str(), b.c_str());
    std::abort();
  }
  return 0;
}
