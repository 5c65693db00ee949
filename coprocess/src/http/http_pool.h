// Idle keep-alive connections, kept per origin so that repeated requests to
// one server skip the TCP and TLS handshakes. Bounded per origin and in
// total; a connection idle longer than `idle` (kept below typical server
// keep-alive timeouts) is closed instead of reused, and one the server has
// already closed (readable while idle) is dropped on acquire.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <Poco/Net/HTTPClientSession.h>

namespace coproc::http {

class HttpPool {
 public:
  using Session = Poco::Net::HTTPClientSession;
  using Clock = std::chrono::steady_clock;

  struct Limits {
    std::size_t per_origin = 8;
    std::size_t total = 64;
    std::chrono::milliseconds idle{4000};
  };
  struct Stats {
    std::size_t idle = 0;     // connections waiting for reuse now
    std::size_t origins = 0;  // origins with idle connections
    std::uint64_t reused = 0;
    std::uint64_t dropped_stale = 0;    // closed by the server while idle
    std::uint64_t dropped_expired = 0;  // idle longer than the limit
  };

  explicit HttpPool(Limits limits) : limits_(limits) {}
  HttpPool(const HttpPool&) = delete;
  HttpPool& operator=(const HttpPool&) = delete;

  /// The most recently used idle session for `origin`, or nullptr.
  /// Thread-safe.
  std::unique_ptr<Session> acquire(const std::string& origin);
  /// Offers a session whose last response was read to the end and that may be
  /// kept alive; it is closed instead when the pool is full. Thread-safe.
  void release(const std::string& origin, std::unique_ptr<Session> session);
  /// Closes idle sessions past the idle limit. Thread-safe.
  void expire();

  Stats stats() const;

 private:
  struct Idle {
    std::unique_ptr<Session> session;
    Clock::time_point since;
  };

  const Limits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<Idle>> idle_;  // oldest first
  std::size_t total_ = 0;
  Stats counters_;
};

}  // namespace coproc::http
