#include "gateway_broker.h"

#include <algorithm>
#include <random>

#include "log.h"
#include "rpc_error.h"

namespace coproc::gateway {

struct Broker::Exchange {
  // answering: a worker replied and its thread is sending the answer
  // (AnswerChannel::answer_now); no timeout applies any more.
  enum class State { queued, held, answering, done };
  rpc::GatewayRequest request;  // immutable once queued
  bool idempotent = false;
  int attempts = 0;
  State state = State::queued;
  Clock::time_point since;  // queued at, or taken at
  WorkerCall holder;
  Outcome outcome;
  AnswerChannel* channel = nullptr;  // the HTTP thread's, or null: `done` instead
  std::condition_variable done;
};

namespace {

Outcome gateway_answer(int status, std::string why) {
  Outcome o;
  o.status = status;
  o.failure = std::move(why);
  return o;
}

RpcError cancelled_error() { return RpcError(Errc::cancelled, "gateway.next was cancelled"); }

// Every 50 ms the housekeeper looks for closed worker connections.
constexpr auto kTick = std::chrono::milliseconds(50);

}  // namespace

Broker::Broker(BrokerLimits limits, const std::vector<std::string>& queues)
    : limits_(limits),
      next_id_((std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {
  for (const auto& q : queues) queues_[q];
}

Broker::~Broker() { stop(); }

void Broker::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_ || stopping_) return;
  started_ = true;
  housekeeper_ = std::thread([this] { housekeep(); });
}

void Broker::stop() {
  std::vector<Handoff> handoffs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [name, q] : queues_) {
      for (auto& ex : q.pending) finish_locked(*ex, gateway_answer(503, "the gateway is stopping"));
      q.pending.clear();
      for (auto& w : q.waiters) {
        handoffs.push_back(
            Handoff{std::move(w.reply), nullptr, RpcError(Errc::unavailable, "the gateway is stopping")});
      }
      q.waiters.clear();
    }
    queued_total_ = 0;
    for (auto& [id, ex] : held_) {
      finish_locked(*ex, gateway_answer(503, "the gateway stopped before the worker replied"));
    }
    held_.clear();
  }
  wake_.notify_all();
  if (housekeeper_.joinable()) housekeeper_.join();
  deliver(handoffs);
}

bool Broker::has_queue(const std::string& queue) const {
  return queues_.count(queue) != 0;  // the set of queues never changes
}

