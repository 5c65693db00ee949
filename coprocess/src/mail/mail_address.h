// Parsing and checking mail addresses as callers write them. Only what a
// relay accepts without SMTPUTF8: an ASCII dot-atom or quoted local part
// and a host name or address literal; the display name may be any UTF-8
// without control characters.
#pragma once

#include <string>
#include <string_view>

#include "mail_types.h"

namespace coproc::mail {

/// Parses "Name <local@domain>", "\"Name\" <local@domain>" or
/// "local@domain". Throws RpcException(bad_request) naming `field` and the
/// reason.
Address parse_address(std::string_view text, std::string_view field);

/// True for "local@domain" within the limits of RFC 5321.
bool valid_addr_spec(std::string_view addr_spec);

/// True when `value` contains CR, LF or NUL (header injection).
bool has_line_break(std::string_view value);

/// Copies an address list (a header value) character by character, keeping
/// a backslash pair inside a quoted string whole. A character outside quoted
/// strings and <...> is first offered to `at_top(c, out)`, which takes it
/// (true) or lets it be copied (false): the one scan behind
/// split_address_list and the group syntax of raw messages.
template <class AtTop>
std::string copy_address_list(std::string_view text, AtTop&& at_top) {
  std::string out;
  bool quoted = false;
  int angle = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted && c == '\\' && i + 1 < text.size()) {
      out += c;
      out += text[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '<') ++angle;
    if (!quoted && c == '>' && angle > 0) --angle;
    if (!quoted && angle == 0 && at_top(c, out)) continue;
    out += c;
  }
  return out;
}

}  // namespace coproc::mail
