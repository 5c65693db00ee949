// One call on its way: the encoded request, its file descriptors, and the
// slot the I/O thread fills when the answer (or the end of the connection)
// arrives. Shared by the calling thread and the connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coproc/client.hpp"
#include "rpc_message.h"

namespace coproc {

/// What a call returns for the co-process's answer: its remote error, or
/// COPROC_OK with the result packed.
CallResult result_of(const rpc::Response& answer);

class PendingCall {
 public:
  enum class Outcome {
    waiting,
    answered,        // result holds the answer (success or remote error)
    connection_lost, // the connection ended first; see written()
    failed,          // result holds a local error (protocol violation)
  };

  PendingCall(rpc::MsgId msgid, std::string request, std::vector<int> fds)
      : msgid_(msgid), request_(std::move(request)), fds_(std::move(fds)) {}

  /// A message that expects no answer (a notification such as sys.cancel):
  /// written like a request, never registered as pending.
  static std::shared_ptr<PendingCall> notification(std::string bytes) {
    auto n = std::make_shared<PendingCall>(0, std::move(bytes), std::vector<int>{});
    n->expects_answer_ = false;
    return n;
  }
  bool expects_answer() const { return expects_answer_; }

  rpc::MsgId msgid() const { return msgid_; }
  const std::string& request() const { return request_; }
  const std::vector<int>& fds() const { return fds_; }

  /// Whether any byte of the request reached the socket. Set and read by
  /// the connection under its own lock.
  bool written = false;

  /// An asynchronous call: no thread waits for it in Connection::wait, so
  /// the reader role is never handed to it, and while it is pending the
  /// connection reads in the background (Connection::background_turn).
  /// `on_complete` runs once, in the thread that completes the call, with
  /// no lock of the connection held. Set before submit().
  void make_async(std::function<void(PendingCall&)> on_complete) {
    async_ = true;
    on_complete_ = std::move(on_complete);
  }
  bool async() const { return async_; }

  /// Called once by the connection.
  void complete(Outcome outcome, CallResult result = {}) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      outcome_ = outcome;
      result_ = std::move(result);
    }
    finish();
  }
  /// Called once by the connection with the co-process's answer, which
  /// stays decoded until the caller takes it (take_result).
  void complete(rpc::Response answer) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      outcome_ = Outcome::answered;
      answer_ = std::move(answer);
      has_answer_ = true;
    }
    finish();
  }

  bool done() const { return done_.load(std::memory_order_acquire); }

  /// Tells the waiting caller that nobody reads the connection now: it
  /// should take over reading (leader/follower, see Connection::wait).
  void grant_turn() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      turn_ = true;
    }
    turn_flag_.store(true, std::memory_order_release);
    cv_.notify_one();
  }

  enum class Wake { done, turn, timeout };
  /// Waits until complete(), grant_turn() or `deadline`. Consumes the turn.
  Wake wait_turn(std::chrono::steady_clock::time_point deadline) {
    // A short spin catches a fast hand-over without a sleep and wake-up.
    for (int i = 0; i < spin_iterations_; ++i) {
      if (done() || turn_flag_.load(std::memory_order_acquire)) break;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return outcome_ != Outcome::waiting || turn_; });
    if (outcome_ != Outcome::waiting) return Wake::done;
    if (turn_) {
      turn_ = false;
      turn_flag_.store(false, std::memory_order_relaxed);
      return Wake::turn;
    }
    return Wake::timeout;
  }

  void set_spin(int iterations) { spin_iterations_ = iterations; }

  /// Valid once done().
  Outcome outcome() {
    std::lock_guard<std::mutex> lock(mu_);
    return outcome_;
  }
  /// The call's result, valid once done(). An answer's result is packed
  /// here, in the caller's thread — unless `decoded` is given and the answer
  /// is a success: then `*decoded` receives it as decoded (no packing, no
  /// second decoding by the caller) and the result's bytes stay empty.
  CallResult take_result(rpc::Response* decoded = nullptr) {
    rpc::Response answer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!has_answer_) return std::move(result_);
      has_answer_ = false;
      answer = std::move(answer_);
    }
    if (decoded && !answer.error) {
      *decoded = std::move(answer);
      CallResult ok;
      ok.status = COPROC_OK;
      return ok;
    }
    return result_of(answer);
  }

 private:
  /// Marks the call done, wakes its caller and runs on_complete_.
  void finish() {
    done_.store(true, std::memory_order_release);
    cv_.notify_one();
    if (on_complete_) {
      auto notify = std::move(on_complete_);
      notify(*this);
    }
  }

  const rpc::MsgId msgid_;
  const std::string request_;
  const std::vector<int> fds_;
  int spin_iterations_ = 0;
  bool async_ = false;
  bool expects_answer_ = true;
  std::function<void(PendingCall&)> on_complete_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> done_{false};
  std::atomic<bool> turn_flag_{false};
  bool turn_ = false;
  Outcome outcome_ = Outcome::waiting;
  CallResult result_;
  rpc::Response answer_;  // when has_answer_: taken by take_result()
  bool has_answer_ = false;
};

}  // namespace coproc
