// Platform pieces of the HTTP client that look at a raw socket descriptor
// (http_socket_posix.cc, http_socket_win32.cc).
#pragma once

#include <cstdint>

namespace coproc::http {

/// True when `fd` has something to read right now (data, the peer's FIN or
/// an error), without waiting; also true when the check itself fails.
bool socket_has_input(int fd);

/// A handle of our own on the connected socket `fd` that stays valid after
/// `fd` is closed (POSIX: dup(); Windows: WSADuplicateSocketW), so a later
/// shutdown can never hit a number that was closed and reused; -1 when none
/// could be had. `*identity` tells sockets apart (POSIX: the inode; 0 when
/// unknown, as on Windows).
std::intptr_t duplicate_socket(int fd, unsigned long* identity);

/// Shuts the connection down both ways so that blocked reads and writes
/// return (Windows: also CancelIoEx, as a shutdown alone does not end a
/// recv() another thread is blocked in).
void shutdown_socket(std::intptr_t handle);

/// Closes a handle of duplicate_socket(); -1 is ignored.
void close_socket(std::intptr_t handle);

/// True when the passed descriptor `fd` is open for writing.
bool open_for_writing(int fd);

}  // namespace coproc::http
