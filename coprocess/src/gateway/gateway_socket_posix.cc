#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

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

ClientWait::ClientWait(const Poco::Net::StreamSocket& s)
    : fd_(s.impl()->sockfd()), wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ClientWait::~ClientWait() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool ClientWait::wait(bool watch_client, Clock::time_point deadline) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {fd_, POLLIN, 0}};
  int timeout_ms = -1;
  if (deadline != Clock::time_point::max()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    timeout_ms = static_cast<int>(std::max<std::chrono::milliseconds::rep>(
        0, std::min<std::chrono::milliseconds::rep>(left.count(), 1 << 30)));
  }
  const int n = ::poll(fds, watch_client ? 2 : 1, timeout_ms);
  if (n <= 0) return false;  // timeout, or EINTR: the caller looks again
  if (fds[0].revents != 0) {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto r = ::read(wake_fd_, &count, sizeof count);
  }
  return watch_client && fds[1].revents != 0;
}

void ClientWait::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto r = ::write(wake_fd_, &one, sizeof one);
}

std::size_t ClientWait::send_now(const char* data, std::size_t size) {
  std::size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(fd_, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // full (EAGAIN), or an error the connection thread will meet again
    }
  }
  return sent;
}

}  // namespace coproc::gateway
