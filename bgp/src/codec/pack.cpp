// UPDATE packing: many NLRI sharing one attribute set go out in as few messages as
// the session's maximum size allows. The attribute block is encoded once and copied
// into each message; each message is filled greedily, which is optimal for a fixed
// per-message overhead.
#include "codec/internal.hpp"

#include <stdexcept>

namespace bgp::codec {
namespace {

constexpr std::size_t mp_attr_header = 4;  // flags, type, two-octet length

std::size_t fill_count(std::span<const nlri> routes, std::size_t i, std::size_t room,
                       bool add_path, std::size_t& used) {
  std::size_t k = i;
  used = 0;
  while (k < routes.size()) {
    const std::size_t s = prefix_wire_size(routes[k], add_path);
    if (used + s > room) break;
    used += s;
    ++k;
  }
  return k - i;
}

void check_room(std::size_t fixed, std::size_t max) {
  // The longest prefix with a path id is 4 + 1 + 16 octets.
  if (fixed + 21 > max)
    throw std::length_error("UPDATE attributes of " + std::to_string(fixed) +
                            " octets leave no room for NLRI within " + std::to_string(max));
}

}  // namespace
}  // namespace bgp::codec

namespace bgp {

using namespace codec;

std::size_t pack_announce(bytes& out, family fam, const path_attributes& attrs,
                          std::span<const ip_address> next_hops, std::span<const nlri> routes,
                          const session_context& ctx) {
  if (routes.empty()) return 0;
  const std::size_t max = ctx.max_size();
  const bool add_path = ctx.add_path(fam);
  const bool classic = fam == ipv4_unicast && next_hops.size() == 1 && next_hops[0].is_v4();

  path_attributes a = attrs;
  a.next_hop = classic ? std::optional<ip_address>(next_hops[0]) : std::nullopt;
  bytes attr_block;
  {
    writer aw(attr_block);
    encode_path_attributes(aw, a, ctx);
  }
  writer w(out);
  std::size_t messages = 0;
  std::size_t i = 0;

  if (classic) {
    const std::size_t fixed = header_size + 2 + 2 + attr_block.size();
    check_room(fixed, max);
    while (i < routes.size()) {
      std::size_t used = 0;
      const std::size_t n = fill_count(routes, i, max - fixed, add_path, used);
      const std::size_t start = begin_message(w, iana::message_type::update);
      w.u16(0);
      w.u16(static_cast<std::uint16_t>(attr_block.size()));
      w.put(attr_block);
      for (std::size_t k = i; k < i + n; ++k) encode_prefix(w, routes[k], add_path);
      end_message(w, start);
      i += n;
      ++messages;
    }
    return messages;
  }

  // MP_REACH_NLRI (RFC 4760 §3), first among the attributes (RFC 7606 §5.1).
  std::size_t nh_len = 0;
  for (const auto& nh : next_hops) nh_len += nh.size();
  const std::size_t mp_fixed = 2 + 1 + 1 + nh_len + 1;
  const std::size_t fixed = header_size + 2 + 2 + mp_attr_header + mp_fixed + attr_block.size();
  check_room(fixed, max);
  while (i < routes.size()) {
    std::size_t used = 0;
    const std::size_t n = fill_count(routes, i, max - fixed, add_path, used);
    const std::size_t start = begin_message(w, iana::message_type::update);
    w.u16(0);
    const std::size_t alen_at = w.placeholder(2);
    put_attribute_header(w, iana::attr_flag::optional, iana::attr::mp_reach_nlri, mp_fixed + used);
    w.u16(fam.afi);
    w.u8(fam.safi);
    w.u8(static_cast<std::uint8_t>(nh_len));
    for (const auto& nh : next_hops) w.put(nh.octets.data(), nh.size());
    w.u8(0);
    for (std::size_t k = i; k < i + n; ++k) encode_prefix(w, routes[k], add_path);
    w.put(attr_block);
    w.patch_u16(alen_at, static_cast<std::uint16_t>(w.size() - alen_at - 2));
    end_message(w, start);
    i += n;
    ++messages;
  }
  return messages;
}

std::size_t pack_withdraw(bytes& out, family fam, std::span<const nlri> routes,
                          const session_context& ctx) {
  if (routes.empty()) return 0;
  const std::size_t max = ctx.max_size();
  const bool add_path = ctx.add_path(fam);
  writer w(out);
  std::size_t messages = 0;
  std::size_t i = 0;
  if (fam == ipv4_unicast) {
    const std::size_t fixed = header_size + 2 + 2;
    while (i < routes.size()) {
      std::size_t used = 0;
      const std::size_t n = fill_count(routes, i, max - fixed, add_path, used);
      const std::size_t start = begin_message(w, iana::message_type::update);
      w.u16(static_cast<std::uint16_t>(used));
      for (std::size_t k = i; k < i + n; ++k) encode_prefix(w, routes[k], add_path);
      w.u16(0);
      end_message(w, start);
      i += n;
      ++messages;
    }
    return messages;
  }
  const std::size_t fixed = header_size + 2 + 2 + mp_attr_header + 3;
  while (i < routes.size()) {
    std::size_t used = 0;
    const std::size_t n = fill_count(routes, i, max - fixed, add_path, used);
    const std::size_t start = begin_message(w, iana::message_type::update);
    w.u16(0);
    const std::size_t alen_at = w.placeholder(2);
    put_attribute_header(w, iana::attr_flag::optional, iana::attr::mp_unreach_nlri, 3 + used);
    w.u16(fam.afi);
    w.u8(fam.safi);
    for (std::size_t k = i; k < i + n; ++k) encode_prefix(w, routes[k], add_path);
    w.patch_u16(alen_at, static_cast<std::uint16_t>(w.size() - alen_at - 2));
    end_message(w, start);
    i += n;
    ++messages;
  }
  return messages;
}

update_message end_of_rib(family fam) {
  update_message m;
  if (fam != ipv4_unicast) m.unreach = mp_unreach{fam, {}, {}};
  return m;
}

}  // namespace bgp
