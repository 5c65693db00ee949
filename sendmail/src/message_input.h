// Reading the message from standard input as sendmail does: to the end of
// the input, or — unless -i — up to a line that holds only ".".
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace coproc::sendmail {

enum class InputResult { ok, too_large, io_error };

/// Reads `in` into `*message`. With `dot_ends_input`, a line "." (LF or CRLF)
/// ends the message and is not part of it; the rest of the input is not
/// read. More than `max_bytes` is too_large.
InputResult read_message(std::FILE* in, bool dot_ends_input, std::uint64_t max_bytes,
                         std::string* message);

}  // namespace coproc::sendmail
