// `bgplbctl decode`: option parsing, input reading and the exit status; the JSON shape
// itself is in decode_json.cpp.
#include "decode_command.hpp"

#include "decode_json.hpp"
#include "hex.hpp"

#include <bgp/codec.hpp>

#include <boost/json/serialize.hpp>

#include <iostream>
#include <istream>
#include <memory>
#include <ostream>
#include <string_view>

namespace bgplbctl {
namespace {

bgp::session_context make_context(const decode_options& opts) {
  bgp::session_context ctx;
  ctx.four_octet_as = !opts.two_octet_as;
  ctx.extended_message = opts.extended_message;
  ctx.add_path_ipv4 = opts.add_path == "ipv4" || opts.add_path == "both";
  ctx.add_path_ipv6 = opts.add_path == "ipv6" || opts.add_path == "both";
  ctx.ebgp = opts.ebgp;
  return ctx;
}

// Prints one JSON line for `text`; returns whether it was a cleanly decoded message.
bool decode_one(std::string_view text, std::string_view where, const bgp::session_context& ctx,
                std::ostream& out) {
  const parsed_hex input = parse_hex(text);
  if (!input.ok()) {
    out << boost::json::serialize(input_error_json(std::string(where) + ": " + input.error))
        << '\n'
        << std::flush;
    return false;
  }
  const bgp::decode_result r = bgp::decode(input.data, ctx);
  out << boost::json::serialize(decode_result_json(r, ctx)) << '\n' << std::flush;
  return r.ok();
}

bool is_blank_or_comment(std::string_view line) {
  const auto first = line.find_first_not_of(" \t\r");
  return first == std::string_view::npos || line[first] == '#';
}

}  // namespace

int run_decode(const decode_options& opts, std::istream& in, std::ostream& out) {
  const bgp::session_context ctx = make_context(opts);
  bool all_clean = true;
  if (!opts.hex.empty()) {
    for (std::size_t i = 0; i < opts.hex.size(); ++i)
      all_clean &= decode_one(opts.hex[i], "argument " + std::to_string(i + 1), ctx, out);
  } else {
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      if (is_blank_or_comment(line)) continue;
      all_clean &= decode_one(line, "line " + std::to_string(number), ctx, out);
    }
  }
  return all_clean ? 0 : 1;
}

void add_decode_command(CLI::App& app, int& status) {
  auto opts = std::make_shared<decode_options>();
  CLI::App* cmd = app.add_subcommand("decode", "Decode BGP messages (hex) into JSON lines");
  cmd->add_option("HEX", opts->hex,
                  "whole messages, 16-byte marker included; spaces, colons and a leading\n"
                  "0x are allowed. Without HEX, reads standard input: one message per\n"
                  "line, skipping blank lines and lines starting with '#'")
      ->type_name("");
  cmd->add_flag("--two-octet-as", opts->two_octet_as,
                "the session did not negotiate 4-octet AS numbers (RFC 6793)");
  cmd->add_option("--add-path", opts->add_path,
                  "the peer sends ADD-PATH path identifiers (RFC 7911) for IPv4\n"
                  "unicast, IPv6 unicast or both")
      ->check(CLI::IsMember({"ipv4", "ipv6", "both"}))
      ->type_name("FAMILY");
  cmd->add_flag("--extended-message", opts->extended_message,
                "the session negotiated extended messages up to 65535 octets (RFC 8654)");
  cmd->add_flag("--ebgp", opts->ebgp,
                "the peer is external (RFC 7606 discards iBGP-only attributes)");
  cmd->footer(
      "Prints one JSON object per message (schema: docs/decode.md).\n"
      "Exit status: 0 every message decoded cleanly, 1 some message was malformed\n"
      "or not valid hex, 2 bad usage.\n"
      "Example: bgplbctl decode ffffffffffffffffffffffffffffffff001304");
  cmd->callback([opts, &status] { status = run_decode(*opts, std::cin, std::cout); });
}

}  // namespace bgplbctl
