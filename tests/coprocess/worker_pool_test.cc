#include "worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

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

}  // namespace
}  // namespace coproc