// Unique without a look-up and cheap (mt19937_64 and snprintf were 1 500
// instructions a request): a counter from a random start, stepped by an odd
// constant (period 2^64), through splitmix64's finalizer (a bijection), in
// hex. A reply is accepted only from the account that took the request, so
// an id need not be secret.
std::string Broker::new_request_id_locked() {
  std::uint64_t z = (next_id_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  char buf[16];
  for (int i = 15; i >= 0; --i, z >>= 4) buf[i] = "0123456789abcdef"[z & 15];
  return std::string(buf, sizeof buf);
}

void Broker::finish_locked(Exchange& ex, Outcome outcome) {
  ex.state = Exchange::State::done;
  ex.outcome = std::move(outcome);
  if (ex.channel) {
    ex.channel->waker()->wake();  // rare paths (503, 504, 502, stop): under the lock
  } else {
    ex.done.notify_all();
  }
}

void Broker::wait_locked(Exchange& ex, std::unique_lock<std::mutex>& lock,
                         Clock::time_point deadline) {
  if (ex.channel) {
    ex.channel->wait_until(lock, deadline);
  } else if (deadline == Clock::time_point::max()) {
    ex.done.wait(lock);
  } else {
    ex.done.wait_until(lock, deadline);
  }
}

void Broker::take_locked(const std::shared_ptr<Exchange>& ex, const WorkerCall& worker) {
  ex->state = Exchange::State::held;
  ex->since = Clock::now();
  ex->holder = worker;
  ++ex->attempts;
  held_[ex->request.request_id] = ex;
}

// Pairs queued requests with waiting workers, oldest with oldest. Workers
// whose call was cancelled meanwhile (or whose connection closed) are
// answered 'cancelled' instead, which releases their place in the RPC server.
void Broker::match_locked(Queue& q, std::vector<Handoff>* out) {
  while (!q.pending.empty() && !q.waiters.empty()) {
    Waiter w = std::move(q.waiters.front());
    q.waiters.pop_front();
    if (w.worker.cancelled->load()) {
      out->push_back(Handoff{std::move(w.reply), nullptr, cancelled_error()});
      continue;
    }
    auto ex = q.pending.front();
    q.pending.pop_front();
    --queued_total_;
    take_locked(ex, w.worker);
    out->push_back(Handoff{std::move(w.reply), ex, std::nullopt});
  }
}

// Outside the lock: packing a request copies its body.
void Broker::deliver(std::vector<Handoff>& handoffs) {
  for (auto& h : handoffs) {
    if (h.error) {
      h.reply(rpc::Packed{}, &*h.error);
    } else {
      h.reply(rpc::pack_result(h.exchange ? &h.exchange->request : nullptr), nullptr);
    }
  }
  handoffs.clear();
}

Outcome Broker::serve(rpc::GatewayRequest request, bool idempotent, AnswerChannel* channel) {
  auto ex = std::make_shared<Exchange>();
  ex->channel = channel;
  std::vector<Handoff> handoffs;
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_) return gateway_answer(503, "the gateway is stopping");
  auto q = queues_.find(request.queue);
  if (q == queues_.end()) return gateway_answer(404, "no queue '" + request.queue + "'");
  if (queued_total_ >= limits_.max_queued) {
    return gateway_answer(503, std::to_string(queued_total_) +
                                   " requests already wait for a worker (gateway.max_queued)");
  }
  request.request_id = new_request_id_locked();
  ex->request = std::move(request);
  ex->idempotent = idempotent;
  ex->since = Clock::now();
  q->second.pending.push_back(ex);
  ++queued_total_;
  match_locked(q->second, &handoffs);
  if (!handoffs.empty()) {
    lock.unlock();
    deliver(handoffs);
    lock.lock();
  }
  while (ex->state != Exchange::State::done) {
    if (ex->state == Exchange::State::answering) {
      wait_locked(*ex, lock, Clock::time_point::max());
      continue;
    }
    const auto limit =
        ex->state == Exchange::State::queued ? limits_.queue_timeout : limits_.reply_timeout;
    const auto deadline = ex->since + limit;
    if (Clock::now() < deadline) {
      wait_locked(*ex, lock, deadline);
      continue;  // woken, or look again whether the deadline passed
    }
    if (ex->state == Exchange::State::queued) {
      auto& pending = queues_[ex->request.queue].pending;
      pending.erase(std::remove(pending.begin(), pending.end(), ex), pending.end());
      --queued_total_;
      finish_locked(*ex, gateway_answer(503, "no worker took the request within " +
                                                 std::to_string(limits_.queue_timeout.count()) +
                                                 " ms (gateway.queue_timeout_ms)"));
    } else if (ex->state == Exchange::State::held) {
      held_.erase(ex->request.request_id);
      Outcome o = gateway_answer(504, "the worker did not reply within " +
                                          std::to_string(limits_.reply_timeout.count()) +
                                          " ms (gateway.reply_timeout_ms)");
      o.worker_pid = ex->holder.peer.pid;
      finish_locked(*ex, std::move(o));
    }
  }
  return std::move(ex->outcome);
}

std::optional<rpc::Packed> Broker::next(const std::string& queue, const WorkerCall& worker,
                                        std::chrono::milliseconds timeout,
                                        const std::function<CallContext::Reply()>& defer) {
  std::shared_ptr<Exchange> taken;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw RpcException(Errc::unavailable, "the gateway is stopping");
    auto q = queues_.find(queue);
    if (q == queues_.end()) throw RpcException(Errc::not_found, "no gateway queue '" + queue + "'");
    if (!q->second.pending.empty()) {
      taken = q->second.pending.front();
      q->second.pending.pop_front();
      --queued_total_;
      take_locked(taken, worker);
    } else if (timeout.count() > 0) {
      // No wake-up for the housekeeper: its next tick times the waiter out
      // (a notify here woke it once per request, for nothing to do).
      q->second.waiters.push_back(Waiter{worker, Clock::now() + timeout, defer()});
      return std::nullopt;
    }
  }
  return rpc::pack_result(taken ? &taken->request : nullptr);
}

