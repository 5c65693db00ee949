#include "worker_pool.h"

#include "test_process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <future>
#include <vector>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

namespace coproc {
namespace {

// An io_context run by `n` threads, as the co-process's event loop is.
class EventLoop {
 public:
  explicit EventLoop(asio::io_context& io, int n = 1) : io_(io), guard_(io.get_executor()) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~EventLoop() { stop(); }
  std::thread::id thread_id(std::size_t i) const { return threads_.at(i).get_id(); }
  void stop() {
    guard_.reset();
    io_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  asio::io_context& io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

bool wait_for(const std::function<bool()>& condition) {
  return test::wait_until(condition, std::chrono::seconds(10));
}

TEST(WorkerPool, RunsEveryAcceptedJob) {
  asio::io_context io;
  std::atomic<int> ran{0};
  {
    EventLoop loop(io, 2);
    WorkerPool pool(io, 2, 4, 10000);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(pool.try_post([&] { ran++; }));
    EXPECT_TRUE(wait_for([&] { return ran.load() == 1000; }));
    pool.stop();
    EXPECT_FALSE(pool.try_post([] {})) << "a stopped pool takes nothing";
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(WorkerPool, FullQueueRefusesInsteadOfGrowing) {
  asio::io_context io;
  EventLoop loop(io);
  WorkerPool pool(io, 1, 1, 2);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.try_post([&, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the only job slot is taken now
  std::atomic<int> later{0};
  EXPECT_TRUE(pool.try_post([&] { later++; }));
  EXPECT_TRUE(pool.try_post([&] { later++; }));
  EXPECT_FALSE(pool.try_post([] {})) << "queue limit 2 reached";
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_EQ(pool.busy(), 1u);
  release.set_value();
  EXPECT_TRUE(wait_for([&] { return later.load() == 2; })) << "queued jobs run after the first";
  EXPECT_EQ(pool.busy(), 0u);
}

TEST(WorkerPool, OneOwnersSlowJobsLeaveAThreadForAnotherOwner) {
  asio::io_context io;
  EventLoop loop(io);
  WorkerPool pool(io, 1, 4, 100, 2);  // 4 threads, 2 per owner
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> a_started{0};
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(pool.try_post(1000, [&, gate] {
      a_started++;
      gate.wait();
    }));
  }
  ASSERT_TRUE(wait_for([&] { return a_started.load() == 2; }));
  EXPECT_EQ(pool.queued(), 18u) << "owner 1000 runs at most 2 at once";
  std::promise<void> b_ran;
  ASSERT_TRUE(pool.try_post(2000, [&] { b_ran.set_value(); }));
  EXPECT_EQ(b_ran.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "owner 2000 waited behind owner 1000's jobs";
  release.set_value();
  EXPECT_TRUE(wait_for([&] { return a_started.load() == 20 && pool.busy() == 0; }));
}

TEST(WorkerPool, WaitingJobsAreTakenRoundRobinBetweenOwners) {
  asio::io_context io;
  EventLoop loop(io);
  WorkerPool pool(io, 1, 1, 100);  // one thread: everything else waits
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.try_post(1, [&, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  std::mutex m;
  std::string order;
  auto job = [&](char c) {
    return [&, c] {
      std::lock_guard<std::mutex> lock(m);
      order += c;
    };
  };
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.try_post(1, job('a')));
  ASSERT_TRUE(pool.try_post(2, job('b')));
  ASSERT_TRUE(pool.try_post(3, job('c')));
  ASSERT_TRUE(pool.try_post(2, job('b')));
  release.set_value();
  ASSERT_TRUE(wait_for([&] { return pool.busy() == 0; }));
  EXPECT_EQ(order, "abcaba") << "owner 1's queue must not go first in full";
}

// A job that ends within the grace costs no helper: the loop's own thread
// runs it and goes on serving the loop.
TEST(WorkerPool, AQuickJobWakesNoHelper) {
  asio::io_context io;
  EventLoop loop(io);  // server.io_threads = 1
  WorkerPool pool(io, 1, 2, 10, SIZE_MAX, std::chrono::seconds(5));
  std::atomic<std::size_t> most_helpers{0};
  for (int i = 0; i < 20; ++i) {
    std::promise<void> done;
    ASSERT_TRUE(pool.try_post([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a kept-alive request's wait
      most_helpers = std::max(most_helpers.load(), pool.helpers_running());
      done.set_value();
    }));
    ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  }
  EXPECT_EQ(most_helpers.load(), 0u);
}

// A job that holds the loop's only thread longer than the grace gets a
// helper to serve the loop, and not before the grace.
TEST(WorkerPool, AHelperServesTheLoopOnceAJobOutlastsTheGrace) {
  asio::io_context io;
  EventLoop loop(io);  // server.io_threads = 1
  const auto grace = std::chrono::milliseconds(200);
  WorkerPool pool(io, 1, 2, 10, SIZE_MAX, grace);
  std::promise<void> release;
  std::promise<void> started;
  ASSERT_TRUE(pool.try_post([&, gate = release.get_future().share()] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  const auto posted = std::chrono::steady_clock::now();
  std::promise<std::chrono::steady_clock::time_point> handled;
  asio::post(io, [&] { handled.set_value(std::chrono::steady_clock::now()); });
  auto at = handled.get_future();
  ASSERT_EQ(at.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "a handler must run while the job blocks";
  EXPECT_GE(at.get() - posted, grace / 2) << "the helper joined before the grace";
  EXPECT_EQ(pool.helpers_running(), 1u);
  release.set_value();
  EXPECT_TRUE(wait_for([&] { return pool.busy() == 0 && pool.helpers_running() == 0; }));
}

// Jobs run on the loop's threads; helpers step in so that one thread keeps
// serving the loop however many jobs block, and sleep otherwise.
TEST(WorkerPool, EventLoopKeepsRunningWhileEveryJobBlocks) {
  asio::io_context io;
  EventLoop loop(io);  // server.io_threads = 1
  WorkerPool pool(io, 1, 2, 10);

  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> started{0};
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pool.try_post([&, gate] {
      started++;
      gate.wait();
    }));
  }
  std::atomic<bool> third_ran{false};
  ASSERT_TRUE(pool.try_post([&] { third_ran = true; }));
  ASSERT_TRUE(wait_for([&] { return started.load() == 2; }))
      << "the second job needs a helper: the loop's only thread runs the first";
  EXPECT_EQ(pool.busy(), 2u);
  EXPECT_EQ(pool.queued(), 1u) << "a third job waits instead of taking the last free thread";
  EXPECT_FALSE(third_ran.load());

  std::promise<void> handled;
  asio::post(io, [&] { handled.set_value(); });
  ASSERT_EQ(handled.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "a handler must run while both jobs block";

  EXPECT_GE(pool.helpers_running(), 1u);

  release.set_value();
  EXPECT_TRUE(wait_for([&] { return third_ran.load(); }));
  EXPECT_TRUE(wait_for([&] { return pool.busy() == 0; }));
  // Nothing blocks any more: the helpers leave, and the loop's own thread
  // alone runs the handlers again.
  EXPECT_TRUE(wait_for([&] { return pool.helpers_running() == 0; }));
  std::promise<std::thread::id> ran_on;
  asio::post(io, [&] { ran_on.set_value(std::this_thread::get_id()); });
  EXPECT_EQ(ran_on.get_future().get(), loop.thread_id(0));
}

}  // namespace
}  // namespace coproc
