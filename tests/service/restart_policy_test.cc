#include "restart_policy.h"

#include <gtest/gtest.h>

namespace coproc {
namespace {

using std::chrono::milliseconds;

TEST(RestartPolicyTest, DelayDoublesFromInitialUpToTheCap) {
  RestartPolicy p(milliseconds(100), milliseconds(1000), milliseconds(10000), 3);
  EXPECT_EQ(p.on_failure(milliseconds(5)), milliseconds(100));
  EXPECT_EQ(p.on_failure(milliseconds(5)), milliseconds(200));
  EXPECT_EQ(p.on_failure(milliseconds(5)), milliseconds(400));
  EXPECT_EQ(p.on_failure(milliseconds(5)), milliseconds(800));
  EXPECT_EQ(p.on_failure(milliseconds(5)), milliseconds(1000));
  EXPECT_EQ(p.on_failure(milliseconds(5)), milliseconds(1000));
  EXPECT_EQ(p.consecutive_failures(), 6);
}

TEST(RestartPolicyTest, CrashLoopIsReportedFromTheThresholdOn) {
  RestartPolicy p(milliseconds(10), milliseconds(100), milliseconds(1000), 3);
  p.on_failure(milliseconds(1));
  p.on_failure(milliseconds(1));
  EXPECT_FALSE(p.crash_loop());
  p.on_failure(milliseconds(1));
  EXPECT_TRUE(p.crash_loop());
}

TEST(RestartPolicyTest, AGenerationThatWasStableStartsTheDelayAgain) {
  RestartPolicy p(milliseconds(100), milliseconds(10000), milliseconds(5000), 3);
  p.on_failure(milliseconds(1));
  p.on_failure(milliseconds(1));
  EXPECT_EQ(p.on_failure(milliseconds(1)), milliseconds(400));
  EXPECT_EQ(p.on_failure(milliseconds(6000)), milliseconds(100));
  EXPECT_EQ(p.consecutive_failures(), 1);
  EXPECT_FALSE(p.crash_loop());
}

TEST(RestartPolicyTest, ResetForgetsFailures) {
  RestartPolicy p(milliseconds(100), milliseconds(10000), milliseconds(5000), 2);
  p.on_failure(milliseconds(1));
  p.on_failure(milliseconds(1));
  ASSERT_TRUE(p.crash_loop());
  p.reset();
  EXPECT_FALSE(p.crash_loop());
  EXPECT_EQ(p.on_failure(milliseconds(1)), milliseconds(100));
}

TEST(RestartPolicyTest, HugeFailureCountsDoNotOverflowTheDelay) {
  RestartPolicy p(milliseconds(1), milliseconds(3600000), milliseconds(5000), 3);
  milliseconds last{0};
  for (int i = 0; i < 200; ++i) last = p.on_failure(milliseconds(0));
  EXPECT_EQ(last, milliseconds(3600000));
}

}  // namespace
}  // namespace coproc
