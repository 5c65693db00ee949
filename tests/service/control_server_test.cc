// The control endpoint: svc.launch on demand and under a race, svc.restart
// for admins only, sys.hello, and clear errors for malformed calls.
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "catalogue.h"
#include "methods.h"
#include "service_fixture.h"
#include "sys_messages.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Processes whose parent is `parent` (from /proc).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    std::getline(in, line);
    const auto close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    char state;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close_paren + 1, " %c %d", &state, &ppid) == 2 &&
        ppid == parent && state != 'Z') {
      out.push_back(pid);
    }
  }
  ::closedir(d);
  return out;
}

class ControlServerTest : public ServiceFixture {};

TEST_F(ControlServerTest, ControlEndpointAnnouncesExactlyTheCataloguedMethods) {
  start_service();
  const rpc::Response r = control_call(std::string(rpc::method::kHello), hello_params());
  ASSERT_FALSE(r.error.has_value()) << r.error->message;
  const auto hello = r.result.as<rpc::HelloResult>();
  const std::set<std::string> announced(hello.methods.begin(), hello.methods.end());
  const Catalogue c = load_catalogue(catalogue_path(rpc::kProtocolLevel));
  EXPECT_EQ(announced, catalogued_methods(c, "service"));
}

TEST_F(ControlServerTest, FirstLaunchStartsTheCoprocessAndItsClientsAreServed) {
  start_service();
  const ServiceStatus before = status();
  EXPECT_EQ(before.state, "stopped");
  EXPECT_EQ(before.pid, 0);
  EXPECT_EQ(before.generation, 0);

  const rpc::Response r = control_call("svc.launch");
  ASSERT_FALSE(r.error.has_value()) << r.error->message;
  const std::int64_t pid = int_field(r.result, "pid");
  EXPECT_GT(pid, 0);
  EXPECT_EQ(int_field(r.result, "generation"), 1);
  EXPECT_TRUE(bool_field(r.result, "launched"));
  std::cout << "[ launch   ] svc.launch answered after " << int_field(r.result, "waited_ms")
            << " ms; co-process ready " << int_field(r.result, "launch_ms")
            << " ms after spawn\n";
  RecordProperty("launch_ms", static_cast<int>(int_field(r.result, "launch_ms")));

  RawClient client(client_path());
  const rpc::Response hello = client.call("sys.hello", hello_params());
  ASSERT_FALSE(hello.error.has_value()) << hello.error->message;
  EXPECT_EQ(int_field(hello.result, "pid"), pid);
  EXPECT_EQ(int_field(hello.result, "generation"), 1);

  const rpc::Response again = control_call("svc.launch");
  ASSERT_FALSE(again.error.has_value());
  EXPECT_FALSE(bool_field(again.result, "launched"));
  EXPECT_EQ(int_field(again.result, "pid"), pid);
  EXPECT_EQ(status().state, "running");
}

TEST_F(ControlServerTest, HundredSimultaneousLaunchesStartExactlyOneCoprocess) {
  start_service();
  constexpr int kClients = 100;
  std::mutex mu;
  std::condition_variable gate;
  bool go = false;
  int connected = 0;
  std::atomic<int> launched{0}, pinged{0}, failures{0};
  std::set<std::int64_t> pids, generations;
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      try {
        RawClient control(control_path());
        {
          std::unique_lock<std::mutex> lk(mu);
          ++connected;
          gate.notify_all();
          gate.wait(lk, [&] { return go; });
        }
        const rpc::Response r = control.call("svc.launch", rpc::empty_params(), seconds(60));
        if (r.error) {
          ++failures;
          return;
        }
        {
          std::lock_guard<std::mutex> lk(mu);
          pids.insert(int_field(r.result, "pid"));
          generations.insert(int_field(r.result, "generation"));
        }
        if (bool_field(r.result, "launched")) ++launched;
        RawClient client(client_path());
        if (!client.call("sys.ping", rpc::empty_params(), seconds(30)).error) ++pinged;
      } catch (const std::exception& e) {
        ++failures;
        std::lock_guard<std::mutex> lk(mu);
        std::cerr << "client failed: " << e.what() << "\n";
      }
    });
  }
  {
    std::unique_lock<std::mutex> lk(mu);
    gate.wait_for(lk, seconds(30), [&] { return connected == kClients; });
    go = true;
    gate.notify_all();
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(pinged.load(), kClients);
  EXPECT_EQ(launched.load(), 1);
  EXPECT_EQ(pids.size(), 1u);
  EXPECT_EQ(generations, std::set<std::int64_t>{1});
  const ServiceStatus s = status();
  EXPECT_EQ(s.generation, 1);
  EXPECT_EQ(s.restarts, 0);
  const std::vector<pid_t> children = children_of(service_.pid());
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0], s.pid);
}

