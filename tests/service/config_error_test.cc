// A bad configuration while systemd holds the sockets (coproc.socket): the
// real coproc-service, started the way systemd starts it (listening sockets
// as fds 3 and 4, LISTEN_PID/LISTEN_FDS), answers clients with the error at
// once instead of leaving them in the backlog until their deadline.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>

#include "service_fixture.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

class ConfigErrorTest : public ServiceFixture {
 protected:
  /// coproc-service with `config`, handed its two sockets like systemd does.
  void start_socket_activated(const std::string& config) {
    ::mkdir(runtime_dir().c_str(), 0755);
    const std::string activate = write_script("activate.py", R"(#!/usr/bin/python3
import os, socket, sys
socks = []
for path in sys.argv[1:3]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    socks.append(s)
for i, s in enumerate(socks):
    os.dup2(s.fileno(), 3 + i)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = "2"
os.execv(sys.argv[3], sys.argv[3:])
)");
    TestProcess::Options o;
    o.argv = {activate,        client_path(), control_path(), bin_path("coproc-service"),
              "--runtime-dir", runtime_dir(), "--state-dir",  state_dir(),
              "--config",      config};
    o.output_path = log_path();
    service_ = TestProcess(o);
    ASSERT_TRUE(wait_until([&] { return log().find("answering every client") != std::string::npos; },
                           seconds(20)))
        << log();
  }

  struct CtlRun {
    int code = -1;
    std::string output;
    milliseconds took{0};
  };
  CtlRun coprocctl(const std::vector<std::string>& args) {
    TestProcess::Options o;
    o.argv = {bin_path("coprocctl"), "--runtime-dir", runtime_dir()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.output_path = dir_.file("coprocctl.out");
    const auto t0 = Clock::now();
    TestProcess p(o);
    const int status = p.wait(seconds(60));
    CtlRun r;
    r.took = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.output = read_file(o.output_path);
    return r;
  }
};

TEST_F(ConfigErrorTest, ClientsAreToldTheConfigurationErrorAtOnce) {
  const std::string config = dir_.file("coproc.conf");
  std::ofstream(config) << "[service]\nuser =\n[smtp]\nno_such_option = 1\n";
  ASSERT_NO_FATAL_FAILURE(start_socket_activated(config));

  // Through the client socket (sys.hello of libcoproc), as an application sees it.
  const CtlRun ping = coprocctl({"ping"});
  EXPECT_NE(ping.code, 0) << ping.output;
  EXPECT_NE(ping.output.find("coproc-service cannot start"), std::string::npos) << ping.output;
  EXPECT_NE(ping.output.find(config + ":4"), std::string::npos) << ping.output;
  EXPECT_LT(ping.took, milliseconds(2000)) << "the default connect deadline is 5 s";

  // Through the control socket, as an administrator sees it.
  const rpc::Response status = control_call("svc.status", rpc::empty_params(), seconds(5));
  ASSERT_TRUE(status.error.has_value());
  EXPECT_EQ(status.error->name, "unavailable");
  EXPECT_NE(status.error->message.find(config + ":4"), std::string::npos) << status.error->message;

  service_.signal(SIGTERM);
  const int wstatus = service_.wait(seconds(20));
  ASSERT_TRUE(WIFEXITED(wstatus)) << log();
  EXPECT_EQ(WEXITSTATUS(wstatus), 78) << "EX_CONFIG: systemd shows the unit failed";
}

TEST_F(ConfigErrorTest, WithoutSocketsFromSystemdABadConfigEndsTheServiceAt78) {
  const std::string config = dir_.file("coproc.conf");
  std::ofstream(config) << "[smtp]\nno_such_option = 1\n";
  TestProcess::Options o;
  o.argv = {bin_path("coproc-service"), "--runtime-dir", runtime_dir(), "--state-dir", state_dir(),
            "--config", config};
  o.output_path = log_path();
  TestProcess p(o);
  const int wstatus = p.wait(seconds(20));
  ASSERT_TRUE(WIFEXITED(wstatus)) << log();
  EXPECT_EQ(WEXITSTATUS(wstatus), 78) << log();
  EXPECT_NE(log().find(config + ":2"), std::string::npos) << log();
}

}  // namespace
}  // namespace coproc::test
