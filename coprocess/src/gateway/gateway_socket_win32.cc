#include <winsock2.h>
#include <windows.h>

#include <Poco/Net/SocketImpl.h>

#include "gateway_socket.h"

namespace coproc::gateway {

bool listeners_reuse_address() { return false; }

void interrupt_receive(Poco::Net::StreamSocket& s) {
  const poco_socket_t fd = s.impl()->sockfd();
  if (fd != POCO_INVALID_SOCKET) ::CancelIoEx(reinterpret_cast<HANDLE>(fd), nullptr);
}

// Not available (wake_fd_ stays -1): WSAPoll waits on sockets only, so the
// connection thread waits on the broker's condition variable instead.
ClientWait::ClientWait(const Poco::Net::StreamSocket& s) : fd_(s.impl()->sockfd()) {}

ClientWait::~ClientWait() = default;

bool ClientWait::wait(bool, Clock::time_point) { return false; }

void ClientWait::wake() {}

std::size_t ClientWait::send_now(const char*, std::size_t) { return 0; }

}  // namespace coproc::gateway
