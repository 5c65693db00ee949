// The broker alone: requests and workers meet first in, first out; the
// gateway's own answers (503, 504, 502) come at their deadlines. Workers are
// fakes here (a reply function and a cancel flag); gateway_test.cc runs real
// worker processes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway_broker.h"
#include "rpc_error.h"

namespace coproc::gateway {
namespace {

using namespace std::chrono_literals;

// A worker's gateway.next call as the RPC server would keep it.
struct FakeWorker {
  std::shared_ptr<std::atomic<bool>> gone = std::make_shared<std::atomic<bool>>(false);
  std::mutex m;
  std::vector<std::string> answers;  // request_id, "nil" or "error:NAME"
  int pid = 0;
  std::string sid;  // the user SID a Windows peer carries; empty: none (POSIX)

  WorkerCall call() {
    PeerCredentials p;
    p.uid = 1000;
    p.pid = pid;
    if (!sid.empty()) {
      p.sids = std::make_shared<const std::vector<std::string>>(std::vector<std::string>{sid});
    }
    return WorkerCall{p, gone, gone};
  }
  CallContext::Reply reply() {
    return [this](const rpc::Packed& result, const RpcError* error) {
      std::lock_guard<std::mutex> lock(m);
      if (error) {
        answers.push_back("error:" + error->name);
        return;
      }
      auto h = msgpack::unpack(result.bytes.data(), result.bytes.size());
      rpc::GatewayRequest r;
      answers.push_back(rpc::read_result(h.get(), &r) ? r.request_id : "nil");
    };
  }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(m);
    return answers;
  }
};

// An HTTP connection's AnswerChannel: answer_now() takes the answer or not
// as told; its waits last at most 10 ms (the real one also wakes when its
// client sends the next request).
struct FakeChannel : AnswerChannel {
  explicit FakeChannel(bool takes) : takes(takes) {}
  bool answer_now(const Outcome& o) override {
    answered_status = o.status;
    ++answer_calls;
    return takes;
  }
  bool needs_wake() const override { return false; }
  struct CountingWaker : Waker {
    explicit CountingWaker(FakeChannel& c) : channel(c) {}
    void wake() override {
      ++channel.wakes;
      channel.woken.notify_all();
    }
    FakeChannel& channel;
  };
  std::shared_ptr<Waker> waker() override { return std::make_shared<CountingWaker>(*this); }
  void wait_until(std::unique_lock<std::mutex>& lock, Clock::time_point deadline) override {
    woken.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(10)));
  }
  const bool takes;
  std::atomic<int> answer_calls{0}, wakes{0}, answered_status{0};
  std::condition_variable_any woken;
};

rpc::GatewayRequest request(const std::string& path = "/x") {
  rpc::GatewayRequest r;
  r.method = "GET";
  r.path = path;
  r.queue = "q";
  return r;
}

std::string id_of(const rpc::Packed& p) {
  auto h = msgpack::unpack(p.bytes.data(), p.bytes.size());
  rpc::GatewayRequest r;
  return rpc::read_result(h.get(), &r) ? r.request_id : "nil";
}

