// RFC 6793 §4.2.3: how a four-octet AS speaker reads AS_PATH / AGGREGATOR received from
// a two-octet speaker, merging in AS4_PATH / AS4_AGGREGATOR. The reverse direction
// (adding AS4_* toward a two-octet speaker) is in attribute.cpp's encoder.
#include "codec/internal.hpp"

namespace bgp {

std::size_t path_length(const as_path& path) {
  std::size_t n = 0;
  for (const auto& s : path) {
    if (s.type == segment_type::as_sequence) n += s.asns.size();
    else if (s.type == segment_type::as_set) n += 1;
  }
  return n;
}

std::optional<aggregator_info> reconstruct_aggregator(const path_attributes& a) {
  if (a.aggregator && a.aggregator->as == iana::as_trans && a.as4_aggregator) return a.as4_aggregator;
  return a.aggregator;
}

as_path reconstruct_as_path(const path_attributes& a) {
  as_path path = a.path.value_or(as_path{});
  if (!a.as4_path) return path;
  // An AGGREGATOR from a two-octet speaker that is not AS_TRANS means the aggregation
  // happened after the path left four-octet land: AS4_PATH is stale and ignored.
  if (a.aggregator && a.aggregator->as != iana::as_trans) return path;
  // Confederation segments are not valid in AS4_PATH and are dropped (RFC 6793 §6).
  as_path as4;
  for (const auto& s : *a.as4_path)
    if (s.type == segment_type::as_sequence || s.type == segment_type::as_set) as4.push_back(s);
  const std::size_t n = path_length(path);
  const std::size_t m = path_length(as4);
  if (n < m) return path;  // AS4_PATH is longer than AS_PATH: ignore it
  // Keep the leading n - m ASes of AS_PATH (confederation segments included), then
  // append AS4_PATH.
  std::size_t keep = n - m;
  as_path out;
  for (const auto& s : path) {
    if (s.type == segment_type::confed_sequence || s.type == segment_type::confed_set) {
      out.push_back(s);
      continue;
    }
    if (keep == 0) break;
    if (s.type == segment_type::as_set) {
      out.push_back(s);
      --keep;
      continue;
    }
    const std::size_t take = s.asns.size() < keep ? s.asns.size() : keep;
    out.push_back(path_segment{s.type, std::vector<std::uint32_t>(s.asns.begin(), s.asns.begin() + static_cast<std::ptrdiff_t>(take))});
    keep -= take;
  }
  for (const auto& s : as4) {
    if (!out.empty() && out.back().type == segment_type::as_sequence &&
        s.type == segment_type::as_sequence)
      out.back().asns.insert(out.back().asns.end(), s.asns.begin(), s.asns.end());
    else
      out.push_back(s);
  }
  return out;
}

}  // namespace bgp
