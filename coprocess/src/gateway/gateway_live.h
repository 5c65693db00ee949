// The HTTP connections the gateway serves now, and the deadline of the
// request each one is reading. A client gets gateway.request_timeout_ms for
// a whole request (TLS handshake, header and body); Poco's socket timeout
// only bounds the wait for each next byte, which a slowloris client sending
// one byte at a time never trips. Past the deadline, and until the
// connection thread disarms it, the socket's reads are interrupted
// (gateway_socket.h: the receive side shut on POSIX, the pending read
// cancelled on Windows), so the blocked read returns and the connection
// thread answers 408. At stop every connection is shut down, so
// no thread waits out a keep-alive poll.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <Poco/Net/StreamSocket.h>

namespace coproc::gateway {

class LiveConnections {
 public:
  using Clock = std::chrono::steady_clock;

  struct Entry {
    explicit Entry(const Poco::Net::StreamSocket& s) : socket(s) {}
    Poco::Net::StreamSocket socket;
    std::atomic<bool> expired{false};  // its request deadline passed
  };

  LiveConnections() = default;
  ~LiveConnections() { stop(); }

  void start();
  /// Shuts down every connection and joins the deadline thread.
  void stop();

  /// False when stopping: the connection should close at once.
  bool add(Entry* entry);
  void remove(Entry* entry);
  void arm(Entry* entry, Clock::time_point deadline);
  void disarm(Entry* entry);
  std::size_t size() const;

 private:
  void watch();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<Entry*, Clock::time_point> entries_;  // time_point::max(): no deadline
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace coproc::gateway
