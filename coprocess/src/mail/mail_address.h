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

}  // namespace coproc::mail
