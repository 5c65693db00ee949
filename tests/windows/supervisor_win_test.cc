// The Windows supervision (supervisor.cc + supervisor_win32.cc) and the
// control server on \\.\pipe\<space>/control.sock, with the real
// coprocess.exe: launch on demand through the control pipe, readiness by
// the pipe, the graceful stop through the stop event, the kill after the
// deadline, restart after a kill, the crash loop.
#include <windows.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "control_server.h"
#include "coproc/client.hpp"
#include "coprocess_win_fixture.h"
#include "endpoint_win32.h"
#include "methods.h"
#include "supervisor.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class SupervisorWinTest : public CoprocessWinFixture {
 protected:
  SupervisorSettings settings(const std::vector<std::string>& extra = {}) {
    SupervisorSettings s;
    s.coprocess_path = bin_path("coprocess/coprocess.exe");
    s.arguments = {"--set", "server.pipe_name=" + endpoint()};
    s.arguments.insert(s.arguments.end(), extra.begin(), extra.end());
    s.ready_pipe = pipe_path();
    s.ready_timeout = milliseconds(20000);
    s.restart_initial = milliseconds(50);
    s.restart_max = milliseconds(400);
    s.stop_timeout = milliseconds(5000);
    return s;
  }
};

TEST_F(SupervisorWinTest, LaunchStartsTheCoprocessAndReturnsOnceItServesItsPipe) {
  Supervisor supervisor(settings());
  supervisor.start(false);
  EXPECT_EQ(supervisor.status().state, SupervisorState::stopped);
  const LaunchOutcome o = supervisor.launch(seconds(60));
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_TRUE(o.launched);
  EXPECT_EQ(o.generation, 1);
  auto client = connect();
  const rpc::Response hello = client->call("sys.hello", hello_params());
  ASSERT_FALSE(hello.error.has_value());
  EXPECT_EQ(map_get(hello.result, "pid")->as<std::int64_t>(), o.pid);
  EXPECT_EQ(map_get(hello.result, "generation")->as<std::int64_t>(), 1);
  supervisor.stop();
}

TEST_F(SupervisorWinTest, StopSetsTheStopEventAndTheCoprocessExitsCleanly) {
  Supervisor supervisor(settings());
  supervisor.start(true);
  const LaunchOutcome o = supervisor.launch(seconds(60));
  ASSERT_TRUE(o.ok) << o.error;
  const auto t0 = std::chrono::steady_clock::now();
  supervisor.stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  const SupervisorStatus s = supervisor.status();
  EXPECT_EQ(s.state, SupervisorState::stopped);
  EXPECT_EQ(s.last_exit_reason, "exited with status 0");
  EXPECT_LT(took, seconds(5)) << "a graceful stop needs no deadline";
  EXPECT_FALSE(process_alive(o.pid));
}

TEST_F(SupervisorWinTest, KilledCoprocessIsStartedAgainAsTheNextGeneration) {
  Supervisor supervisor(settings());
  supervisor.start(true);
  const LaunchOutcome first = supervisor.launch(seconds(60));
  ASSERT_TRUE(first.ok) << first.error;
  ASSERT_TRUE(terminate_process(static_cast<unsigned long>(first.pid))) << first.pid;
  ASSERT_TRUE(wait_until([&] {
    const SupervisorStatus s = supervisor.status();
    return s.state == SupervisorState::running && s.generation == 2;
  }, seconds(60)));
  const SupervisorStatus s = supervisor.status();
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(s.last_exit_reason, "exited with status 137");
  EXPECT_NE(s.pid, first.pid);
  auto client = connect();
  const rpc::Response hello = client->call("sys.hello", hello_params());
  ASSERT_FALSE(hello.error.has_value());
  EXPECT_EQ(map_get(hello.result, "generation")->as<std::int64_t>(), 2);
}

TEST_F(SupervisorWinTest, CoprocessThatNeverServesIsTerminatedAfterTheDeadlinesAndCountsAsACrashLoop) {
  SupervisorSettings s = settings();
  s.ready_pipe = pipe_path() + "-never";  // the co-process serves another name
  s.ready_timeout = milliseconds(1500);
  s.stop_timeout = milliseconds(0);
  s.crash_loop_threshold = 2;
  Supervisor supervisor(s);
  supervisor.start(false);
  const LaunchOutcome o = supervisor.launch(seconds(60));
  EXPECT_FALSE(o.ok);
  EXPECT_TRUE(o.unavailable);
  EXPECT_NE(o.error.find("did not report READY=1 within 1500 ms (then terminated by the service "
                         "(TerminateJobObject))"),
            std::string::npos)
      << o.error;
  ASSERT_TRUE(wait_until([&] { return supervisor.status().crash_loop; }, seconds(60)));
  supervisor.stop();
  EXPECT_FALSE(process_alive(supervisor.status().pid));
}

TEST_F(SupervisorWinTest, CoprocessThatCannotStartIsReportedWithItsExitStatus) {
  // A pipe name with a backslash is refused at start-up (exit status 2).
  SupervisorSettings s = settings();
  s.arguments = {"--set", R"(server.pipe_name=\\.\pipe\a\b)"};
  s.crash_loop_threshold = 3;
  Supervisor supervisor(s);
  supervisor.start(false);
  const LaunchOutcome o = supervisor.launch(seconds(60));
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.error.find("the co-process exited with status 2 before it was ready"),
            std::string::npos)
      << o.error;
  ASSERT_TRUE(wait_until([&] { return supervisor.status().crash_loop; }, seconds(60)));
  const SupervisorStatus st = supervisor.status();
  EXPECT_GE(st.consecutive_failures, 3);
  EXPECT_EQ(st.last_exit_status, 2);
}

TEST_F(SupervisorWinTest, MissingCoprocessBinaryFailsTheLaunchWithAClearError) {
  SupervisorSettings s = settings();
  s.coprocess_path = bin_path("coprocess/no-such-coprocess.exe");
  Supervisor supervisor(s);
  supervisor.start(false);
  const LaunchOutcome o = supervisor.launch(seconds(30));
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.error.find("cannot launch the co-process: cannot execute"), std::string::npos)
      << o.error;
}

// The control server on the control pipe: a client that finds no co-process
// asks for one (svc.launch) and its call succeeds; the client exiting does
// not end the co-process.
TEST_F(SupervisorWinTest, ClientCallLaunchesTheCoprocessThroughTheControlPipe) {
  Supervisor supervisor(settings());
  supervisor.start(false);
  Config config;
  ControlServer control(config, supervisor, ControlSettings{"test", milliseconds(60000)});
  auto pipe = std::make_shared<PipeEndpoint>();
  std::string error;
  ASSERT_TRUE(pipe->open(R"(\\.\pipe\)" + space() + "/control.sock",
                         config.str("server.pipe_sddl"), &error))
      << error;
  control.start(ListenTarget{pipe});

  std::int64_t pid = 0;
  {
    ClientOptions o;
    o.endpoint = endpoint();
    o.connect_timeout_ms = 60000;
    Client client(o);
    long long rtt = 0;
    const CallResult r = client.ping(&rtt);
    ASSERT_TRUE(r.ok()) << r.error_message;
    EXPECT_TRUE(client.server_info().launched);
    pid = client.server_info().pid;
  }
  EXPECT_TRUE(process_alive(pid)) << "the client went away, the co-process stays";
  EXPECT_EQ(supervisor.status().state, SupervisorState::running);
  control.stop_accepting();
  supervisor.stop();
  control.shutdown(milliseconds(1000));
  EXPECT_FALSE(process_alive(pid));
}

}  // namespace
}  // namespace coproc::test