class BrokerTest : public ::testing::Test {
 protected:
  void make(BrokerLimits limits = {}) {
    broker_ = std::make_unique<Broker>(limits, std::vector<std::string>{"q"});
    broker_->start();
  }
  // Waits in gateway.next for a request; "" when the call was deferred.
  std::string next(FakeWorker& w, std::chrono::milliseconds timeout = 2000ms) {
    auto now = broker_->next("q", w.call(), timeout, [&w] { return w.reply(); });
    return now ? id_of(*now) : "";
  }
  bool wait_for_answers(FakeWorker& w, std::size_t n) {
    for (int i = 0; i < 400; ++i) {
      if (w.seen().size() >= n) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
  void reply(FakeWorker& w, const std::string& id, int status) {
    rpc::GatewayReplyParams r;
    r.request_id = id;
    r.status = status;
    r.body = "from " + std::to_string(w.pid);
    broker_->reply(w.call().peer, r);
  }
  // Workers outlive the broker, whose stop() answers those still waiting.
  FakeWorker& worker(int pid = 0) {
    workers_.emplace_back();
    workers_.back().pid = pid;
    return workers_.back();
  }
  std::deque<FakeWorker> workers_;
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, AWaitingWorkerGetsTheRequestAndItsReplyReachesTheClient) {
  make();
  FakeWorker& w = worker(7);
  EXPECT_EQ(next(w), "");  // deferred: nothing queued
  auto served = std::async(std::launch::async, [&] { return broker_->serve(request(), true); });
  ASSERT_TRUE(wait_for_answers(w, 1));
  reply(w, w.seen()[0], 201);
  const Outcome o = served.get();
  EXPECT_EQ(o.status, 201);
  EXPECT_EQ(o.body, "from 7");
  EXPECT_EQ(o.worker_pid, 7);
  EXPECT_TRUE(o.failure.empty());
}

TEST_F(BrokerTest, AReplyGoesOutFromTheReplyingThreadWhenTheChannelTakesIt) {
  make();
  FakeWorker& w = worker(7);
  next(w);
  FakeChannel channel(true);
  auto served =
      std::async(std::launch::async, [&] { return broker_->serve(request(), true, &channel); });
  ASSERT_TRUE(wait_for_answers(w, 1));
  reply(w, w.seen()[0], 201);
  EXPECT_EQ(channel.answer_calls, 1);  // before reply() returned
  EXPECT_EQ(channel.answered_status, 201);
  const Outcome o = served.get();
  EXPECT_TRUE(o.answered);
  EXPECT_EQ(o.status, 201);
  EXPECT_EQ(o.worker_pid, 7);
  EXPECT_EQ(channel.wakes, 0);  // the client's next request wakes the HTTP thread
}

TEST_F(BrokerTest, AReplyTheChannelCannotTakeWakesTheHttpThreadToSendIt) {
  make();
  FakeWorker& w = worker(7);
  next(w);
  FakeChannel channel(false);
  auto served =
      std::async(std::launch::async, [&] { return broker_->serve(request(), true, &channel); });
  ASSERT_TRUE(wait_for_answers(w, 1));
  reply(w, w.seen()[0], 201);
  EXPECT_EQ(channel.wakes, 1);
  const Outcome o = served.get();
  EXPECT_FALSE(o.answered);
  EXPECT_EQ(o.status, 201);
  EXPECT_EQ(o.body, "from 7");
}

TEST_F(BrokerTest, TheGatewaysOwnAnswersWakeTheChannelAndAreNotSentThroughIt) {
  make();
  FakeWorker& w = worker();
  next(w);
  FakeChannel channel(true);
  auto served =
      std::async(std::launch::async, [&] { return broker_->serve(request(), true, &channel); });
  ASSERT_TRUE(wait_for_answers(w, 1));
  w.gone->store(true);
  const Outcome o = served.get();
  EXPECT_EQ(o.status, 502);
  EXPECT_FALSE(o.answered);
  EXPECT_EQ(channel.answer_calls, 0);
  EXPECT_GE(channel.wakes, 1);
}

TEST_F(BrokerTest, AQueuedRequestIsTakenAtOnceByTheNextWorker) {
  make();
  auto served = std::async(std::launch::async, [&] { return broker_->serve(request(), true); });
  FakeWorker& w = worker();
  std::string id;
  for (int i = 0; i < 200 && id.empty(); ++i) {
    id = next(w, 0ms);
    if (id == "nil") id.clear();
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(id.size(), 16u);
  reply(w, id, 200);
  EXPECT_EQ(served.get().status, 200);
}

TEST_F(BrokerTest, NoWorkerWithinTheQueueTimeoutIs503) {
  BrokerLimits l;
  l.queue_timeout = 150ms;
  make(l);
  const auto t0 = Clock::now();
  const Outcome o = broker_->serve(request(), true);
  EXPECT_EQ(o.status, 503);
  EXPECT_GE(Clock::now() - t0, 150ms);
  EXPECT_NE(o.failure.find("gateway.queue_timeout_ms"), std::string::npos);
}

TEST_F(BrokerTest, AWorkerThatDoesNotReplyInTimeIs504AndItsLateReplyIsNotFound) {
  BrokerLimits l;
  l.reply_timeout = 150ms;
  make(l);
  FakeWorker& w = worker();
  next(w);
  const Outcome o = broker_->serve(request(), true);
  EXPECT_EQ(o.status, 504);
  ASSERT_EQ(w.seen().size(), 1u);
  try {
    reply(w, w.seen()[0], 200);
    FAIL() << "a late reply was accepted";
  } catch (const RpcException& e) {
    EXPECT_EQ(e.error().name, "not_found");
  }
}

TEST_F(BrokerTest, AWorkerWhoseConnectionClosesHoldingARequestGives502) {
  make();
  FakeWorker& w = worker();
  next(w);
  auto served = std::async(std::launch::async, [&] { return broker_->serve(request(), true); });
  ASSERT_TRUE(wait_for_answers(w, 1));
  w.gone->store(true);
  const Outcome o = served.get();
  EXPECT_EQ(o.status, 502);
}

TEST_F(BrokerTest, AnIdempotentRequestGoesToAnotherWorkerWhenConfigured) {
  BrokerLimits l;
  l.requeue_idempotent = true;
  make(l);
  FakeWorker& dying = worker();
  FakeWorker& other = worker(9);
  next(dying);
  auto served = std::async(std::launch::async, [&] { return broker_->serve(request(), true); });
  ASSERT_TRUE(wait_for_answers(dying, 1));
  next(other);
  dying.gone->store(true);
  ASSERT_TRUE(wait_for_answers(other, 1));
  EXPECT_EQ(other.seen()[0], dying.seen()[0]);
  reply(other, other.seen()[0], 200);
  EXPECT_EQ(served.get().worker_pid, 9);
}

TEST_F(BrokerTest, ANonIdempotentRequestIsNotRequeued) {
  BrokerLimits l;
  l.requeue_idempotent = true;
  make(l);
  FakeWorker& dying = worker();
  FakeWorker& other = worker();
  next(dying);
  auto served = std::async(std::launch::async, [&] { return broker_->serve(request(), false); });
  ASSERT_TRUE(wait_for_answers(dying, 1));
  next(other);
  dying.gone->store(true);
  EXPECT_EQ(served.get().status, 502);
  EXPECT_TRUE(other.seen().empty());
}

TEST_F(BrokerTest, AWaitingWorkerIsAnsweredNilAtItsTimeout) {
  make();
  FakeWorker& w = worker();
  EXPECT_EQ(next(w, 100ms), "");
  ASSERT_TRUE(wait_for_answers(w, 1));
  EXPECT_EQ(w.seen()[0], "nil");
}

TEST_F(BrokerTest, ACancelledWaitingWorkerIsAnsweredCancelledAndGetsNoRequest) {
  BrokerLimits l;
  l.queue_timeout = 300ms;
  make(l);
  FakeWorker& w = worker();
  EXPECT_EQ(next(w), "");
  w.gone->store(true);
  ASSERT_TRUE(wait_for_answers(w, 1));
  EXPECT_EQ(w.seen()[0], "error:cancelled");
  EXPECT_EQ(broker_->serve(request(), true).status, 503);
}

TEST_F(BrokerTest, AReplyFromAnotherUidIsNotFound) {
  make();
  FakeWorker& w = worker();
  next(w);
  auto served = std::async(std::launch::async, [&] { return broker_->serve(request(), true); });
  ASSERT_TRUE(wait_for_answers(w, 1));
  PeerCredentials stranger;
  stranger.uid = 4242;
  rpc::GatewayReplyParams r;
  r.request_id = w.seen()[0];
  EXPECT_THROW(broker_->reply(stranger, r), RpcException);
  reply(w, w.seen()[0], 200);
  EXPECT_EQ(served.get().status, 200);
}

// On Windows a uid is a 32-bit digest of the user SID: a colliding digest
// must not let another account answer.
TEST_F(BrokerTest, AReplyFromAnotherSidWithTheSameUidIsNotFound) {
  make();
  FakeWorker& w = worker();
  w.sid = "S-1-5-21-1-2-3-1001";
  next(w);
  auto served = std::async(std::launch::async, [&] { return broker_->serve(request(), true); });
  ASSERT_TRUE(wait_for_answers(w, 1));
  PeerCredentials twin = w.call().peer;
  twin.sids = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"S-1-5-21-1-2-3-1002"});
  rpc::GatewayReplyParams r;
  r.request_id = w.seen()[0];
  EXPECT_THROW(broker_->reply(twin, r), RpcException);
  reply(w, w.seen()[0], 200);
  EXPECT_EQ(served.get().status, 200);
}

TEST_F(BrokerTest, RequestsBeyondMaxQueuedGet503AtOnce) {
  // The first request is seen in the queue (a 50 ms sleep let a loaded
  // machine send the second one first), and stays there: its queue timeout
  // is never reached, stop() answers it. "At once" is against that timeout.
  BrokerLimits l;
  l.max_queued = 1;
  l.queue_timeout = 30s;
  make(l);
  auto first = std::async(std::launch::async, [&] { return broker_->serve(request(), true); });
  auto queued = [&] {
    for (const auto& q : broker_->status()) {
      if (q.name == "q") return q.queued;
    }
    return std::size_t{0};
  };
  for (int i = 0; i < 2000 && queued() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(queued(), 1u);
  const auto t0 = Clock::now();
  const Outcome o = broker_->serve(request(), true);
  EXPECT_EQ(o.status, 503);
  EXPECT_LT(Clock::now() - t0, 10s) << "the full queue answered at its 30 s queue timeout";
  EXPECT_NE(o.failure.find("gateway.max_queued"), std::string::npos) << o.failure;
  broker_->stop();
  EXPECT_EQ(first.get().status, 503);
}

TEST_F(BrokerTest, StopAnswersWaitingClientsAndWorkers) {
  make();
  FakeWorker& w = worker();
  next(w);
  auto served = std::async(std::launch::async, [&] {
    rpc::GatewayRequest r = request();
    r.queue = "q";
    return broker_->serve(r, true);
  });
  ASSERT_TRUE(wait_for_answers(w, 1));  // held by w
  FakeWorker& idle = worker();
  next(idle);
  broker_->stop();
  EXPECT_EQ(served.get().status, 503);
  ASSERT_EQ(idle.seen().size(), 1u);
  EXPECT_EQ(idle.seen()[0], "error:unavailable");
}

}  // namespace
}  // namespace coproc::gateway
