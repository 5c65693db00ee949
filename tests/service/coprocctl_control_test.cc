// coprocctl restart and the service part of coprocctl status against the
// real coproc-service: they find the control endpoint by themselves, and a
// user the service refuses reads "permission denied", never "not running".
#include <sys/stat.h>
#include <sys/wait.h>

#include "coprocctl_run.h"
#include "service_fixture.h"
#include "test_users.h"

namespace coproc::test {
namespace {

class CoprocctlControlTest : public ServiceFixture {
 protected:
  // coprocctl --runtime-dir <the service's> ARGS, as `user` ("" = root).
  CtlRun coprocctl(const std::vector<std::string>& args, const std::string& user = "") {
    std::vector<std::string> prefix;
    if (!user.empty()) prefix = {"/usr/sbin/runuser", "-u", user, "--"};
    std::vector<std::string> all = {"--runtime-dir", runtime_dir()};
    all.insert(all.end(), args.begin(), args.end());
    return run_coprocctl(prefix, all, dir_.file("coprocctl." + std::to_string(++runs_) + ".out"));
  }
  // An ordinary user who can reach the temp dir.
  std::string ordinary_user() {
    ::chmod(dir_.path().c_str(), 0755);
    return ensure_user("coproc-t-bob").name;
  }
  int runs_ = 0;
};

TEST_F(CoprocctlControlTest, RestartGoesToTheControlEndpointAndReportsTheNewGeneration) {
  start_service();
  ASSERT_FALSE(control_call("svc.launch").error.has_value());
  const ServiceStatus before = status();
  const CtlRun r = coprocctl({"restart"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("restarted: co-process pid "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(", generation " + std::to_string(before.generation + 1)),
            std::string::npos)
      << r.output;
  EXPECT_EQ(status().generation, before.generation + 1);
}

TEST_F(CoprocctlControlTest, AnOrdinaryUserIsRefusedAsPermissionDenied) {
  const std::string bob = ordinary_user();
  start_service();
  ASSERT_FALSE(control_call("svc.launch").error.has_value());
  const ServiceStatus before = status();
  const CtlRun r = coprocctl({"restart"}, bob);
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_NE(r.output.find("coprocctl: restart: permission denied: svc.restart is for "
                          "administrators"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("not running"), std::string::npos) << r.output;
  EXPECT_EQ(status().generation, before.generation) << "restarted for an ordinary user";
}

TEST_F(CoprocctlControlTest, AUserTheSocketsKeepOutReadsPermissionDeniedFromStatusAndRestart) {
  const std::string bob = ordinary_user();
  start_service({"--set", "server.socket_mode=0660"});
  const CtlRun status_run = coprocctl({"status"}, bob);
  EXPECT_EQ(status_run.code, 6) << status_run.output;
  EXPECT_NE(status_run.output.find("service (" + control_path() + "): permission denied"),
            std::string::npos)
      << status_run.output;
  EXPECT_EQ(status_run.output.find("not running"), std::string::npos) << status_run.output;
  const CtlRun restart = coprocctl({"restart"}, bob);
  EXPECT_EQ(restart.code, 6) << restart.output;
  EXPECT_NE(restart.output.find("permission denied connecting to the service's control "
                                "endpoint " +
                                control_path()),
            std::string::npos)
      << restart.output;
}

TEST_F(CoprocctlControlTest, RestartWithoutAServiceSaysItIsNotRunning) {
  const CtlRun r = coprocctl({"restart"});
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("the coproc service is not running (" + control_path()),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace coproc::test