TEST_F(ControlServerTest, ControlEndpointAnswersHelloAsTheService) {
  start_service();
  const rpc::Response r = control_call("sys.hello", hello_params());
  ASSERT_FALSE(r.error.has_value()) << r.error->message;
  EXPECT_EQ(str_field(r.result, "server"), "coproc-service");
  EXPECT_EQ(int_field(r.result, "pid"), service_.pid());
}

TEST_F(ControlServerTest, RestartIsRefusedToOrdinaryUsersAndDoneForRoot) {
  start_service();
  const rpc::Response first = control_call("svc.launch");
  ASSERT_FALSE(first.error.has_value()) << first.error->message;
  const std::int64_t old_pid = int_field(first.result, "pid");

  // An ordinary user (nobody) asks for a restart.
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(report[0]);
    std::string answer = "setuid failed";
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
      try {
        RawClient c(control_path());
        const rpc::Response r = c.call("svc.restart");
        answer = r.error ? r.error->name + ": " + r.error->message : "ok";
        const rpc::Response st = c.call("svc.status");
        answer += st.error ? " | status refused" : " | status ok";
      } catch (const std::exception& e) {
        answer = e.what();
      }
    }
    [[maybe_unused]] ssize_t n = ::write(report[1], answer.data(), answer.size());
    ::_exit(0);
  }
  ::close(report[1]);
  std::string answer;
  char buf[512];
  ssize_t n;
  while ((n = ::read(report[0], buf, sizeof buf)) > 0) answer.append(buf, static_cast<std::size_t>(n));
  ::close(report[0]);
  int wstatus = 0;
  ::waitpid(child, &wstatus, 0);
  EXPECT_EQ(answer.rfind("permission_denied: svc.restart is for administrators", 0), 0u) << answer;
  EXPECT_NE(answer.find("uid 65534"), std::string::npos) << answer;
  EXPECT_NE(answer.find("| status ok"), std::string::npos) << answer;
  EXPECT_EQ(status().pid, old_pid) << "a refused restart must not touch the co-process";

  // Root may.
  const rpc::Response r = control_call("svc.restart");
  ASSERT_FALSE(r.error.has_value()) << r.error->message;
  const std::int64_t new_pid = int_field(r.result, "pid");
  EXPECT_NE(new_pid, old_pid);
  EXPECT_EQ(int_field(r.result, "generation"), 2);
  EXPECT_NE(::kill(static_cast<pid_t>(old_pid), 0), 0) << "old generation still alive";
  RawClient client(client_path());
  const rpc::Response hello = client.call("sys.hello", hello_params());
  ASSERT_FALSE(hello.error.has_value());
  EXPECT_EQ(int_field(hello.result, "pid"), new_pid);
  EXPECT_EQ(int_field(hello.result, "generation"), 2);
  EXPECT_NE(log().find("stopped for restart (exited with status 0)"), std::string::npos);
}

TEST_F(ControlServerTest, MalformedControlCallsGetClearErrorsAndTheServiceGoesOn) {
  start_service();
  rpc::Response r = control_call("svc.launch", string_params({{"bogus", "1"}}));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->name, "bad_request");
  EXPECT_NE(r.error->message.find("bogus"), std::string::npos) << r.error->message;

  r = control_call("svc.launch", string_params({{"timeout_ms", "soon"}}));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->name, "bad_request");
  EXPECT_NE(r.error->message.find("timeout_ms"), std::string::npos) << r.error->message;

  r = control_call("svc.explode");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->name, "not_found");

  EXPECT_EQ(status().state, "stopped") << "no malformed call may launch anything";
  r = control_call("svc.launch");
  EXPECT_FALSE(r.error.has_value());
}

}  // namespace
}  // namespace coproc::test
