// libFuzzer target for the ledger reader: any bytes, no crash; whatever it accepts
// encodes and decodes back to the same ledger.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/state_dir.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = store::file::decode_ledger("ledger.json", std::string_view(reinterpret_cast<const char*>(data), size));
  if (r.ledger.has_value() == !r.errors.empty()) std::abort();
  if (r.ledger) {
    const auto again = store::file::decode_ledger("ledger.json", store::file::encode_ledger(*r.ledger));
    if (!again.ledger || !(*again.ledger == *r.ledger)) std::abort();
  }
  return 0;
}
