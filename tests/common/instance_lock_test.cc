#include "instance_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "temp_dir.h"

namespace coproc {
namespace {

TEST(InstanceLock, SecondHolderIsRefusedWithTheHoldersPid) {
  test::TempDir dir;
  const std::string path = dir.file("x.lock");
  InstanceLock first;
  std::string error;
  ASSERT_TRUE(first.try_acquire(path, &error)) << error;
  first.write_pid();
  // flock locks belong to the open file description: a second open is refused.
  InstanceLock second;
  EXPECT_FALSE(second.try_acquire(path, &error));
  EXPECT_NE(error.find("already running (pid " + std::to_string(::getpid()) + ")"),
            std::string::npos)
      << error;
}

TEST(InstanceLock, LockDiesWithItsHolder) {
  test::TempDir dir;
  const std::string path = dir.file("y.lock");
  pid_t child = ::fork();
  if (child == 0) {
    InstanceLock l;
    std::string e;
    _exit(l.try_acquire(path, &e) ? 0 : 1);  // exits holding the lock
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  InstanceLock mine;
  std::string error;
  EXPECT_TRUE(mine.try_acquire(path, &error)) << error;
}

}  // namespace
}  // namespace coproc
