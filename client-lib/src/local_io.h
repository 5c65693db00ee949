// What a Connection waits on besides its descriptor, per platform:
// POSIX — readiness of the fd on the I/O thread (SocketWatch);
// Windows — a stop event that wakes a caller blocked in a pipe read when
// the connection is closed (pipe_io_win32.h), since a pipe has no
// shutdown() that makes later reads fail.
#pragma once

#include <asio.hpp>

namespace coproc::net {

#ifdef _WIN32
class PipeStop {
 public:
  explicit PipeStop(asio::io_context& io);
  ~PipeStop();
  PipeStop(const PipeStop&) = delete;
  PipeStop& operator=(const PipeStop&) = delete;
  /// Signals the event: every present and future pipe read given this
  /// event returns ECANCELED.
  void fire();
  void* event() const { return event_; }

 private:
  void* event_;
};
using ConnectionIo = PipeStop;
#else
/// Waits on the I/O thread until a Unix socket is readable or writable.
/// The descriptor is registered with the io_context's reactor only while a
/// wait is outstanding: Asio registers a descriptor edge-triggered for
/// input, so a registered socket would wake the I/O thread on every answer
/// that arrives — one useless wake-up (and a third thread competing for
/// the CPU) per blocking call, whose caller reads its answer itself.
/// Not thread-safe: only the I/O thread calls async_wait(). Never closes
/// the descriptor.
class SocketWatch {
 public:
  explicit SocketWatch(asio::io_context& io) : socket_(io) {}
  ~SocketWatch() { forget(); }
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  /// Calls `handler(error_code)` on the I/O thread once `fd` is ready for
  /// `what` (or has failed, or was shut down), or with the error when the
  /// descriptor could not be put on the reactor.
  template <class Handler>
  void async_wait(int fd, asio::socket_base::wait_type what, Handler handler) {
    asio::error_code refused;
    if (!socket_.is_open()) socket_.assign(asio::local::stream_protocol(), fd, refused);
    if (refused) {  // the reactor refused it (out of memory or epoll watches)
      asio::post(socket_.get_executor(),
                 [h = std::move(handler), refused]() mutable { h(refused); });
      return;
    }
    ++waits_;
    socket_.async_wait(what, [this, h = std::move(handler)](const asio::error_code& ec) mutable {
      --waits_;
      h(ec);  // may wait again: the registration then stays
      if (waits_ == 0) forget();
    });
  }

  /// Takes the descriptor off the reactor (no wait may be outstanding).
  void forget() {
    asio::error_code ignored;
    if (socket_.is_open()) socket_.release(ignored);
  }

 private:
  asio::local::stream_protocol::socket socket_;
  int waits_ = 0;
};
using ConnectionIo = SocketWatch;
#endif

}  // namespace coproc::net
