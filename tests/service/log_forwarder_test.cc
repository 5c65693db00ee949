#include "log_forwarder.h"

#include <gtest/gtest.h>

namespace coproc {
namespace {

TEST(LogForwarderTest, TimeStampedLineKeepsItsLevelAndLosesItsTimeStamp) {
  const ChildLogLine l = parse_child_log_line("2026-01-02T03:04:05.678Z warn rpc: slow client");
  EXPECT_EQ(l.level, LogLevel::warn);
  EXPECT_EQ(l.text, "rpc: slow client");
}

TEST(LogForwarderTest, JournalPriorityPrefixIsDropped) {
  const ChildLogLine l = parse_child_log_line("<3>error main: cannot start: locked");
  EXPECT_EQ(l.level, LogLevel::error);
  EXPECT_EQ(l.text, "main: cannot start: locked");
}

TEST(LogForwarderTest, ForeignLineIsKeptWholeAtInfo) {
  const ChildLogLine l = parse_child_log_line("Traceback (most recent call last):");
  EXPECT_EQ(l.level, LogLevel::info);
  EXPECT_EQ(l.text, "Traceback (most recent call last):");
}

TEST(LogForwarderTest, LineThatMerelyLooksDatedIsKeptWhole) {
  const ChildLogLine l = parse_child_log_line("2026-01-02 something else");
  EXPECT_EQ(l.level, LogLevel::info);
  EXPECT_EQ(l.text, "2026-01-02 something else");
}

}  // namespace
}  // namespace coproc
