// The watchdog that ends blocked HTTP requests: it must shut down the socket
// the request is using now, whatever descriptor number it has.
#include "http_watchdog.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>

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

TEST(RequestWatch, AConnectionsTwinIsBorrowedByEachRequestAndStillShutsItsSocketDown) {
  Pair connection(::dup(0));
  auto twin = std::make_shared<SocketTwin>(connection.near);
  {
    RequestWatch first(Clock::now() + std::chrono::hours(1), nullptr);
    EXPECT_TRUE(first.arm(twin));
    EXPECT_FALSE(first.arm(twin)) << "the same socket again";
  }  // the request ended; the connection keeps its twin for the next one
  EXPECT_EQ(twin.use_count(), 1);
  EXPECT_FALSE(connection.shut_down());
  RequestWatch second(Clock::now() + std::chrono::hours(1), nullptr);
  EXPECT_TRUE(second.arm(twin));
  EXPECT_TRUE(second.check(Clock::now() + std::chrono::hours(2), false)) << "the deadline passed";
  EXPECT_TRUE(connection.shut_down()) << "shut down through the borrowed twin";
  second.disarm();
  EXPECT_EQ(twin.use_count(), 1);
}

}  // namespace
}  // namespace coproc::http
