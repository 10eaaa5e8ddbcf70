// libFuzzer target for model::decode and model::validate: any bytes, no crash, and every
// error names at least the file.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/decode.hpp"
#include "model/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = model::decode("fuzz.yaml", std::string_view(reinterpret_cast<const char*>(data), size));
  for (const auto& e : r.errors) {
    if (e.file != "fuzz.yaml") std::abort();
  }
  const model::snapshot s(std::move(r.objects));
  for (const auto& e : model::validate(s)) {
    if (e.file != "fuzz.yaml") std::abort();
  }
  return 0;
}
