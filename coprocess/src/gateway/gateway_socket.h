// The gateway's socket details that differ per platform
// (gateway_socket_posix.cc, gateway_socket_win32.cc): how a listener binds,
// and how a read another thread is blocked in is ended (a client past its
// request deadline, or every connection at stop).
#pragma once

#include <chrono>
#include <cstddef>

#include <Poco/Net/StreamSocket.h>

namespace coproc::gateway {

/// Whether a listener binds with SO_REUSEADDR. POSIX: yes, so a restarted
/// co-process binds while the old one's connections are in TIME_WAIT.
/// Windows: no; there the option lets another socket bind the same port and
/// take its connections, and TIME_WAIT does not block a listener's bind.
bool listeners_reuse_address();

/// Ends a read another thread is blocked in on `s`, for a client past its
/// request deadline; sending stays possible (the 408). Never throws.
/// POSIX: shuts the receive side of the plain socket (also under TLS, whose
/// override of shutdownReceive does nothing): this read and every later one
/// see end-of-stream. Windows: cancels the socket's pending I/O
/// (CancelIoEx), which fails the read pending now only: shutdown(SD_RECEIVE)
/// neither wakes a waiting recv() there nor is harmless, as Windows resets
/// the connection when more data arrives, before the client reads its 408.
void interrupt_receive(Poco::Net::StreamSocket& s);

/// Where a connection thread sleeps while a worker serves its request, so
/// that one wake-up serves a request: the thread that gets the worker's
/// reply sends the answer itself (send_now) and the connection thread sleeps
/// on until its client sends the next request, with a way for other threads
/// to wake it sooner (the answer did not go out whole, a timeout, a 502, the
/// stop). POSIX: poll() on the client's socket and an eventfd. Windows: not
/// available (available() is false): the connection thread waits on the
/// broker's condition variable and writes every answer itself.
///
/// Thread-safety: wake() and send_now() from any thread; wait() from the
/// connection thread only.
class ClientWait {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ClientWait(const Poco::Net::StreamSocket& s);
  ~ClientWait();
  ClientWait(const ClientWait&) = delete;
  ClientWait& operator=(const ClientWait&) = delete;

  bool available() const { return wake_fd_ >= 0; }
  /// Sleeps until wake(), `deadline`, or (when `watch_client`) the client's
  /// socket is readable (a request, end of stream or an error). Returns
  /// whether the client's socket is readable.
  bool wait(bool watch_client, Clock::time_point deadline);
  void wake();
  /// Sends what the socket takes without blocking; returns how many bytes.
  std::size_t send_now(const char* data, std::size_t size);

 private:
  poco_socket_t fd_;
  int wake_fd_ = -1;
};

}  // namespace coproc::gateway
