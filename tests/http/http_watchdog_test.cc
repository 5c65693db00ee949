// The watchdog that ends blocked HTTP requests: it must shut down the socket
// the request is using now, whatever descriptor number it has.
#include "http_watchdog.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace coproc::http {
namespace {

// A socket pair whose first end sits on descriptor number `number`.
struct Pair {
  explicit Pair(int number) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    EXPECT_EQ(::dup2(fds[0], number), number);
    ::close(fds[0]);
    near = number;
    far = fds[1];
  }
  ~Pair() {
    ::close(near);
    ::close(far);
  }
  // True when `near` was shut down: the far end reads end-of-file.
  bool shut_down() const {
    char c;
    return ::recv(far, &c, 1, MSG_DONTWAIT) == 0;
  }
  int near = -1, far = -1;
};

TEST(RequestWatch, ASocketReopenedOnTheSameNumberIsANewConnection) {
  RequestWatch watch(Clock::now() + std::chrono::hours(1), nullptr);
  int number = -1;
  {
    Pair first(::dup(0) /* a free number */);
    number = first.near;
    EXPECT_TRUE(watch.arm(first.near)) << "the first socket is new";
    EXPECT_FALSE(watch.arm(first.near)) << "the same socket again";
  }  // closed, as Poco closes a connection before reopening it
  Pair second(number);
  ASSERT_EQ(second.near, number);
  EXPECT_TRUE(watch.arm(second.near)) << "another socket on the reused descriptor number";
  EXPECT_TRUE(watch.check(Clock::now() + std::chrono::hours(2), false)) << "the deadline passed";
  EXPECT_TRUE(second.shut_down()) << "the socket in use now is the one shut down";
  watch.disarm();
}

}  // namespace
}  // namespace coproc::http
