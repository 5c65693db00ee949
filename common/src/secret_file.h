// Whether a file that holds a secret (smtp.password_file, a systemd
// credential) is closed to other users. POSIX checks the mode bits
// (secret_file_posix.cc); Windows checks the file's DACL for groups of many
// accounts (secret_file_win32.cc).
#pragma once

#include <string>

namespace coproc {

/// False with a sentence in `error` when others may read or write `path`.
bool secret_file_is_private(const std::string& path, std::string* error);

}  // namespace coproc
