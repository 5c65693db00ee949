// Enforces each request's deadline and the caller's cancellation while a
// worker thread is blocked inside Poco: one thread watches every request in
// flight and, when one expires or is cancelled, shuts its socket down (on
// Windows also cancelling its pending I/O) so the blocked read or write
// returns at once. The socket is watched through a
// dup()ed descriptor, so a shutdown can never hit a descriptor number that
// was closed and reused meanwhile, and it is told apart from other sockets by
// its inode, not by its descriptor number (a socket Poco reopens inside
// sendRequest() usually gets the number of the one it closed).
#pragma once

#include <atomic>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "http_socket.h"

namespace coproc::http {

using Clock = std::chrono::steady_clock;

/// Our own handle on a connection's socket (duplicate_socket()), closed
/// with its last owner. A connection made by the Connector keeps one for its
/// whole life and each request's watch borrows it, so a kept-alive
/// connection is duplicated once, not once per request (dup, fstat and close
/// were three of a pooled request's thirteen system calls).
class SocketTwin {
 public:
  explicit SocketTwin(int fd) : handle_(duplicate_socket(fd, &identity_)) {}
  ~SocketTwin() { close_socket(handle_); }
  SocketTwin(const SocketTwin&) = delete;
  SocketTwin& operator=(const SocketTwin&) = delete;
  std::intptr_t handle() const { return handle_; }
  /// Tells sockets apart (0 when unknown).
  unsigned long identity() const { return identity_; }

 private:
  unsigned long identity_ = 0;
  const std::intptr_t handle_;
};

class RequestWatch {
 public:
  enum class Fired { no, deadline, cancelled };

  RequestWatch(Clock::time_point deadline, std::shared_ptr<std::atomic<bool>> cancel_flag);
  ~RequestWatch();
  RequestWatch(const RequestWatch&) = delete;
  RequestWatch& operator=(const RequestWatch&) = delete;

  /// Watches the connected socket `fd` (duplicated), replacing a previous
  /// one. True when it is a socket not watched until now (a new
  /// connection); false, and nothing changes, for the one already watched.
  /// If the watch already fired, the socket is shut down immediately.
  bool arm(int fd);
  /// The same with a twin the connection already has.
  bool arm(std::shared_ptr<SocketTwin> twin);
  /// Stops watching the socket (before it goes back to the pool or closes).
  void disarm();
  Fired fired() const;
  Clock::time_point deadline() const { return deadline_; }
  /// Milliseconds left (at least 1, so it can be used as a timeout).
  long remaining_ms() const;

  /// Called by the watchdog thread: fires when due (or at once as cancelled
  /// when `cancel_all`). Returns true when fired.
  bool check(Clock::time_point now, bool cancel_all);

 private:
  const Clock::time_point deadline_;
  const std::shared_ptr<std::atomic<bool>> cancel_flag_;
  mutable std::mutex mutex_;
  std::shared_ptr<SocketTwin> socket_;  // the watched socket
  Fired fired_ = Fired::no;
};

class Watchdog {
 public:
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /// Starts watching a request; it stays watched until unwatch().
  std::shared_ptr<RequestWatch> watch(Clock::time_point deadline,
                                      std::shared_ptr<std::atomic<bool>> cancel_flag);
  void unwatch(const std::shared_ptr<RequestWatch>& watch);
  /// Cancels every request in flight and every later one (shutdown).
  void cancel_all();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::list<std::shared_ptr<RequestWatch>> watches_;
  bool stopping_ = false;
  bool cancel_all_ = false;
  bool sleeping_ = false;  // idle for a while: waits for a notify
  std::thread thread_;
};

/// Unwatches on scope exit.
class ScopedWatch {
 public:
  ScopedWatch(Watchdog& dog, Clock::time_point deadline,
              std::shared_ptr<std::atomic<bool>> cancel_flag)
      : dog_(dog), watch_(dog.watch(deadline, std::move(cancel_flag))) {}
  ~ScopedWatch() { dog_.unwatch(watch_); }
  ScopedWatch(const ScopedWatch&) = delete;
  ScopedWatch& operator=(const ScopedWatch&) = delete;
  RequestWatch& operator*() const { return *watch_; }
  RequestWatch* operator->() const { return watch_.get(); }

 private:
  Watchdog& dog_;
  std::shared_ptr<RequestWatch> watch_;
};

}  // namespace coproc::http
