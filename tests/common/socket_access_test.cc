// server.socket_mode / server.allowed_group on sockets someone else made
// (systemd's coproc.socket): set when the process may, closed when it may not.
#include "socket_access.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "endpoint.h"
#include "temp_dir.h"
#include "test_users.h"

namespace coproc::test {
namespace {

std::string mode_and_group(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return "missing";
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
  const group* gr = ::getgrgid(st.st_gid);
  return std::string(mode) + " " + (gr ? gr->gr_name : std::to_string(st.st_gid));
}

class SocketAccessTest : public ::testing::Test {
 protected:
  // A listening socket made the way systemd makes coproc.sock (0666).
  std::string make_socket(const std::string& name) {
    std::string error;
    const std::string path = dir_.file(name);
    fds_.push_back(listen_unix(path, 0666, "", 4, &error));
    EXPECT_GE(fds_.back(), 0) << error;
    return path;
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
  }
  TempDir dir_;
  std::vector<int> fds_;
};

TEST_F(SocketAccessTest, ConfigNamesAWrongModeOrAnUnknownGroup) {
  SocketAccess access;
  std::string error;
  Config c;
  c.set("server.socket_mode=0668");
  EXPECT_FALSE(socket_access_from_config(c, &access, &error));
  EXPECT_EQ(error, "server.socket_mode must be an octal mode such as 0666 or 0660, not '0668'");
  Config g;
  g.set("server.allowed_group=coproc-t-no-such-group");
  EXPECT_FALSE(socket_access_from_config(g, &access, &error));
  EXPECT_EQ(error,
            "server.allowed_group: there is no group 'coproc-t-no-such-group' on this machine");
}

TEST_F(SocketAccessTest, ASocketMadeByOthersGetsTheConfiguredModeAndGroup) {
  ensure_user("coproc-t-alice", "coproc-t-grp");
  const std::string path = make_socket("coproc.sock");
  ASSERT_EQ(mode_and_group(path), "0666 root");
  std::string changed, error;
  ASSERT_TRUE(apply_socket_access(path, SocketAccess{0660, "coproc-t-grp"}, &changed, &error))
      << error;
  EXPECT_EQ(mode_and_group(path), "0660 coproc-t-grp");
  EXPECT_EQ(changed, "0666 root:root -> 0660 root:coproc-t-grp");
  // Already so: nothing to say.
  ASSERT_TRUE(apply_socket_access(path, SocketAccess{0660, "coproc-t-grp"}, &changed, &error));
  EXPECT_EQ(changed, "");
}

TEST_F(SocketAccessTest, AGroupTheProcessMayNotGiveClosesTheSocketAndSaysWhy) {
  const TestUser owner = ensure_user("coproc-t-bob");
  ensure_user("coproc-t-alice", "coproc-t-grp");
  const std::string path = make_socket("coproc.sock");
  ASSERT_EQ(::chown(path.c_str(), owner.uid, owner.gid), 0);
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  // The service runs as the socket's owner (coproc under the packaged unit),
  // which is not in the group.
  const std::string result = run_as(owner, [&] {
    std::string changed, error;
    const bool ok = apply_socket_access(path, SocketAccess{0660, "coproc-t-grp"}, &changed, &error);
    return (ok ? "ok: " : "refused: ") + error;
  });
  EXPECT_EQ(
      result.rfind("refused: cannot give " + path +
                       " (0666 coproc-t-bob:coproc-t-bob) to "
                       "group 'coproc-t-grp': Operation not permitted (user coproc-t-bob is not "
                       "a member of it)",
                   0),
      0u)
      << result;
  EXPECT_EQ(mode_and_group(path), "0600 coproc-t-bob") << "left open although refused";
}

TEST_F(SocketAccessTest, AFileThatIsNotASocketIsLeftAlone) {
  const std::string path = dir_.file("plain");
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_TRUE(f != nullptr);
  std::fclose(f);
  ::chmod(path.c_str(), 0644);
  std::string changed, error;
  EXPECT_FALSE(apply_socket_access(path, SocketAccess{0660, ""}, &changed, &error));
  EXPECT_EQ(error, path + " is not a socket");
  EXPECT_EQ(mode_and_group(path), "0644 root");
}

TEST_F(SocketAccessTest, TheSocketUnitSettingsSayTheSame) {
  const std::string unit =
      socket_unit_settings(SocketAccess{0660, "legacy"}, "/etc/coproc/coproc.conf");
  EXPECT_NE(unit.find("\n[Socket]\nSocketMode=0660\nSocketGroup=legacy\n"), std::string::npos)
      << unit;
  const std::string open = socket_unit_settings(SocketAccess{0666, ""}, "c");
  EXPECT_NE(open.find("\n[Socket]\nSocketMode=0666\n"), std::string::npos) << open;
  EXPECT_EQ(open.find("SocketGroup"), std::string::npos) << open;
}

}  // namespace
}  // namespace coproc::test
