// The service process as a whole: graceful stop, single instance, the lock
// shared with hand-started co-processes, and start-up errors.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <thread>

#include "notify_receiver.h"
#include "service_fixture.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ServiceAppTest : public ServiceFixture {
 protected:
  bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }
  /// svc.launch; the pid of the co-process it reports (-1 and a failure if none).
  pid_t launch() {
    const rpc::Response r = control_call("svc.launch");
    EXPECT_FALSE(r.error.has_value()) << r.error->message;
    return r.error ? -1 : static_cast<pid_t>(int_field(r.result, "pid"));
  }
  /// SIGTERM to the service: it exits 0 within 20 s and `coprocess` is gone.
  void terminate_service(pid_t coprocess) {
    service_.signal(SIGTERM);
    const int wstatus = service_.wait(seconds(20));
    ASSERT_NE(wstatus, -1) << "service did not stop";
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
    EXPECT_NE(::kill(coprocess, 0), 0) << "the co-process survived the service";
  }
};

TEST_F(ServiceAppTest, TermStopsTheCoprocessCleanlyAndRemovesTheSockets) {
  start_service();
  const pid_t coprocess = launch();
  ASSERT_GT(coprocess, 0);
  ASSERT_NO_FATAL_FAILURE(terminate_service(coprocess));
  const std::string text = log();
  EXPECT_NE(text.find("co-process pid=" + std::to_string(coprocess) +
                      " stopped (exited with status 0)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("SIGKILL"), std::string::npos) << "a clean stop needs no SIGKILL";
  EXPECT_FALSE(exists(control_path()));
  EXPECT_FALSE(exists(client_path()));
}

TEST_F(ServiceAppTest, CoprocessIgnoringTermIsKilledAfterTheStopTimeout) {
  const std::string script = write_script("stubborn", R"(#!/usr/bin/python3
import os, signal, socket, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
while True:
    time.sleep(1)
)");
  start_service({"--set", "service.coprocess_path=" + script, "--set",
                 "service.stop_timeout_ms=500"});
  const pid_t coprocess = launch();
  ASSERT_GT(coprocess, 0);
  ASSERT_NO_FATAL_FAILURE(terminate_service(coprocess));
  const std::string text = log();
  EXPECT_NE(text.find("still running 500 ms after SIGTERM; sending SIGKILL"), std::string::npos)
      << text;
  EXPECT_NE(text.find("stopped (killed by signal 9 (SIGKILL))"), std::string::npos) << text;
}

TEST_F(ServiceAppTest, SecondInstanceRefusesToStartAndTheFirstGoesOn) {
  start_service();
  TestProcess second = spawn_service({}, dir_.file("second.log"));
  const int wstatus = second.wait(seconds(20));
  ASSERT_NE(wstatus, -1) << "second instance kept running";
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0);
  const std::string text = read_file(dir_.file("second.log"));
  EXPECT_NE(text.find("cannot start: another instance is already running (pid " +
                      std::to_string(service_.pid()) + ")"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("service.lock is locked"), std::string::npos) << text;
  EXPECT_FALSE(control_call("svc.launch").error.has_value());
}

TEST_F(ServiceAppTest, HandStartedCoprocessIsRefusedWhileTheServicesCoprocessRuns) {
  start_service();
  ASSERT_FALSE(control_call("svc.launch").error.has_value());
  TestProcess::Options o;
  o.argv = {bin_path("coprocess"), "--runtime-dir", runtime_dir(), "--state-dir", state_dir(),
            "--config", "/dev/null"};
  o.output_path = dir_.file("hand.log");
  TestProcess hand(o);
  const int wstatus = hand.wait(seconds(20));
  ASSERT_NE(wstatus, -1) << "hand-started co-process kept running";
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0);
  EXPECT_NE(read_file(dir_.file("hand.log")).find("another instance is already running"),
            std::string::npos)
      << read_file(dir_.file("hand.log"));
  RawClient client(client_path());
  EXPECT_FALSE(client.call("sys.ping").error.has_value());
}

TEST_F(ServiceAppTest, ServiceRefusesToStartWhileAHandStartedCoprocessServes) {
  ::mkdir(runtime_dir().c_str(), 0755);
  ::mkdir(state_dir().c_str(), 0755);
  TestProcess::Options o;
  o.argv = {bin_path("coprocess"), "--runtime-dir", runtime_dir(), "--state-dir", state_dir(),
            "--config", "/dev/null"};
  o.output_path = dir_.file("hand.log");
  TestProcess hand(o);
  ASSERT_TRUE(wait_until(
      [&] {
        try {
          RawClient probe(client_path());
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      seconds(20)));
  TestProcess service = spawn_service({}, log_path());
  const int wstatus = service.wait(seconds(20));
  ASSERT_NE(wstatus, -1) << "service started although a co-process serves the socket";
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0);
  EXPECT_NE(log().find("cannot start: another process is listening on " + client_path()),
            std::string::npos)
      << log();
  RawClient client(client_path());
  EXPECT_FALSE(client.call("sys.ping").error.has_value()) << "the hand-started one was disturbed";
}

TEST_F(ServiceAppTest, BadStartModeStopsStartUpWithAClearMessage) {
  TestProcess service = spawn_service({"--set", "service.start=sometimes"}, log_path());
  const int wstatus = service.wait(seconds(20));
  ASSERT_NE(wstatus, -1);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0);
  EXPECT_NE(log().find("service.start must be on_demand or at_start, not 'sometimes'"),
            std::string::npos)
      << log();
}

TEST_F(ServiceAppTest, UnknownOptionInSetStopsStartUpWithAClearMessage) {
  TestProcess service = spawn_service({"--set", "service.nonsense=1"}, log_path());
  const int wstatus = service.wait(seconds(20));
  ASSERT_NE(wstatus, -1);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0);
  EXPECT_NE(log().find("service.nonsense"), std::string::npos) << log();
}

