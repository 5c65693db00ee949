// Whether a file that holds a secret (smtp.password_file, a systemd
// credential) is closed to other users. POSIX checks the mode bits;
// Windows relies on the file's ACL, which is not inspected (docs/windows.md).
#pragma once

#include <string>

namespace coproc {

/// False with a sentence in `error` when others may read or write `path`.
bool secret_file_is_private(const std::string& path, std::string* error);

}  // namespace coproc
