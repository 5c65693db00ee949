// coprocctl against the real coprocess: output and exit codes
// (0 ok, 1 remote error, 2 usage, 3 not running, 4 timeout, 6 permission).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coprocctl_run.h"
#include "coprocess_fixture.h"

namespace coproc::test {
namespace {

class CoprocctlTest : public CoprocessFixture {
 protected:
  CtlRun coprocctl(std::vector<std::string> args, const std::vector<std::string>& prefix = {}) {
    return run_coprocctl(prefix, args, dir_.file("coprocctl." + std::to_string(++runs_) + ".out"));
  }
  std::vector<std::string> at(std::vector<std::string> args) {
    args.insert(args.begin(), {"--runtime-dir", runtime_dir()});
    return args;
  }
  int runs_ = 0;
};

bool has(const CtlRun& r, const std::string& text) {
  return r.output.find(text) != std::string::npos;
}

TEST_F(CoprocctlTest, PingPrintsALatencySummary) {
  start_coprocess();
  CtlRun r = coprocctl(at({"ping", "-c", "20"}));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(has(r, "20 pings to " + socket_path())) << r.output;
  for (const char* part : {"min ", "p50 ", "p99 ", "max "}) EXPECT_TRUE(has(r, part)) << r.output;
  CtlRun j = coprocctl(at({"--json", "ping", "-c", "3"}));
  EXPECT_EQ(j.code, 0);
  EXPECT_TRUE(has(j, "{\"count\":3,\"min_us\":")) << j.output;
}

TEST_F(CoprocctlTest, CallPrintsTheJsonResult) {
  start_coprocess();
  CtlRun r = coprocctl(at({"call", "sys.hello", "{\"protocol\": 1, \"client\": \"t\"}"}));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(has(r, "\"protocol\":1")) << r.output;
  EXPECT_TRUE(has(r, "\"pid\":" + std::to_string(coprocess_.pid()))) << r.output;
}

TEST_F(CoprocctlTest, StatusShowsTheCoprocessAndSaysTheServiceIsNotRunning) {
  start_coprocess();
  CtlRun r = coprocctl(at({"status"}));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(has(r, "pid: " + std::to_string(coprocess_.pid()))) << r.output;
  EXPECT_TRUE(has(r, "requests_total: ")) << r.output;
  EXPECT_TRUE(has(r, "/control.sock): not running")) << r.output;
  CtlRun j = coprocctl(at({"--json", "status"}));
  EXPECT_EQ(j.code, 0);
  EXPECT_TRUE(has(j, "{\"coprocess\":{")) << j.output;
  EXPECT_TRUE(has(j, "\"service\":null")) << j.output;
}

TEST_F(CoprocctlTest, RemoteErrorExitsOneWithTheErrorName) {
  start_coprocess();
  CtlRun r = coprocctl(at({"call", "no.such_method"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r, "not_found: unknown method 'no.such_method'")) << r.output;
}

TEST_F(CoprocctlTest, UsageErrorsExitTwo) {
  start_coprocess();
  EXPECT_EQ(coprocctl(at({"call", "sys.ping", "{bad json"})).code, 2);
  EXPECT_EQ(coprocctl(at({"frobnicate"})).code, 2);
  EXPECT_EQ(coprocctl(at({"ping", "-c", "zero"})).code, 2);
  EXPECT_EQ(coprocctl({"--timeout", "soon", "ping"}).code, 2);
  EXPECT_EQ(coprocctl({}).code, 2);
  CtlRun bad = coprocctl(at({"call", "sys.ping", "[1,"}));
  EXPECT_TRUE(has(bad, "json: invalid JSON at byte 3: unexpected end of input")) << bad.output;
}

TEST_F(CoprocctlTest, EverySubcommandAnswersHelpWithoutConnecting) {
  // No co-process and --no-launch: help must not need one. `call --help`
  // used to call a method named "--help".
  for (const char* command : {"call", "http", "mail", "ping", "status"}) {
    for (const char* flag : {"--help", "-h"}) {
      CtlRun r = coprocctl(at({"--no-launch", command, flag}));
      EXPECT_EQ(r.code, 0) << command << " " << flag << ": " << r.output;
      EXPECT_TRUE(has(r, "usage: ")) << command << ": " << r.output;
      EXPECT_TRUE(has(r, command)) << r.output;
    }
  }
  CtlRun sub = coprocctl(at({"--no-launch", "mail", "send", "--help"}));
  EXPECT_EQ(sub.code, 0) << sub.output;
  EXPECT_TRUE(has(sub, "mail send --from ADDR")) << sub.output;
}

TEST_F(CoprocctlTest, JsonMeansTheSameBeforeOrAfterTheCommandAndForErrors) {
  start_coprocess();
  CtlRun before = coprocctl(at({"--json", "ping", "-c", "2"}));
  CtlRun after = coprocctl(at({"ping", "-c", "2", "--json"}));
  EXPECT_EQ(after.code, 0) << after.output;
  EXPECT_TRUE(has(before, "{\"count\":2,")) << before.output;
  EXPECT_TRUE(has(after, "{\"count\":2,")) << after.output;
  CtlRun status = coprocctl(at({"status", "--json"}));
  EXPECT_EQ(status.code, 0) << status.output;
  EXPECT_TRUE(has(status, "{\"coprocess\":{")) << status.output;
  CtlRun error = coprocctl(at({"--json", "call", "no.such_method"}));
  EXPECT_EQ(error.code, 1);
  EXPECT_TRUE(has(error, "{\"error\":{\"name\":\"not_found\",\"message\":\"no.such_method: "
                         "unknown method 'no.such_method'\"}}"))
      << error.output;
  CtlRun usage = coprocctl(at({"--json", "ping", "-c", "zero"}));
  EXPECT_EQ(usage.code, 2);
  EXPECT_TRUE(has(usage, "{\"error\":{\"name\":\"usage\",")) << usage.output;
}

TEST_F(CoprocctlTest, NotRunningExitsThreeWithAClearMessage) {
  CtlRun off = coprocctl(at({"--no-launch", "ping"}));
  EXPECT_EQ(off.code, 3);
  EXPECT_TRUE(has(off, "not_running: the co-process is not running")) << off.output;
  CtlRun on = coprocctl(at({"ping"}));
  EXPECT_EQ(on.code, 3);
  EXPECT_TRUE(has(on, "service_not_running:")) << on.output;
  EXPECT_TRUE(has(on, "the coproc service that launches it is not running either")) << on.output;
}

TEST_F(CoprocctlTest, TimeoutExitsFour) {
  start_coprocess({"--set", "debug.methods=true"});
  CtlRun r = coprocctl(at({"--timeout", "200", "call", "debug.sleep", "{\"ms\": 5000}"}));
  EXPECT_EQ(r.code, 4) << r.output;
  EXPECT_TRUE(has(r, "timeout: no answer to debug.sleep within 200 ms")) << r.output;
}

TEST_F(CoprocctlTest, PermissionDeniedExitsSix) {
  start_coprocess();
  ::chmod(dir_.path().c_str(), 0755);
  ::chmod(runtime_dir().c_str(), 0755);
  ASSERT_EQ(::chmod(socket_path().c_str(), 0600), 0);
  // Root passes any file mode: as root, run coprocctl as nobody.
  std::vector<std::string> as_other_user;
  if (::getuid() == 0) {
    as_other_user = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  }
  CtlRun r = coprocctl(at({"ping"}), as_other_user);
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_TRUE(has(r, "permission_denied: permission denied connecting to")) << r.output;
}

}  // namespace
}  // namespace coproc::test
