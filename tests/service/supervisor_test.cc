// Supervision through the real service: restarts after kill -9 with no
// refused connection, crash loops with growing backoff, readiness deadline,
// launch by a waiting connection, and the unprivileged user.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <regex>
#include <thread>

#include "service_fixture.h"

namespace coproc::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A fake co-process that reports READY=1 and then ignores SIGTERM.
constexpr const char* kStubbornCoprocess = R"(#!/usr/bin/python3
import os, signal, socket, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
print("stubborn co-process ready", flush=True)
while True:
    time.sleep(1)
)";

class SupervisorTest : public ServiceFixture {};

TEST_F(SupervisorTest, KilledCoprocessIsRestartedWhileClientsNeverSeeARefusal) {
  start_service();
  const rpc::Response first = control_call("svc.launch");
  ASSERT_FALSE(first.error.has_value()) << first.error->message;
  const pid_t old_pid = static_cast<pid_t>(int_field(first.result, "pid"));

  constexpr int kClients = 20;
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0}, other_connect_errors{0}, lost_calls{0};
  std::atomic<int> answered_by_new{0};
  std::atomic<std::int64_t> killed_at_ns{0};
  std::atomic<std::int64_t> first_new_answer_ns{INT64_MAX};
  std::vector<int> new_answers(kClients, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<RawClient> c;
      while (!stop) {
        if (!c) {
          try {
            c = std::make_unique<RawClient>(client_path());
          } catch (const std::exception& e) {
            if (std::string(e.what()).find("Connection refused") != std::string::npos) {
              ++refused;
            } else {
              ++other_connect_errors;
            }
            std::this_thread::sleep_for(milliseconds(5));
            continue;
          }
        }
        try {
          // Idempotent call, retried on a fresh connection until it succeeds.
          const rpc::Response r = c->call("sys.hello", hello_params("t"), seconds(30));
          if (r.error) {
            ++lost_calls;
            c.reset();
            continue;
          }
          if (int_field(r.result, "generation") == 2) {
            const std::int64_t now = Clock::now().time_since_epoch().count();
            std::int64_t cur = first_new_answer_ns.load();
            while (now < cur && !first_new_answer_ns.compare_exchange_weak(cur, now)) {
            }
            if (new_answers[static_cast<std::size_t>(i)]++ == 0) ++answered_by_new;
          }
        } catch (const std::exception&) {
          ++lost_calls;  // connection broken by the kill: reconnect and retry
          c.reset();
        }
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(300));
  killed_at_ns = Clock::now().time_since_epoch().count();
  ASSERT_EQ(::kill(old_pid, SIGKILL), 0);
  const bool all_served = wait_until([&] { return answered_by_new.load() == kClients; }, seconds(30));
  stop = true;
  for (auto& t : threads) t.join();

  EXPECT_TRUE(all_served) << answered_by_new.load() << " of " << kClients
                          << " clients got an answer from the new generation";
  EXPECT_EQ(refused.load(), 0) << "clients saw ECONNREFUSED during the restart";
  EXPECT_EQ(other_connect_errors.load(), 0);
  const double gap_ms = static_cast<double>(first_new_answer_ns.load() - killed_at_ns.load()) / 1e6;
  std::cout << "[ restart  ] kill -9 -> first answer from generation 2: " << gap_ms
            << " ms; ECONNREFUSED seen: " << refused.load()
            << "; calls retried after the kill: " << lost_calls.load() << "\n";
  const ServiceStatus s = status();
  EXPECT_EQ(s.state, "running");
  EXPECT_EQ(s.generation, 2);
  EXPECT_EQ(s.restarts, 1);
  EXPECT_NE(s.pid, old_pid);
  EXPECT_EQ(s.last_exit_reason, "killed by signal 9 (SIGKILL)");
}

TEST_F(SupervisorTest, CoprocessExitingAtOnceMakesACrashLoopWithGrowingBackoff) {
  const std::string script = write_script("crasher", "#!/bin/sh\necho crasher starting >&2\nexit 3\n");
  start_service({"--set", "service.coprocess_path=" + script, "--set",
                 "service.restart_initial_ms=20", "--set", "service.restart_max_ms=400"});
  const rpc::Response r = control_call("svc.launch");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->name, "unavailable");
  EXPECT_NE(r.error->message.find("exited with status 3 before it was ready"), std::string::npos)
      << r.error->message;

  ASSERT_TRUE(wait_until([&] { return status().consecutive_failures >= 7; }, seconds(30)));
  const ServiceStatus s = status();
  EXPECT_TRUE(s.crash_loop);
  EXPECT_EQ(s.last_exit_reason, "exited with status 3");
  EXPECT_GE(s.restarts, 6);
  // The service itself stays healthy.
  const rpc::Response ping = control_call("sys.ping");
  EXPECT_FALSE(ping.error.has_value());

  // The delays in the log double from 20 ms up to the 400 ms cap.
  std::vector<long> delays;
  const std::string text = log();
  const std::regex re("restarting in ([0-9]+) ms");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    delays.push_back(std::stol((*it)[1]));
  }
  ASSERT_GE(delays.size(), 6u) << text;
  EXPECT_EQ(std::vector<long>(delays.begin(), delays.begin() + 6),
            (std::vector<long>{20, 40, 80, 160, 320, 400}));
  EXPECT_NE(text.find("crash loop: "), std::string::npos);
  // The child's stderr reaches the service's log, prefixed with its pid.
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(coprocess: \[pid [0-9]+\] crasher starting)")))
      << "child's stderr not forwarded";
}

