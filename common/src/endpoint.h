// The listening endpoint: a Unix socket path here (endpoint_posix.cc), a
// named pipe on Windows. Creating it is done under the instance lock.
#pragma once

#include <string>
#include <vector>

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

/// The one reader of the LISTEN_PID / LISTEN_FDS convention (systemd socket
/// activation, and coproc-service handing its socket to the co-process):
/// fds 3, 4, ... when LISTEN_PID is this process, else none. Clears the
/// variables (and LISTEN_FDNAMES) so children do not inherit them.
std::vector<int> take_listen_fds();

/// Of `fds`, the Unix socket bound at `path`, made close-on-exec; or -1.
int listen_fd_bound_to(const std::vector<int>& fds, const std::string& path);

/// The first socket handed over by a supervisor (take_listen_fds()), made
/// close-on-exec, or -1.
int inherited_listen_fd();

/// Parses an octal mode such as "0666"; false when it is not one.
bool parse_mode(const std::string& text, unsigned* mode);

}  // namespace coproc
