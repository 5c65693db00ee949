// The client's local stream to the co-process and the service, as the
// portable code sees it: a Unix socket on POSIX (local_stream_posix.cc:
// non-blocking connect, sendmsg with SCM_RIGHTS and MSG_NOSIGNAL, waiting on
// a descriptor until a deadline), a named pipe on Windows (pipe_io_win32.cc
// defines connect_local, send_all, recv_some and ms_left for pipes).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace coproc::net {

using Clock = std::chrono::steady_clock;

/// Connects a non-blocking, close-on-exec stream socket to `path` (on
/// Windows: opens the named pipe `path`). Returns the fd, or -1 with the errno in `*err` (ENAMETOOLONG for a path that does
/// not fit, EAGAIN when the listener's backlog is full).
int connect_local(const std::string& path, int* err);

/// One non-blocking sendmsg (MSG_NOSIGNAL: a closed peer gives EPIPE, never
/// SIGPIPE). `fds` go with these bytes as SCM_RIGHTS. Returns bytes sent, or
/// -1 with errno set (EAGAIN when the socket buffer is full).
ssize_t send_some(int fd, const char* data, std::size_t size, const int* fds, std::size_t nfds);

/// Sends all of `bytes` before `deadline` (fds with the first bytes).
/// Returns 0 or an errno value (ETIMEDOUT when the deadline passed).
int send_all(int fd, std::string_view bytes, const std::vector<int>& fds, Clock::time_point deadline);

/// Reads up to `len` bytes, waiting until `deadline`. Returns the byte
/// count, 0 at end of stream, or -1 with an errno value in `*err`
/// (ETIMEDOUT when the deadline passed).
ssize_t recv_some(int fd, char* buffer, std::size_t len, Clock::time_point deadline, int* err);

/// Waits until `fd` is ready for `events` (POLLIN/POLLOUT) or the deadline.
/// True when ready (or in error: the next read/write reports it).
bool wait_ready(int fd, short events, Clock::time_point deadline);

/// Milliseconds left until `deadline` for poll() / WaitForMultipleObjects:
/// 0 only once it has passed; any part of a millisecond left counts as a
/// whole one, so a 1 ms deadline waits 1 ms, never zero.
inline int ms_left(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > (1 << 30) ? (1 << 30) : static_cast<int>(ms);
}

}  // namespace coproc::net
