// ReadySignal as an eventfd: a counter that is 1 while set, so poll() sees
// it readable; the library alone reads it.
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "ready_signal.h"

namespace coproc {

ReadySignal::ReadySignal() : native_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (native_ < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot create the descriptor of asynchronous calls (eventfd)");
  }
}

ReadySignal::~ReadySignal() { ::close(static_cast<int>(native_)); }

void ReadySignal::set() {
  const std::uint64_t one = 1;
  ssize_t n;
  do {
    n = ::write(static_cast<int>(native_), &one, sizeof one);
  } while (n < 0 && errno == EINTR);
}

void ReadySignal::reset() {
  std::uint64_t value;
  ssize_t n;
  do {
    n = ::read(static_cast<int>(native_), &value, sizeof value);
  } while (n < 0 && errno == EINTR);
}

int ReadySignal::fd() const { return static_cast<int>(native_); }
void* ReadySignal::handle() const { return nullptr; }

}  // namespace coproc
