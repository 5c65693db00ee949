// The client's named-pipe I/O on Windows. A connected pipe travels through
// the portable code as a C runtime descriptor (_open_osfhandle), so the
// connector, the handshake and coprocctl keep one code path; these
// functions reach the HANDLE behind it. The functions declared in
// local_stream.h that the portable code calls (connect_local,
// send_all, recv_some, ms_left) are defined for pipes in pipe_io_win32.cc.
#pragma once

#include <cstddef>
#include <string>

#include "local_stream.h"

namespace coproc::net {

/// UTF-8 to UTF-16, for the wide Win32 calls.
std::wstring widen(const std::string& utf8);

/// The errno value closest to a GetLastError() code.
int errno_for(unsigned long win32_error);

/// Writes all `size` bytes (no deadline: a pipe write waits while the
/// server's buffer is full). Returns 0 or an errno value (EPIPE when the
/// server is gone, ECANCELED when `stop_event` fired).
int pipe_write(int fd, const char* data, std::size_t size, void* stop_event);

/// Reads up to `len` bytes until `deadline` or until `stop_event` (may be
/// null) is signalled. Returns the byte count, 0 when the server closed the
/// pipe, or -1 with ETIMEDOUT / ECANCELED / another errno value in `*err`.
long pipe_read(int fd, char* buffer, std::size_t len, Clock::time_point deadline,
               void* stop_event, int* err);

}  // namespace coproc::net
