// Socket reads that also receive file descriptors passed with SCM_RIGHTS
// (socket_io_posix.cc). Windows pipes carry no descriptors.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <vector>

namespace coproc {

/// Upper bound of descriptors accepted with one read; extra ones are closed.
constexpr std::size_t kMaxFdsPerRead = 16;

/// Non-blocking read of up to `len` bytes from `fd`. Descriptors that
/// arrive with the data are appended to `fds` (close-on-exec). Returns the
/// byte count, 0 at end of stream, or -1 with errno set.
ssize_t receive_with_fds(int fd, char* buffer, std::size_t len, std::vector<int>* fds);

/// True where connections can carry descriptors (the fd_passing capability).
bool passes_descriptors();

/// Closes every descriptor in `fds` and clears it.
void close_fds(std::vector<int>* fds);

}  // namespace coproc
