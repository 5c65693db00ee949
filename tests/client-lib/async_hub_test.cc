// AsyncHub's ready signal follows the count of completed calls not yet
// collected, whatever order the I/O thread and the caller get there in.
#include <gtest/gtest.h>
#include <poll.h>

#include "async_call.h"

namespace coproc {
namespace {

bool readable(const AsyncHub& hub) {
  pollfd p{hub.signal().fd(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(AsyncHub, SignalIsSetWhileACompletedCallIsUncollected) {
  AsyncHub hub;
  EXPECT_FALSE(readable(hub));
  hub.completed();
  hub.completed();
  EXPECT_TRUE(readable(hub));
  hub.collected();
  EXPECT_TRUE(readable(hub)) << "one call is still to collect";
  hub.collected();
  EXPECT_FALSE(readable(hub));
}

// The call is marked done before the hub counts it: a caller that sees it
// done may collect it in between. The count must not end at one.
TEST(AsyncHub, ACollectBeforeItsCompletionIsCountedLeavesTheSignalClear) {
  AsyncHub hub;
  hub.collected();
  hub.completed();
  EXPECT_FALSE(readable(hub));
  hub.completed();
  EXPECT_TRUE(readable(hub));
  hub.collected();
  EXPECT_FALSE(readable(hub));
}

}  // namespace
}  // namespace coproc