TEST_F(ServiceAppTest, MalformedCommandLinesAreRefusedWithAClearMessage) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{bin_path("coproc-service"), "--bogus"}, "Unknown option specified: bogus"},
      {{bin_path("coproc-service"), "--runtime-dir"}, "runtime-dir requires DIR"},
      {{bin_path("coproc-service"), "stray"}, "unexpected argument 'stray'"},
  };
  int i = 0;
  for (const auto& [argv, message] : cases) {
    TestProcess::Options o;
    o.argv = argv;
    o.output_path = dir_.file("cmdline" + std::to_string(i++) + ".log");
    TestProcess p(o);
    const int wstatus = p.wait(seconds(20));
    ASSERT_NE(wstatus, -1);
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) << argv.back();
    EXPECT_NE(read_file(o.output_path).find(message), std::string::npos)
        << read_file(o.output_path);
  }
}

TEST_F(ServiceAppTest, ServiceReportsReadyWatchdogAndStoppingToSystemd) {
  // Stand in for systemd's notify socket (Type=notify, WatchdogSec=).
  NotifyReceiver systemd;
  std::string error;
  ASSERT_TRUE(systemd.open(dir_.file("systemd.sock"), static_cast<uid_t>(-1), &error)) << error;
  TestProcess service = spawn_service(
      {}, log_path(), {"NOTIFY_SOCKET=" + systemd.path(), "WATCHDOG_USEC=200000"});
  std::vector<std::string> seen;
  auto collect = [&] {
    systemd.drain([&](pid_t sender, std::string_view text) {
      if (sender == service.pid()) seen.emplace_back(text);
    });
  };
  auto saw = [&](const std::string& what) {
    collect();
    for (const auto& m : seen) {
      if (m.find(what) != std::string::npos) return true;
    }
    return false;
  };
  ASSERT_TRUE(wait_until([&] { return saw("READY=1"); }, seconds(20))) << log();
  // READY=1 comes once the control endpoint listens.
  EXPECT_FALSE(control_call("svc.status").error.has_value());
  EXPECT_TRUE(wait_until([&] { return saw("WATCHDOG=1"); }, seconds(20)));
  service.signal(SIGTERM);
  // Read before reaping: the kernel reports a reaped sender's pid as 0.
  EXPECT_TRUE(wait_until([&] { return saw("STOPPING=1"); }, seconds(20)));
  EXPECT_NE(service.wait(seconds(20)), -1);
}

TEST_F(ServiceAppTest, UnsafeRuntimeDirStopsStartUp) {
  ::mkdir(runtime_dir().c_str(), 0755);
  ::chmod(runtime_dir().c_str(), 0777);  // any user could replace the sockets
  TestProcess p = spawn_service({}, log_path());
  const int wstatus = p.wait(seconds(20));
  ASSERT_NE(wstatus, -1);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) << wstatus;
  EXPECT_NE(log().find("unsafe runtime dir"), std::string::npos) << log();
  EXPECT_NE(log().find("writable by group or others (mode 0777)"), std::string::npos) << log();
  EXPECT_FALSE(exists(control_path()));
}

TEST_F(ServiceAppTest, AtStartLaunchesTheCoprocessWithoutAnyClient) {
  start_service({"--set", "service.start=at_start"});
  ASSERT_TRUE(wait_until([&] { return status().state == "running"; }, seconds(20))) << log();
  EXPECT_EQ(status().generation, 1);
}

// Issue 18: the control endpoint was served before the supervisor ran, and
// a svc.launch in that window got "unavailable: the service is stopping".
// A large outbox (the service scans it at start) widens the window; the
// first request, sent as soon as the control socket exists, must wait for
// start-up and get the real answer.
TEST_F(ServiceAppTest, ARequestArrivingDuringStartUpWaitsForItAndGetsTheRealAnswer) {
  // In memory (tmpfs): creating the files on a busy disk takes minutes.
  struct MemoryDir {
    std::string path = "/dev/shm/coproc-startup.XXXXXX";
    MemoryDir() { EXPECT_NE(::mkdtemp(path.data()), nullptr); }
    ~MemoryDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } state;
  ASSERT_EQ(::symlink(state.path.c_str(), state_dir().c_str()), 0);
  const std::string outbox = state_dir() + "/outbox";
  ASSERT_EQ(::mkdir(outbox.c_str(), 0700), 0);
  for (int i = 0; i < 40000; ++i) {  // not mail: the scan reads every name
    const std::string name = outbox + "/n" + std::to_string(i);
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  std::optional<rpc::Response> first;
  std::string failure;
  std::thread early([&] {
    const auto give_up = std::chrono::steady_clock::now() + seconds(20);
    while (std::chrono::steady_clock::now() < give_up) {
      try {
        RawClient c(control_path());
        first = c.call("svc.launch", rpc::empty_params(), seconds(30));
        return;
      } catch (const std::exception& e) {
        failure = e.what();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
  });
  service_ = spawn_service({}, log_path());
  early.join();
  ASSERT_TRUE(first.has_value()) << failure << "\n" << log();
  EXPECT_FALSE(first->error.has_value()) << first->error->message << "\n" << log();
}

}  // namespace
}  // namespace coproc::test
