// What coproc-sendmail needs from the platform (sendmail_platform_posix.cc,
// sendmail_platform_win32.cc).
#pragma once

#include <string>

namespace coproc::sendmail {

/// The name of the user running the program ("" when unknown): the default
/// envelope sender, qualified by the co-process with its mail domain.
std::string login_name();

/// Standard input in binary mode (no CRLF translation on Windows).
void binary_stdin();

}  // namespace coproc::sendmail
