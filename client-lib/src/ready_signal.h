// What a program with its own event loop waits on for asynchronous calls:
// POSIX — an eventfd, readable while the signal is set; Windows — a
// manual-reset event, signalled while it is set. Level-triggered: set() and
// reset() follow the count of completed calls not yet collected (AsyncHub).
#pragma once

namespace coproc {

class ReadySignal {
 public:
  /// Throws std::system_error when the descriptor cannot be created.
  ReadySignal();
  ~ReadySignal();
  ReadySignal(const ReadySignal&) = delete;
  ReadySignal& operator=(const ReadySignal&) = delete;

  void set();
  void reset();

  /// POSIX: the descriptor (-1 on Windows).
  int fd() const;
  /// Windows: the event HANDLE (nullptr on POSIX).
  void* handle() const;

 private:
  long long native_;
};

}  // namespace coproc
