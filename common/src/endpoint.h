// The listening endpoint: a Unix socket path here (endpoint_posix.cc), a
// named pipe on Windows. Creating it is done under the instance lock.
#pragma once

#include <string>

namespace coproc {

/// Longest socket path the platform accepts (sun_path minus the NUL).
constexpr std::size_t kMaxSocketPath = 107;

/// Creates a listening stream socket at `path`. An existing file is probed
/// with connect(): a live listener is an error; a refused connect means the
/// file is stale and it is replaced. `mode` is applied to the socket file and
/// `group` (if not empty) becomes its group. Returns a close-on-exec fd, or
/// -1 with a sentence in `error`.
int listen_unix(const std::string& path, unsigned mode, const std::string& group, int backlog,
                std::string* error);

/// A listening socket handed over by a supervisor (systemd's LISTEN_FDS /
/// LISTEN_PID convention, fd 3), or -1. Clears the variables so children do
/// not inherit them.
int inherited_listen_fd();

/// Parses an octal mode such as "0666"; false when it is not one.
bool parse_mode(const std::string& text, unsigned* mode);

}  // namespace coproc
