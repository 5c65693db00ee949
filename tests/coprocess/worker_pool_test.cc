#include "worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

namespace coproc {
namespace {

TEST(WorkerPool, RunsEveryAcceptedJob) {
  std::atomic<int> ran{0};
  {
    asio::io_context io;
    WorkerPool pool(io, 4, 10000);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(pool.try_post([&] { ran++; }));
    pool.stop();
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(WorkerPool, FullQueueRefusesInsteadOfGrowing) {
  asio::io_context io;
  WorkerPool pool(io, 1, 2);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.try_post([&, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the only thread is busy now
  EXPECT_TRUE(pool.try_post([] {}));
  EXPECT_TRUE(pool.try_post([] {}));
  EXPECT_FALSE(pool.try_post([] {})) << "queue limit 2 reached";
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_EQ(pool.busy(), 1u);
  release.set_value();
  pool.stop();
  EXPECT_FALSE(pool.try_post([] {})) << "a stopped pool takes nothing";
}

// The pool's jobs share the io_context with the event loop; the limit is
// what keeps the loop's own thread free however many jobs block.
TEST(WorkerPool, EventLoopKeepsRunningWhileEveryJobBlocks) {
  asio::io_context io;
  WorkerPool pool(io, 2, 10);
  std::thread event_loop([&] { io.run(); });  // the server.io_threads = 1 thread

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
  for (int i = 0; i < 500 && started.load() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(started.load(), 2);
  EXPECT_EQ(pool.busy(), 2u);
  EXPECT_EQ(pool.queued(), 1u) << "a third job waits instead of taking the loop's thread";
  EXPECT_FALSE(third_ran.load());

  // Any of the three threads may be running a job; one of them is free.
  std::promise<void> handled;
  asio::post(io, [&] { handled.set_value(); });
  ASSERT_EQ(handled.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "a handler must run while both jobs block";

  release.set_value();
  pool.stop();  // the queued job runs before the pool's threads end
  EXPECT_TRUE(third_ran.load());
  io.stop();
  event_loop.join();
}

}  // namespace
}  // namespace coproc
