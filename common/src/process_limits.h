// Process-wide limits and directory checks done once at start-up.
#pragma once

#include <string>

namespace coproc {

/// Raises the soft open-files limit to the hard limit (thousands of legacy
/// sessions each hold a connection), and the hard limit itself up to
/// `wanted` where the process may (CAP_SYS_RESOURCE). Returns the soft limit
/// now in force.
long raise_open_files_limit(long wanted = 0);

/// A runtime dir holds the sockets and the lock: it must be a real directory
/// (not a symlink) owned by us or root, and not writable by group or others,
/// or another user could replace the socket. False with a sentence in `error`.
bool check_private_directory(const std::string& dir, std::string* error);

}  // namespace coproc
