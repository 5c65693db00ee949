// Logout (issue 3): the co-process runs in the system service's cgroup, not
// in the session of the user whose call launched it, so systemd-logind with
// KillUserProcesses=yes (set in the test root, scripts/system-rootfs) leaves
// it running when that user logs out. The control test shows the same
// co-process started from a user's session IS killed: the test can fail.
#include <gtest/gtest.h>

#include <string>

#include "system_container.h"

namespace coproc::test {
namespace {

using std::chrono::seconds;

class LogoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RunResult install = box_.run(SystemContainer::source_dir() +
                                     "/installer/install.sh --build-dir " +
                                     SystemContainer::build_dir(),
                                 seconds(300));
    ASSERT_EQ(install.status, 0) << install.output;
    RunResult users = box_.run("useradd -m -s /bin/bash alice && useradd -m -s /bin/bash bob");
    ASSERT_EQ(users.status, 0) << users.output;
    RunResult kill_setting = box_.run("systemd-analyze cat-config systemd/logind.conf");
    ASSERT_NE(kill_setting.output.find("KillUserProcesses=yes"), std::string::npos)
        << kill_setting.output;
  }

  // Pids of processes named exactly "coprocess" (not matched on command
  // lines, which our own shells contain too).
  std::string coprocess_pids() const { return trim(box_.run("pgrep -x coprocess || true").output); }

  bool alive(const std::string& pid) const {
    return box_.run("test -d /proc/" + pid).status == 0;
  }

  // logind drops a session once its scope is stopped, i.e. after it has
  // killed what the user left behind (KillUserProcesses=yes).
  bool wait_session_closed(const std::string& user) const {
    return box_.wait_for("! loginctl list-sessions --no-legend | awk '{print $3}' | grep -qx " + user,
                         seconds(60));
  }

  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  SystemContainer box_;
};

TEST_F(LogoutTest, CoprocessLaunchedByAUsersCallSurvivesThatUsersLogout) {
  ASSERT_EQ(box_.run("systemctl is-active coproc.service").status, 0)
      << box_.run("systemctl status coproc.service; journalctl -u coproc --no-pager").output;
  ASSERT_EQ(coprocess_pids(), "") << "the service must start the co-process on demand";

  // alice's session: a call launches the co-process through the service;
  // a witness she leaves behind shows that logout really kills her leftovers.
  RunResult alice = box_.run_as_login(
      "alice",
      "setsid nohup sleep 3600 >/dev/null 2>&1 </dev/null & echo witness=$!; "
      "loginctl list-sessions --no-legend | grep -q alice || { echo no-logind-session; exit 9; }; "
      "coprocctl ping && coprocctl status");
  ASSERT_EQ(alice.status, 0) << alice.output;
  const auto at = alice.output.find("witness=");
  ASSERT_NE(at, std::string::npos) << alice.output;
  const std::string witness = alice.output.substr(at + 8, alice.output.find('\n', at) - at - 8);

  const std::string pid = coprocess_pids();
  ASSERT_FALSE(pid.empty()) << "alice's call did not launch the co-process\n"
                            << box_.run("journalctl -u coproc --no-pager").output;
  ASSERT_EQ(pid.find('\n'), std::string::npos) << "more than one co-process: " << pid;
  EXPECT_EQ(box_.run("ps -o user= -p " + pid).output, "coproc\n");

  ASSERT_TRUE(wait_session_closed("alice"))
      << box_.run("loginctl list-sessions --no-legend").output;
  ASSERT_TRUE(box_.wait_for("! test -d /proc/" + witness, seconds(30)))
      << "logind did not kill what alice left behind: KillUserProcesses is not in effect";

  EXPECT_TRUE(alive(pid)) << "the co-process died with alice's session\n"
                          << box_.run("journalctl -u coproc --no-pager").output;
  RunResult bob = box_.run_as_login("bob", "coprocctl ping");
  EXPECT_EQ(bob.status, 0) << bob.output;
  EXPECT_EQ(coprocess_pids(), pid) << "bob's call was served by a new co-process";
}

TEST_F(LogoutTest, CoprocessStartedFromAUsersSessionIsKilledAtLogout) {
  // The control: the same binary, started by alice herself (detached with
  // setsid + nohup, as a user would try), is part of her session.
  RunResult alice = box_.run_as_login(
      "alice",
      "mkdir -p ~/rt ~/st; : >~/coproc.conf; "
      "setsid nohup /usr/local/libexec/coproc/coprocess --runtime-dir ~/rt --state-dir ~/st "
      "  --config ~/coproc.conf >~/coprocess.log 2>&1 </dev/null & echo pid=$!; "
      "for i in $(seq 200); do test -S ~/rt/coproc.sock && break; sleep 0.05; done; "
      "COPROC_ENDPOINT=~/rt/coproc.sock coprocctl ping || { cat ~/coprocess.log; exit 1; }");
  ASSERT_EQ(alice.status, 0) << alice.output;
  const auto at = alice.output.find("pid=");
  ASSERT_NE(at, std::string::npos) << alice.output;
  const std::string pid = alice.output.substr(at + 4, alice.output.find('\n', at) - at - 4);
  ASSERT_FALSE(pid.empty());

  ASSERT_TRUE(wait_session_closed("alice"))
      << box_.run("loginctl list-sessions --no-legend").output;
  EXPECT_TRUE(box_.wait_for("! test -d /proc/" + pid, seconds(30)))
      << "a co-process started in alice's session outlived her logout";
}

}  // namespace
}  // namespace coproc::test
