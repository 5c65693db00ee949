// Asynchronous calls of one Client: AsyncCall is one call the caller did not
// wait for; AsyncHub is what the calls of a client share — the count of
// completed calls not collected yet, the descriptor that shows it
// (ReadySignal), and the condition that coproc_pending_wait and
// coproc_wait_any sleep on. Nobody waits in Connection::wait for an
// asynchronous call: the connection reads in the background while one is
// pending (connection.h), and the thread that completes it notifies the hub.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "coproc/client.hpp"
#include "ready_signal.h"

namespace coproc {

class Connection;
class PendingCall;

class AsyncHub {
 public:
  using Clock = std::chrono::steady_clock;

  /// A call completed: counts it and sets the signal. Any thread.
  void completed();
  /// A completed call was collected (its result taken or the call freed).
  void collected();
  /// Waits until `ready()` is true or `deadline` passes (none: forever);
  /// re-checks after every completion. Returns the last value of ready().
  template <class Ready>
  bool wait(std::optional<Clock::time_point> deadline, Ready ready) {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (ready()) return true;
      if (!deadline) {
        cv_.wait(lock);
      } else if (cv_.wait_until(lock, *deadline) == std::cv_status::timeout) {
        return ready();
      }
    }
  }

  const ReadySignal& signal() const { return signal_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  long uncollected_ = 0;  // completed minus collected; -1 while a collect ran first
  ReadySignal signal_;
};

class AsyncCall {
 public:
  AsyncCall(std::shared_ptr<AsyncHub> hub, std::string method, std::string packed_params,
            bool idempotent)
      : hub_(std::move(hub)),
        method_(std::move(method)),
        params_(std::move(packed_params)),
        idempotent_(idempotent) {}
  AsyncCall(const AsyncCall&) = delete;
  AsyncCall& operator=(const AsyncCall&) = delete;

  const std::string& method() const { return method_; }
  const std::string& params() const { return params_; }
  bool idempotent() const { return idempotent_; }
  AsyncHub& hub() const { return *hub_; }

  /// Never blocks. Thread-safe.
  bool ready() const;
  /// The outcome; only once ready(). The first call counts the call as
  /// collected (the hub's signal may clear). Thread-safe.
  CallResult result();
  /// Asks for the call's end: a call still in flight is withdrawn from the
  /// connection and, when its request was sent, the co-process is told to
  /// stop it (sys.cancel); the call completes as COPROC_E_CANCELLED. A call
  /// whose answer is arriving right now completes with that answer. No-op
  /// when already complete. Thread-safe.
  void cancel();
  /// Collects without reading the result (the caller frees the call).
  void collect();

  // Used by the Client while the call runs.
  /// Records the attempt on `conn`; false (and nothing recorded) when the
  /// call was cancelled or finished meanwhile.
  bool attach(std::shared_ptr<Connection> conn, std::shared_ptr<PendingCall> call);
  /// The attempt ended (answer or lost connection).
  void detach();
  bool cancel_requested() const;
  /// Counts one resend; false when `retries` are used up.
  bool count_resend(int retries);
  int resends() const;
  /// Completes the call once with `result`; later calls are ignored.
  void finish(CallResult result);

 private:
  const std::shared_ptr<AsyncHub> hub_;
  const std::string method_;
  const std::string params_;
  const bool idempotent_;

  mutable std::mutex mu_;
  bool done_ = false;
  bool collected_ = false;
  bool cancel_requested_ = false;
  int resends_ = 0;
  CallResult result_;
  std::shared_ptr<Connection> conn_;   // the attempt in flight
  std::shared_ptr<PendingCall> call_;
};

}  // namespace coproc