TEST_F(SupervisorTest, CoprocessThatNeverReportsReadyIsStoppedAndTheLaunchFails) {
  const std::string script = write_script("silent", "#!/bin/sh\nexec sleep 60\n");
  start_service({"--set", "service.coprocess_path=" + script, "--set",
                 "service.ready_timeout_ms=300", "--set", "service.restart_initial_ms=5000"});
  const rpc::Response r = control_call("svc.launch");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->name, "unavailable");
  EXPECT_NE(r.error->message.find("did not report READY=1 within 300 ms"), std::string::npos)
      << r.error->message;
  const ServiceStatus s = status();
  EXPECT_EQ(s.state, "backoff");
  EXPECT_EQ(s.pid, 0);
  EXPECT_EQ(s.consecutive_failures, 1);
}

TEST_F(SupervisorTest, AClientWaitingOnTheSocketLaunchesTheCoprocess) {
  start_service();
  ASSERT_EQ(status().state, "stopped");
  RawClient client(client_path());  // accepted into the backlog, no co-process yet
  const rpc::Response r = client.call("sys.ping", rpc::empty_params(), seconds(30));
  ASSERT_FALSE(r.error.has_value()) << r.error->message;
  // The co-process serves the handed-over socket a moment before its
  // READY=1 reaches the supervisor.
  EXPECT_TRUE(wait_until([&] { return status().state == "running"; }, seconds(10)));
  EXPECT_EQ(status().generation, 1);
}

TEST_F(SupervisorTest, CoprocessRunsAsTheServiceUserWhenTheServiceIsRoot) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root";
  start_service({"--set", "service.user=nobody"});
  const rpc::Response r = control_call("svc.launch");
  ASSERT_FALSE(r.error.has_value()) << r.error->message;
  std::ifstream in("/proc/" + std::to_string(int_field(r.result, "pid")) + "/status");
  std::string line, uid_line, gid_line;
  while (std::getline(in, line)) {
    if (line.rfind("Uid:", 0) == 0) uid_line = line;
    if (line.rfind("Gid:", 0) == 0) gid_line = line;
  }
  EXPECT_EQ(uid_line, "Uid:\t65534\t65534\t65534\t65534");
  EXPECT_EQ(gid_line, "Gid:\t65534\t65534\t65534\t65534");
  RawClient client(client_path());
  EXPECT_FALSE(client.call("sys.ping").error.has_value());
}

TEST_F(SupervisorTest, MissingServiceUserMakesLaunchUnavailableWithAClearError) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root";
  start_service({"--set", "service.user=no-such-user-coproc"});
  const rpc::Response r = control_call("svc.launch");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->name, "unavailable");
  EXPECT_NE(r.error->message.find("user 'no-such-user-coproc' does not exist"), std::string::npos)
      << r.error->message;
  EXPECT_EQ(status().state, "stopped");
  EXPECT_NE(log().find("user 'no-such-user-coproc' does not exist"), std::string::npos);
}

TEST_F(SupervisorTest, CoprocessIgnoringTermIsKilledAfterTheStopTimeoutOnRestart) {
  const std::string script = write_script("stubborn", kStubbornCoprocess);
  start_service({"--set", "service.coprocess_path=" + script, "--set",
                 "service.stop_timeout_ms=300"});
  const rpc::Response first = control_call("svc.launch");
  ASSERT_FALSE(first.error.has_value()) << first.error->message;
  const rpc::Response r = control_call("svc.restart");
  ASSERT_FALSE(r.error.has_value()) << r.error->message;
  EXPECT_EQ(int_field(r.result, "generation"), 2);
  EXPECT_NE(::kill(static_cast<pid_t>(int_field(first.result, "pid")), 0), 0);
  EXPECT_NE(log().find("still running 300 ms after SIGTERM; sending SIGKILL"), std::string::npos);
  EXPECT_NE(log().find("stopped for restart (killed by signal 9 (SIGKILL))"), std::string::npos);
}

}  // namespace
}  // namespace coproc::test
