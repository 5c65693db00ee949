// Start-up, single instance and shutdown of the real coprocess binary.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "coprocess_fixture.h"

namespace coproc::test {
namespace {

using std::chrono::seconds;

class LifecycleTest : public CoprocessFixture {
 protected:
  // Runs a second coprocess to completion and returns (exit code, output).
  std::pair<int, std::string> run_once(const std::vector<std::string>& args) {
    TestProcess::Options o;
    o.argv = {bin_path("coprocess")};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.output_path = dir_.file("second.log");
    TestProcess p(o);
    const int status = p.wait(seconds(20));
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(o.output_path)};
  }
  std::vector<std::string> dirs() {
    return {"--runtime-dir", runtime_dir(), "--state-dir", state_dir(), "--config", "/dev/null"};
  }
};

TEST_F(LifecycleTest, SecondInstanceRefusesToStartAndTheFirstKeepsServing) {
  start_coprocess();
  auto [code, out] = run_once(dirs());
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("another instance is already running (pid " +
                     std::to_string(coprocess_.pid()) + ")"),
            std::string::npos)
      << out;
  EXPECT_FALSE(connect()->call("sys.ping").error);
}

TEST_F(LifecycleTest, StaleSocketFromAKilledInstanceIsRecovered) {
  start_coprocess();
  coprocess_.signal(SIGKILL);
  coprocess_.wait(seconds(10));
  ASSERT_EQ(::access(socket_path().c_str(), F_OK), 0) << "kill -9 leaves the socket file";
  start_coprocess();
  EXPECT_FALSE(connect()->call("sys.ping").error);
}

TEST_F(LifecycleTest, SigtermLetsCallsInFlightFinishThenExitsCleanly) {
  start_coprocess({"--set", "debug.methods=true"});
  std::vector<std::unique_ptr<RawClient>> clients;
  std::vector<std::map<std::string, int>> p{{{"ms", 600}}};
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect());
    clients.back()->send_request(1, "debug.sleep", rpc::pack_value(p));
  }
  auto observer = connect();
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = observer->call("sys.status");
        return map_get(s.result, "requests_in_flight")->as<int>() >= 4;  // 3 sleeps + this call
      },
      seconds(5)));
  coprocess_.signal(SIGTERM);
  for (auto& c : clients) {
    auto r = c->receive_response(seconds(10));
    EXPECT_FALSE(r.error) << r.error->name << ": " << r.error->message;
  }
  const int status = coprocess_.wait(seconds(10));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(::access(socket_path().c_str(), F_OK), 0) << "socket removed on clean exit";
  EXPECT_NE(log().find("stopped"), std::string::npos);
}

// The supervisor may stop the co-process the moment its socket listens,
// while the mail and HTTP features are still starting: SIGTERM must be
// caught from then on, never the default action that kills without cleanup.
TEST_F(LifecycleTest, SigtermRightAfterTheSocketListensIsStillACleanStop) {
  for (int round = 0; round < 10; ++round) {
    TestProcess::Options o;
    o.argv = {bin_path("coprocess"), "--runtime-dir", runtime_dir(), "--state-dir", state_dir(),
              "--config", "/dev/null"};
    o.output_path = log_path();
    TestProcess p(o);
    ASSERT_TRUE(wait_until([&] { return ::access(socket_path().c_str(), F_OK) == 0; }, seconds(20)));
    p.signal(SIGTERM);
    const int status = p.wait(seconds(20));
    ASSERT_TRUE(WIFEXITED(status)) << "round " << round << ": wait status " << status
                                   << " (killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                                   << ")\n" << log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << log();
  }
}

TEST_F(LifecycleTest, MoreConnectionsAllowedThanOpenFilesIsWarnedAtStart) {
  // A hard limit of 2048 open files (lowering needs no privilege) against
  // the default server.max_connections of 4096.
  TestProcess::Options o;
  o.argv = {"/bin/sh", "-c", "ulimit -n 2048 && exec \"$0\" \"$@\"", bin_path("coprocess")};
  for (const auto& a : dirs()) o.argv.push_back(a);
  o.output_path = log_path();
  TestProcess p(o);
  EXPECT_TRUE(wait_until(
      [&] { return log().find("server.max_connections is 4096 but only 2048 files") != std::string::npos; },
      seconds(20)))
      << log();
  p.signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(p.wait(seconds(20))));
}

TEST_F(LifecycleTest, TooLongRuntimeDirIsAClearError) {
  const std::string longdir = dir_.path() + "/" + std::string(100, 'r');
  auto [code, out] = run_once({"--runtime-dir", longdir, "--state-dir", state_dir(), "--config",
                               "/dev/null"});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("longer than the 107 bytes Unix sockets allow"), std::string::npos) << out;
}

TEST_F(LifecycleTest, BadConfigFileStopsStartupWithItsLineNumber) {
  write_file(dir_.file("bad.conf"), "[server]\nio_threads = 2\nworker_threads = lots\n");
  auto [code, out] = run_once({"--runtime-dir", runtime_dir(), "--state-dir", state_dir(),
                               "--config", dir_.file("bad.conf")});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("bad.conf:3: option 'server.worker_threads' needs an integer, got 'lots'"),
            std::string::npos)
      << out;
}

TEST_F(LifecycleTest, ReadinessIsSignalledToTheSupervisorSocket) {
  const std::string notify = dir_.file("notify.sock");
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, notify.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  start_coprocess({}, {"NOTIFY_SOCKET=" + notify, "COPROC_GENERATION=7"});
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  char buf[256] = {};
  ASSERT_GT(::recv(fd, buf, sizeof buf - 1, 0), 0);
  EXPECT_NE(std::string(buf).find("READY=1"), std::string::npos) << buf;
  auto hello = connect()->call("sys.hello", hello_params());
  EXPECT_EQ(map_get(hello.result, "generation")->as<int>(), 7);
  ::close(fd);
}

}  // namespace
}  // namespace coproc::test
