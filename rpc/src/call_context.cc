#include "call_context.h"

#include <unistd.h>

#include "rpc_error.h"

namespace coproc {

CallContext::~CallContext() {
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

int CallContext::take_fd(std::size_t index) {
  if (index >= fds.size() || fds[index] < 0) {
    throw RpcException(Errc::bad_request,
                       "the request refers to passed file descriptor " + std::to_string(index) +
                           " but carried " + std::to_string(fds.size()));
  }
  int fd = fds[index];
  fds[index] = -1;
  return fd;
}

CallContext::Reply CallContext::defer() {
  if (!reply_later) throw RpcException(Errc::internal, "this call cannot be answered later");
  deferred_ = true;
  return reply_later;
}

}  // namespace coproc
