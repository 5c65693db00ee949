// The Windows half of secret_file.h, for its tests: the DACL rule alone.
#pragma once

#include <windows.h>

#include <string>

namespace coproc {

/// False with a sentence in `error` (naming `path`) when `dacl` lets a group
/// of many accounts (Everyone, Authenticated Users, Users, INTERACTIVE,
/// Guests, Domain Users, ...) read or change the file, or is null (no DACL:
/// everyone may do anything). Deny entries are not weighed.
bool dacl_is_private(const ACL* dacl, const std::string& path, std::string* error);

}  // namespace coproc
