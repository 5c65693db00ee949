// libcoproc with the real coproc-service and no co-process running: the
// first call gets the co-process launched and succeeds, and coprocctl shows
// both the service's and the co-process's state.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "coproc/client.hpp"
#include "raw_client.h"
#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {
namespace {

class AutoLaunchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.file("run").c_str(), 0755);
    ::mkdir(dir_.file("state").c_str(), 0755);
    TestProcess::Options o;
    o.argv = {bin_path("coproc-service"), "--runtime-dir", dir_.file("run"), "--state-dir",
              dir_.file("state"), "--config", "/dev/null", "--log-level", "debug", "--set",
              "service.user="};
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

}  // namespace
}  // namespace coproc::test
