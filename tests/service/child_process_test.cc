#include "child_process.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace coproc {
namespace {

// Everything the child writes until EOF.
std::string read_all(int fd) {
  std::string out;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(ChildProcessTest, ListeningSocketArrivesAsFd3WithTheChildsOwnPid) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  SpawnSpec spec;
  spec.path = "/bin/sh";
  spec.argv = {"sh", "-c",
               "echo pid=$$ listen_pid=$LISTEN_PID fds=$LISTEN_FDS; "
               "test -S /proc/self/fd/3 && echo fd3=socket; "
               "ls /proc/self/fd | sort -n | tr '\\n' ' '"};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.listen_fd = sv[0];
  SpawnedChild child;
  std::string error;
  ASSERT_TRUE(spawn_child(spec, &child, &error)) << error;
  const std::string out = read_all(child.stderr_fd);
  EXPECT_EQ(WEXITSTATUS(wait_for(child.pid)), 0);
  const std::string pid = std::to_string(child.pid);
  EXPECT_NE(out.find("pid=" + pid + " listen_pid=" + pid + " fds=1"), std::string::npos) << out;
  EXPECT_NE(out.find("fd3=socket"), std::string::npos) << out;
  // Only 0, 1, 2, 3 (and the fd `ls` opens for /proc/self/fd) are open.
  EXPECT_EQ(out.find(" 5 "), std::string::npos) << out;
  ::close(child.stderr_fd);
  if (child.pidfd >= 0) ::close(child.pidfd);
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(ChildProcessTest, ExecFailureIsReportedWithTheReason) {
  SpawnSpec spec;
  spec.path = "/nonexistent/coprocess";
  spec.argv = {"coprocess"};
  SpawnedChild child;
  std::string error;
  EXPECT_FALSE(spawn_child(spec, &child, &error));
  EXPECT_NE(error.find("cannot execute /nonexistent/coprocess"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
}

TEST(ChildProcessTest, UnknownUserIsAClearError) {
  RunAsUser user;
  std::string error;
  EXPECT_FALSE(resolve_user("no-such-user-coproc-test", &user, &error));
  EXPECT_NE(error.find("user 'no-such-user-coproc-test' does not exist"), std::string::npos)
      << error;
}

TEST(ChildProcessTest, WaitStatusIsDescribedForPeople) {
  EXPECT_EQ(describe_wait_status(3 << 8), "exited with status 3");
  EXPECT_EQ(describe_wait_status(9), "killed by signal 9 (SIGKILL)");
  EXPECT_EQ(wait_status_code(9), -9);
  EXPECT_EQ(wait_status_code(3 << 8), 3);
}

}  // namespace
}  // namespace coproc
