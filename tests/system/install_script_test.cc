// installer/install.sh and uninstall.sh (systems without dpkg) in a booted
// Debian system: install from this build tree, serve a user, uninstall
// keeping the configuration and spool, purge deleting them.
#include <gtest/gtest.h>

#include <string>

#include "system_container.h"

namespace coproc::test {
namespace {

using std::chrono::seconds;

class InstallScriptTest : public ::testing::Test {
 protected:
  RunResult install() const {
    return box_.run(SystemContainer::source_dir() + "/installer/install.sh --build-dir " +
                        SystemContainer::build_dir(),
                    seconds(300));
  }
  SystemContainer box_;
};

TEST_F(InstallScriptTest, UninstallKeepsConfigAndSpoolAndPurgeDeletesThem) {
  RunResult first = install();
  ASSERT_EQ(first.status, 0) << first.output;
  ASSERT_EQ(box_.run("useradd -m -s /bin/bash alice").status, 0);
  EXPECT_EQ(box_.run("stat -c '%a %U %G' /etc/coproc/coproc.conf").output, "640 root coproc\n");
  RunResult ping = box_.run_as_login("alice", "coprocctl ping");
  ASSERT_EQ(ping.status, 0) << ping.output;

  // A re-install is an upgrade in place: an edited config is kept.
  ASSERT_EQ(box_.run("echo '# edited by the administrator' >>/etc/coproc/coproc.conf").status, 0);
  RunResult again = install();
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(box_.run("grep -q 'edited by the administrator' /etc/coproc/coproc.conf").status, 0);
  EXPECT_EQ(box_.run_as_login("alice", "coprocctl ping").status, 0);

  RunResult uninstall = box_.run("/usr/local/share/coproc/uninstall.sh");
  ASSERT_EQ(uninstall.status, 0) << uninstall.output;
  EXPECT_NE(box_.run("test -e /usr/local/sbin/coproc-service").status, 0);
  EXPECT_NE(box_.run("test -e /usr/local/bin/coprocctl").status, 0);
  EXPECT_NE(box_.run("test -e /usr/local/lib/systemd/system/coproc.service").status, 0);
  EXPECT_NE(box_.run("ls /usr/local/lib/libcoproc* 2>/dev/null | grep -q .").status, 0);
  EXPECT_EQ(box_.run("pgrep -u coproc -l").output, "") << "something still runs as coproc";
  EXPECT_EQ(box_.run("grep -q 'edited by the administrator' /etc/coproc/coproc.conf").status, 0)
      << "uninstall deleted the configuration";
  EXPECT_EQ(box_.run("test -d /var/spool/coproc/outbox").status, 0)
      << "uninstall deleted the spool";

  ASSERT_EQ(install().status, 0);
  RunResult purge = box_.run("/usr/local/share/coproc/uninstall.sh --purge");
  ASSERT_EQ(purge.status, 0) << purge.output;
  EXPECT_NE(box_.run("test -e /etc/coproc").status, 0);
  EXPECT_NE(box_.run("test -e /var/spool/coproc").status, 0);
  EXPECT_EQ(box_.run("pgrep -u coproc -l").output, "");
  EXPECT_EQ(box_.run("id -u coproc").status, 0) << "the system user stays";
}

}  // namespace
}  // namespace coproc::test
