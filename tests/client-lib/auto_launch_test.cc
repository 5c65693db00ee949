// libcoproc with the real coproc-service and no co-process running: the
// first call gets the co-process launched and succeeds, and coprocctl shows
// both the service's and the co-process's state.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "coproc/client.hpp"
#include "service_fixture.h"

namespace coproc::test {
namespace {

class AutoLaunchTest : public ServiceFixture {
 protected:
  void SetUp() override { start_service(); }
  void restart_service(const std::vector<std::string>& extra_args) {
    service_.stop();
    start_service(extra_args);
  }

  std::int64_t service_reported_pid() { return status().pid; }

  /// A call through a fresh client with a 3 s connect deadline; the status
  /// must come well before the deadline.
  CallResult call_within_deadline(std::chrono::milliseconds* took) {
    ClientOptions o;
    o.endpoint = client_path();
    o.connect_timeout_ms = 3000;
    Client client(o);
    const auto t0 = std::chrono::steady_clock::now();
    CallResult r = client.call("sys.ping", "");
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  t0);
    return r;
  }
};

TEST_F(AutoLaunchTest, FirstCallWithOnlyTheServiceRunningGetsTheCoprocessLaunched) {
  ClientOptions o;
  o.endpoint = client_path();
  o.connect_timeout_ms = 20000;
  Client client(o);
  CallResult r = client.call("sys.ping", "");
  ASSERT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
  const ServerInfo info = client.server_info();
  EXPECT_GT(info.pid, 0);
  EXPECT_EQ(info.pid, service_reported_pid()) << "the service launched the co-process we talk to";
  EXPECT_NE(info.pid, service_.pid());
}

TEST_F(AutoLaunchTest, CoprocctlStatusShowsTheServiceAndTheCoprocess) {
  TestProcess::Options o;
  o.argv = {bin_path("coprocctl"), "--runtime-dir", runtime_dir(), "status"};
  o.output_path = dir_.file("coprocctl.out");
  TestProcess ctl(o);
  const int status = ctl.wait(std::chrono::seconds(60));
  const std::string out = read_file(o.output_path);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("service (" + control_path() + "):\n"), std::string::npos) << out;
  EXPECT_NE(out.find("coprocess (" + client_path() + "):\n"), std::string::npos) << out;
  EXPECT_NE(out.find("pid: " + std::to_string(service_reported_pid())), std::string::npos) << out;
}

// Issue 13 item 7: a launch that cannot succeed is reported with the
// service's reason, not as a bare "timeout: sys.hello ... no answer" when
// the connect deadline passes.
TEST_F(AutoLaunchTest, MissingCoprocessBinaryIsReportedWithTheServicesReason) {
  const std::string binary = write_script("coprocess-copy", "#!/bin/sh\nexit 0\n");
  restart_service({"--set", "service.coprocess_path=" + binary});
  ::unlink(binary.c_str());  // removed after start-up, e.g. by a broken upgrade
  std::chrono::milliseconds took{};
  const CallResult r = call_within_deadline(&took);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status, COPROC_E_UNAVAILABLE) << r.error_name << ": " << r.error_message;
  EXPECT_NE(r.error_message.find("cannot launch the co-process"), std::string::npos)
      << r.error_message;
  EXPECT_NE(r.error_message.find(binary), std::string::npos) << r.error_message;
  EXPECT_LT(took.count(), 2500) << r.error_message;
}

TEST_F(AutoLaunchTest, MissingServiceUserIsReportedWithTheServicesReason) {
  if (::geteuid() != 0) GTEST_FAIL() << "this test runs as root (the service changes user only then)";
  restart_service({"--set", "service.user=coproc-no-such-user"});
  std::chrono::milliseconds took{};
  const CallResult r = call_within_deadline(&took);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status, COPROC_E_UNAVAILABLE) << r.error_name << ": " << r.error_message;
  EXPECT_NE(r.error_message.find("coproc-no-such-user"), std::string::npos) << r.error_message;
  EXPECT_LT(took.count(), 2500) << r.error_message;
}

TEST_F(AutoLaunchTest, CrashLoopIsReportedWithTheServicesReason) {
  const std::string crasher = write_script("crasher", "#!/bin/sh\nexit 3\n");
  restart_service({"--set", "service.coprocess_path=" + crasher, "--set",
                   "service.restart_initial_ms=200", "--set", "service.restart_max_ms=20000"});
  control_call("svc.launch");  // the first failure; the supervisor goes on restarting
  ASSERT_TRUE(wait_until([&] { return status().crash_loop; }, std::chrono::seconds(20)));
  std::chrono::milliseconds took{};
  const CallResult r = call_within_deadline(&took);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status, COPROC_E_UNAVAILABLE) << r.error_name << ": " << r.error_message;
  EXPECT_NE(r.error_message.find("crash loop"), std::string::npos) << r.error_message;
  EXPECT_NE(r.error_message.find("exited with status 3"), std::string::npos) << r.error_message;
  EXPECT_LT(took.count(), 2500) << r.error_message;
}

}  // namespace
}  // namespace coproc::test
