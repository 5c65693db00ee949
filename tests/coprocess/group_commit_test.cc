// The group commit of the outbox's accepted.log (coprocess/src/group_commit.h):
// callers waiting together share one sync, and a failed sync fails every one
// of them.
#include "group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace coproc {
namespace {

using namespace std::chrono_literals;

/// A gate the sync waits at until the test opens it.
class Gate {
 public:
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  void pass() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

bool wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(5ms);
  return done();
}

TEST(GroupCommit, EveryCommitReturnsOnlyAfterASyncThatCoversItsAppend) {
  std::atomic<int> appended{0}, durable{0};
  GroupCommit commit([&] {
    const int now = appended.load();  // everything appended so far
    std::this_thread::sleep_for(1ms);
    durable = now;
  });
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> early{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        int mine = 0;
        commit.commit([&] { mine = ++appended; });
        if (durable.load() < mine) ++early;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(early.load(), 0) << "a commit returned before its append was synced";
  EXPECT_EQ(durable.load(), kThreads * kEach);
  EXPECT_LT(commit.syncs(), static_cast<std::uint64_t>(kThreads * kEach))
      << "concurrent commits never shared a sync";
}

TEST(GroupCommit, OneSyncCoversEveryoneWhoWaitedForTheRunningOne) {
  Gate gate;
  std::atomic<int> syncs_started{0};
  GroupCommit commit([&] {
    if (++syncs_started == 1) gate.pass();  // the first sync is slow
  });
  std::atomic<int> appended{0};
  std::thread first([&] { commit.commit([&] { ++appended; }); });
  ASSERT_TRUE(wait_for([&] { return syncs_started.load() == 1; }));
  constexpr int kWaiting = 6;
  std::vector<std::thread> waiting;
  for (int i = 0; i < kWaiting; ++i) waiting.emplace_back([&] { commit.commit([&] { ++appended; }); });
  ASSERT_TRUE(wait_for([&] { return appended.load() == 1 + kWaiting; }));
  gate.open();
  first.join();
  for (auto& t : waiting) t.join();
  EXPECT_EQ(commit.syncs(), 2u) << "the six that appended during the first sync share the second";
}

TEST(GroupCommit, AFailedSyncReachesEveryWaiterWithItsErrorAndRollsBackOnce) {
  Gate gate;
  std::atomic<int> syncs{0}, rollbacks{0}, appended{0};
  GroupCommit commit(
      [&] {
        if (++syncs == 2) {  // the second sync fails after everyone has appended
          gate.pass();
          throw std::system_error(EIO, std::generic_category(), "cannot flush accepted.log");
        }
      },
      [&] { ++rollbacks; });
  commit.commit([&] { ++appended; });  // the first one is fine
  constexpr int kThreads = 6;
  std::atomic<int> failed{0};
  std::mutex mutex;
  std::vector<std::string> messages;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      try {
        commit.commit([&] { ++appended; });
      } catch (const std::system_error& e) {
        ++failed;
        std::lock_guard<std::mutex> lock(mutex);
        messages.push_back(e.what());
        EXPECT_EQ(e.code().value(), EIO);
      }
    });
  }
  ASSERT_TRUE(wait_for([&] { return appended.load() == 1 + kThreads; }));
  gate.open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), kThreads) << "every append the failed sync was to cover fails";
  EXPECT_EQ(rollbacks.load(), 1);
  for (const std::string& m : messages) {
    EXPECT_NE(m.find("cannot flush accepted.log"), std::string::npos) << m;
  }
  // The next commit gets a sync of its own and succeeds.
  EXPECT_NO_THROW(commit.commit([&] { ++appended; }));
}

TEST(GroupCommit, AFailedAppendIsRethrownAndNeedsNoSync) {
  GroupCommit commit([] {});
  EXPECT_THROW(commit.commit([] { throw std::system_error(ENOSPC, std::generic_category(), "full"); }),
               std::system_error);
  EXPECT_EQ(commit.syncs(), 0u);
}

TEST(GroupCommit, ExclusiveRunsWithNoSyncUnderWayAndCountsAsDurable) {
  Gate gate;
  std::atomic<bool> in_sync{false};
  std::atomic<int> syncs{0};
  GroupCommit commit([&] {
    in_sync = true;
    if (++syncs == 1) gate.pass();
    in_sync = false;
  });
  std::thread writer([&] { commit.commit([] {}); });
  ASSERT_TRUE(wait_for([&] { return in_sync.load(); }));
  std::atomic<bool> overlapped{false}, ran{false};
  std::thread checkpoint([&] {
    commit.exclusive([&] {
      overlapped = in_sync.load();
      ran = true;
    });
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(ran.load()) << "exclusive() ran while a sync was under way";
  gate.open();
  writer.join();
  checkpoint.join();
  EXPECT_TRUE(ran.load());
  EXPECT_FALSE(overlapped.load());
}

}  // namespace
}  // namespace coproc
