// UTF-8 checks shared by every part: what the mail component accepts, what
// the JSON bridge emits, what an error message may contain.
#pragma once

#include <string>
#include <string_view>

namespace coproc {

/// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool valid_utf8(std::string_view s);

/// `s` with every byte that is not part of well-formed UTF-8 written as
/// `\xNN`: safe to show in a message whatever the input was.
std::string printable_utf8(std::string_view s);

}  // namespace coproc