void Broker::reply(const PeerCredentials& peer, rpc::GatewayReplyParams reply) {
  Outcome o;
  o.status = reply.status;
  o.headers = std::move(reply.headers);
  o.body = std::move(reply.body);
  o.worker_pid = peer.pid;
  std::shared_ptr<Exchange> ex;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = held_.find(reply.request_id);
    if (it == held_.end() || !same_account(it->second->holder.peer, peer)) {
      throw RpcException(Errc::not_found,
                         "no request '" + reply.request_id +
                             "' waits for your reply (already answered, or it timed out: "
                             "gateway.reply_timeout_ms)");
    }
    ex = it->second;
    held_.erase(it);
    if (!ex->channel) {
      ex->state = Exchange::State::done;
      ex->outcome = std::move(o);
    } else {
      ex->state = Exchange::State::answering;
    }
  }
  if (!ex->channel) {
    // Woken after the unlock: woken under it, the HTTP thread would at once
    // block again on the mutex this thread still holds (a second wake-up).
    ex->done.notify_all();
    return;
  }
  // This thread sends the answer; the HTTP thread sleeps on until its
  // client's next request, woken only when the answer did not go out whole.
  const bool sent = ex->channel->answer_now(o);
  std::shared_ptr<Waker> waker;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ex->outcome = std::move(o);
    ex->outcome.answered = sent;
    ex->state = Exchange::State::done;
    if (!sent || ex->channel->needs_wake()) waker = ex->channel->waker();
  }
  if (waker) waker->wake();
}

std::vector<QueueStatus> Broker::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<QueueStatus> out;
  for (const auto& [name, q] : queues_) {
    QueueStatus s;
    s.name = name;
    s.waiting_workers = q.waiters.size();
    s.queued = q.pending.size();
    for (const auto& [id, ex] : held_) s.in_progress += ex->request.queue == name;
    out.push_back(s);
  }
  return out;
}

void Broker::housekeep() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kTick);
    if (stopping_) break;
    const auto now = Clock::now();
    std::vector<Handoff> handoffs;
    // Waiting workers past their timeout: answered nil; cancelled ones: 'cancelled'.
    for (auto& [name, q] : queues_) {
      auto keep = q.waiters.begin();
      for (auto it = q.waiters.begin(); it != q.waiters.end(); ++it) {
        if (it->worker.cancelled->load()) {
          handoffs.push_back(Handoff{std::move(it->reply), nullptr, cancelled_error()});
        } else if (it->deadline <= now) {
          handoffs.push_back(Handoff{std::move(it->reply), nullptr, std::nullopt});
        } else {
          if (keep != it) *keep = std::move(*it);
          ++keep;
        }
      }
      q.waiters.erase(keep, q.waiters.end());
    }
    // Requests held by a worker whose connection closed: 502, or back to
    // the front of their queue once when idempotent and so configured.
    for (auto it = held_.begin(); it != held_.end();) {
      auto ex = it->second;
      if (!ex->holder.connection_closed->load()) {
        ++it;
        continue;
      }
      it = held_.erase(it);
      const std::int32_t pid = ex->holder.peer.pid;
      if (limits_.requeue_idempotent && ex->idempotent && ex->attempts < 2) {
        COPROC_LOG(info, "gateway", "worker pid=" << pid << " went away holding request "
                                                  << ex->request.request_id << "; re-queued");
        ex->state = Exchange::State::queued;
        ex->since = now;
        auto& q = queues_[ex->request.queue];
        q.pending.push_front(ex);
        ++queued_total_;
        match_locked(q, &handoffs);
      } else {
        Outcome o = gateway_answer(502, "the worker's connection closed before it replied");
        o.worker_pid = pid;
        finish_locked(*ex, std::move(o));
      }
    }
    if (!handoffs.empty()) {
      lock.unlock();
      deliver(handoffs);
      lock.lock();
    }
  }
}

}  // namespace coproc::gateway
