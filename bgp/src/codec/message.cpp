// Small helpers on the message types of message.hpp.
#include <bgp/iana.hpp>
#include <bgp/message.hpp>

#include <cstring>

namespace bgp {

std::uint8_t capability_code(const capability& c) {
  struct visitor {
    std::uint8_t operator()(const cap_multiprotocol&) const { return iana::capability::multiprotocol; }
    std::uint8_t operator()(const cap_route_refresh& v) const { return v.code; }
    std::uint8_t operator()(const cap_enhanced_route_refresh&) const {
      return iana::capability::enhanced_route_refresh;
    }
    std::uint8_t operator()(const cap_extended_message&) const { return iana::capability::extended_message; }
    std::uint8_t operator()(const cap_extended_next_hop&) const { return iana::capability::extended_next_hop; }
    std::uint8_t operator()(const cap_graceful_restart&) const { return iana::capability::graceful_restart; }
    std::uint8_t operator()(const cap_four_octet_as&) const { return iana::capability::four_octet_as; }
    std::uint8_t operator()(const cap_add_path&) const { return iana::capability::add_path; }
    std::uint8_t operator()(const cap_fqdn&) const { return iana::capability::fqdn; }
    std::uint8_t operator()(const cap_unknown& v) const { return v.code; }
  };
  return std::visit(visitor{}, c);
}

std::uint32_t open_message::effective_as() const {
  if (const auto* c = find<cap_four_octet_as>()) return c->as;
  return my_as;
}

std::optional<family> update_message::end_of_rib() const {
  const bool no_attrs = attrs == path_attributes{};
  if (!withdrawn.empty() || !routes.empty() || reach || !no_attrs) return std::nullopt;
  if (!unreach) return ipv4_unicast;
  if (unreach->routes.empty() && unreach->raw_nlri.empty()) return unreach->fam;
  return std::nullopt;
}

notification_message notification_message::cease(std::uint8_t subcode, std::string_view text) {
  notification_message n;
  n.code = iana::error_code::cease;
  n.subcode = subcode;
  if (!text.empty()) {
    // RFC 9003 §2: a length octet and at most 255 octets of UTF-8. Truncate on a
    // character boundary so the result stays valid UTF-8.
    std::size_t len = text.size() > 255 ? 255 : text.size();
    while (len > 0 && len < text.size() && (static_cast<unsigned char>(text[len]) & 0xC0) == 0x80)
      --len;
    n.data.resize(len + 1);
    n.data[0] = static_cast<std::uint8_t>(len);
    std::memcpy(n.data.data() + 1, text.data(), len);
  }
  return n;
}

namespace {
// RFC 3629 well-formedness, without overlongs or surrogates.
bool valid_utf8(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t c = p[i];
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07; }
    else return false;
    if (i + extra >= n) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}
}  // namespace

std::optional<std::string> notification_message::shutdown_message() const {
  if (code != iana::error_code::cease ||
      (subcode != iana::cease_subcode::administrative_shutdown &&
       subcode != iana::cease_subcode::administrative_reset))
    return std::nullopt;
  if (data.empty()) return std::nullopt;
  const std::size_t len = data[0];
  if (len + 1 > data.size() || !valid_utf8(data.data() + 1, len)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(data.data() + 1), len);
}

}  // namespace bgp
