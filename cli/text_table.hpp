// Plain-text tables for bgplbctl's own views (pools, services): columns padded to the
// widest cell plus two spaces, the last column unpadded, one line per row.
#pragma once

#include <string>
#include <vector>

namespace bgplbctl {

std::string text_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace bgplbctl
