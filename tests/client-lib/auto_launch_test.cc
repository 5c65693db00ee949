// libcoproc with the real coproc-service and no co-process running: the
// first call gets the co-process launched and succeeds, and coprocctl shows
// both the service's and the co-process's state.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "coproc/client.hpp"
#include "raw_client.h"
#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {
namespace {

class AutoLaunchTest : public ::testing::Test {
 protected:
  void SetUp() override { start_service({}); }
  void start_service(const std::vector<std::string>& extra_args) {
    ::mkdir(dir_.file("run").c_str(), 0755);
    ::mkdir(dir_.file("state").c_str(), 0755);
    TestProcess::Options o;
    o.argv = {bin_path("coproc-service"), "--runtime-dir", dir_.file("run"), "--state-dir",
              dir_.file("state"), "--config", "/dev/null", "--log-level", "debug", "--set",
              "service.user="};
    o.argv.insert(o.argv.end(), extra_args.begin(), extra_args.end());
    o.output_path = dir_.file("service.log");
    service_ = TestProcess(o);
    const bool up = wait_until(
        [&] {
          if (!service_.running()) return true;
          try {
            RawClient probe(control_path());
            return !probe.call("svc.status").error.has_value();
          } catch (const std::exception&) {
            return false;
          }
        },
        std::chrono::seconds(20));
    ASSERT_TRUE(up && service_.running()) << read_file(dir_.file("service.log"));
  }
  void restart_service(const std::vector<std::string>& extra_args) {
    service_.stop();
    start_service(extra_args);
  }
  void TearDown() override {
    service_.stop();
    if (HasFailure()) std::cerr << read_file(dir_.file("service.log"));
  }

  std::string control_path() const { return dir_.file("run") + "/control.sock"; }
  std::int64_t service_reported_pid() {
    RawClient c(control_path());
    rpc::Response r = c.call("svc.status");
    const msgpack::object* pid = r.error ? nullptr : map_get(r.result, "pid");
    return pid && pid->type == msgpack::type::POSITIVE_INTEGER ? pid->as<std::int64_t>() : -1;
  }

  /// A call through a fresh client with a 3 s connect deadline; the status
  /// must come well before the deadline.
  CallResult call_within_deadline(std::chrono::milliseconds* took) {
    ClientOptions o;
    o.endpoint = dir_.file("run") + "/coproc.sock";
    o.connect_timeout_ms = 3000;
    Client client(o);
    const auto t0 = std::chrono::steady_clock::now();
    CallResult r = client.call("sys.ping", "");
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  t0);
    return r;
  }

  TempDir dir_;
  TestProcess service_;
};

TEST_F(AutoLaunchTest, FirstCallWithOnlyTheServiceRunningGetsTheCoprocessLaunched) {
  ClientOptions o;
  o.endpoint = dir_.file("run") + "/coproc.sock";
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
  o.argv = {bin_path("coprocctl"), "--runtime-dir", dir_.file("run"), "status"};
  o.output_path = dir_.file("coprocctl.out");
  TestProcess ctl(o);
  const int status = ctl.wait(std::chrono::seconds(60));
  const std::string out = read_file(o.output_path);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("service (" + control_path() + "):\n"), std::string::npos) << out;
  EXPECT_NE(out.find("coprocess (" + dir_.file("run") + "/coproc.sock):\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("pid: " + std::to_string(service_reported_pid())), std::string::npos) << out;
}


// Issue 13 item 7: a launch that cannot succeed is reported with the
// service's reason, not as a bare "timeout: sys.hello ... no answer" when
// the connect deadline passes.
TEST_F(AutoLaunchTest, MissingCoprocessBinaryIsReportedWithTheServicesReason) {
  const std::string binary = dir_.file("coprocess-copy");
  write_file(binary, "#!/bin/sh\nexit 0\n");
  ::chmod(binary.c_str(), 0755);
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
  const std::string crasher = dir_.file("crasher");
  write_file(crasher, "#!/bin/sh\nexit 3\n");
  ::chmod(crasher.c_str(), 0755);
  restart_service({"--set", "service.coprocess_path=" + crasher, "--set",
                   "service.restart_initial_ms=200", "--set", "service.restart_max_ms=20000"});
  {
    RawClient c(control_path());
    c.call("svc.launch");  // the first failure; the supervisor goes on restarting
  }
  ASSERT_TRUE(wait_until(
      [&] {
        RawClient c(control_path());
        const rpc::Response st = c.call("svc.status");
        const msgpack::object* loop = st.error ? nullptr : map_get(st.result, "crash_loop");
        return loop && loop->type == msgpack::type::BOOLEAN && loop->via.boolean;
      },
      std::chrono::seconds(20)));
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
