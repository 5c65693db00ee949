#include <Poco/Net/SocketImpl.h>

#include "gateway_socket.h"

namespace coproc::gateway {

bool listeners_reuse_address() { return true; }

void interrupt_receive(Poco::Net::StreamSocket& s) {
  try {
    s.impl()->Poco::Net::SocketImpl::shutdownReceive();
  } catch (const Poco::Exception&) {
    // already closed
  }
}

}  // namespace coproc::gateway
