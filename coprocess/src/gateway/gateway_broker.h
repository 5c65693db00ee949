// The meeting point of HTTP requests and workers. An HTTP connection thread
// calls serve() and blocks until a worker replied or the gateway gave up
// (503 nobody took it in time, 504 the worker took too long, 502 the
// worker's connection went away). Workers' gateway.next calls never hold a
// thread: a call with nothing to take is kept as a deferred answer
// (CallContext::defer) and answered when a request arrives or its timeout
// passes. Requests and waiting workers of a queue are both served first in,
// first out. A housekeeping thread times out waiting workers and notices
// workers whose connection closed (CallContext::connection_closed).
//
// Thread-safety: every public function may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "call_context.h"
#include "gateway_messages.h"
#include "peer_credentials.h"

namespace coproc::gateway {

using Clock = std::chrono::steady_clock;

struct BrokerLimits {
  std::chrono::milliseconds queue_timeout{5000};
  std::chrono::milliseconds reply_timeout{30000};
  std::size_t max_queued = 1024;
  bool requeue_idempotent = false;
};

/// What the HTTP client gets.
struct Outcome {
  int status = 0;
  rpc::GatewayHeaders headers;
  std::string body;
  std::int32_t worker_pid = 0;  // 0: no worker answered
  std::string failure;          // why the gateway answered itself ("" when a worker did)
  /// The worker's answer went out whole from the thread that got it
  /// (AnswerChannel::answer_now): nothing left for the HTTP thread to send.
  bool answered = false;
};

/// How an HTTP connection thread waits for its outcome when it can do better
/// than the exchange's condition variable (gateway_connection.cc): the thread
/// that gets the worker's reply sends the answer itself, and the HTTP thread
/// sleeps until its client sends the next request. One wake-up per request
/// instead of two. The broker calls these; the HTTP thread is in serve().
/// Ends an AnswerChannel's wait (AnswerChannel::waker).
class Waker {
 public:
  virtual ~Waker() = default;
  virtual void wake() = 0;
};

class AnswerChannel {
 public:
  virtual ~AnswerChannel() = default;
  /// From the thread with the worker's reply, outside the broker's lock:
  /// sends the answer if the socket takes it without blocking. True when it
  /// went out whole (the outcome is then `answered`); else the HTTP thread
  /// sends it (or what is left of it).
  virtual bool answer_now(const Outcome& outcome) = 0;
  /// Under the broker's lock: whether the waiting thread must be woken even
  /// though the answer went out whole (it no longer sleeps until its
  /// client's next request).
  virtual bool needs_wake() const = 0;
  /// Under the broker's lock: what ends the current wait_until(). It may
  /// outlive the channel, so the broker wakes after releasing its lock (woken
  /// under it, the thread would at once block again on that lock).
  virtual std::shared_ptr<Waker> waker() = 0;
  /// Sleeps until wake(), `deadline`, or something else worth a look;
  /// `lock` (the broker's) is released while sleeping.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, Clock::time_point deadline) = 0;
};

/// A worker's gateway.next call, as the broker keeps it.
struct WorkerCall {
  PeerCredentials peer;
  /// The gateway.next call's cancel flag (sys.cancel, or its connection closed).
  std::shared_ptr<const std::atomic<bool>> cancelled;
  /// Its connection's: a request taken is held until the reply or this.
  std::shared_ptr<const std::atomic<bool>> connection_closed;
};

struct QueueStatus {
  std::string name;
  std::size_t waiting_workers = 0;
  std::size_t queued = 0;
  std::size_t in_progress = 0;
};

class Broker {
 public:
  Broker(BrokerLimits limits, const std::vector<std::string>& queues);
  ~Broker();

  /// Starts the housekeeping thread.
  void start();
  /// Answers every queued and held request 503 and every waiting worker
  /// `unavailable`; later calls are refused. Joins the thread.
  void stop();

  bool has_queue(const std::string& queue) const;

  /// Puts `request` (request_id is set here) in its queue and waits for the
  /// outcome. `idempotent` allows one re-queue when configured. With a
  /// `channel`, the wait and a worker's answer go through it.
  Outcome serve(rpc::GatewayRequest request, bool idempotent, AnswerChannel* channel = nullptr);

  /// gateway.next. Returns the packed result at once when a request is
  /// queued (or nil when timeout is zero); otherwise calls `defer` and keeps
  /// its reply until a request arrives or `timeout` passes (nil result).
  std::optional<rpc::Packed> next(const std::string& queue, const WorkerCall& worker,
                                  std::chrono::milliseconds timeout,
                                  const std::function<CallContext::Reply()>& defer);

  /// gateway.reply. Throws RpcException(not_found) when `request_id` is not
  /// held by a worker of this uid (unknown, answered, or timed out).
  void reply(const PeerCredentials& peer, rpc::GatewayReplyParams reply);

  std::vector<QueueStatus> status() const;

 private:
  struct Exchange;
  struct Waiter {
    WorkerCall worker;
    Clock::time_point deadline;
    CallContext::Reply reply;
  };
  struct Queue {
    std::deque<std::shared_ptr<Exchange>> pending;
    std::deque<Waiter> waiters;
  };
  struct Handoff {
    CallContext::Reply reply;
    std::shared_ptr<Exchange> exchange;  // null: answer nil
    std::optional<RpcError> error;
  };

  void match_locked(Queue& q, std::vector<Handoff>* out);
  void take_locked(const std::shared_ptr<Exchange>& ex, const WorkerCall& worker);
  void finish_locked(Exchange& ex, Outcome outcome);
  static void wait_locked(Exchange& ex, std::unique_lock<std::mutex>& lock,
                          Clock::time_point deadline);
  static void deliver(std::vector<Handoff>& handoffs);
  void housekeep();
  std::string new_request_id_locked();

  const BrokerLimits limits_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Queue> queues_;
  std::map<std::string, std::shared_ptr<Exchange>> held_;  // by request_id
  std::size_t queued_total_ = 0;
  std::uint64_t next_id_;  // new_request_id_locked
  bool stopping_ = false;
  bool started_ = false;
  std::thread housekeeper_;
};

}  // namespace coproc::gateway
