#include "http_socket.h"

#include <winsock2.h>
#include <windows.h>

namespace coproc::http {

bool socket_has_input(int fd) {
  WSAPOLLFD p{};
  p.fd = static_cast<SOCKET>(fd);
  p.events = POLLRDNORM;
  return ::WSAPoll(&p, 1, 0) != 0;  // readable, hung up, in error, or the poll failed
}

std::intptr_t duplicate_socket(int fd, unsigned long* identity) {
  *identity = 0;
  WSAPROTOCOL_INFOW info{};
  if (::WSADuplicateSocketW(static_cast<SOCKET>(fd), ::GetCurrentProcessId(), &info) != 0) {
    return -1;
  }
  const SOCKET copy = ::WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                                   &info, 0, WSA_FLAG_OVERLAPPED);
  return copy == INVALID_SOCKET ? -1 : static_cast<std::intptr_t>(copy);
}

// A shutdown alone does not end a recv() another thread is blocked in on
// Windows (nor under wine); cancelling the I/O of the socket does, through
// any handle of it (CancelIoEx goes by the socket, not by the handle).
void shutdown_socket(std::intptr_t handle) {
  if (handle < 0) return;
  ::shutdown(static_cast<SOCKET>(handle), SD_BOTH);
  ::CancelIoEx(reinterpret_cast<HANDLE>(handle), nullptr);
}

void close_socket(std::intptr_t handle) {
  if (handle >= 0) ::closesocket(static_cast<SOCKET>(handle));
}

// No descriptor reaches the co-process through a named pipe.
bool open_for_writing(int) { return false; }

}  // namespace coproc::http
