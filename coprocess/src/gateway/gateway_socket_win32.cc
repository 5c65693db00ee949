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

}  // namespace coproc::gateway
