// smtp.password_file on Windows: the file's DACL decides whether it is
// private (common/src/secret_file_win32.cc). The rule is checked on DACLs
// made from SDDL; files and coprocess.exe are checked with what wine keeps of
// a file's DACL (wine maps it to the Unix mode bits: the owner, and Everyone
// for the "other" bits; Authenticated Users, Users or a missing DACL only a
// real Windows stores).
#include <gtest/gtest.h>
#include <windows.h>
// after windows.h
#include <sddl.h>

#include <string>
#include <vector>

#include "coprocess_win_fixture.h"
#include "secret_file.h"
#include "secret_file_win32.h"
#include "win32_error.h"

namespace coproc::test {
namespace {

// What dacl_is_private() says of the DACL of `sddl`: "private" or the refusal.
std::string verdict(const std::string& sddl) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(widen(sddl).c_str(), SDDL_REVISION_1,
                                                              &sd, nullptr)) {
    return "bad SDDL " + sddl + ": " + win32_message(::GetLastError());
  }
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = nullptr;
  ::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  std::string why;
  const bool ok = dacl_is_private(present ? dacl : nullptr, "C:\\pw", &why);
  ::LocalFree(sd);
  return ok ? "private" : why;
}

TEST(SecretDaclTest, SystemAdministratorsAndNamedAccountsAreTheAdministratorsChoice) {
  EXPECT_EQ(verdict("D:P(A;;FA;;;SY)(A;;FA;;;BA)"), "private");
  EXPECT_EQ(verdict("D:P(A;;FA;;;SY)(A;;FR;;;S-1-5-21-1-2-3-1105)"), "private");
  EXPECT_EQ(verdict("D:P(A;;FA;;;SY)(A;;FR;;;S-1-5-80-1-2-3-4-5)"), "private");  // a service SID
}

TEST(SecretDaclTest, GroupsOfManyAccountsThatMayReadOrWriteAreRefused) {
  EXPECT_EQ(
      verdict("D:P(A;;FA;;;SY)(A;;FR;;;WD)")
          .rfind(
              "C:\\pw is open to other users (Everyone, S-1-1-0, may read or change it); let only "
              "SYSTEM, Administrators and the service's account read it, e.g. icacls \"C:\\pw\"",
              0),
      0u)
      << verdict("D:P(A;;FA;;;SY)(A;;FR;;;WD)");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"(A;;FR;;;AU)", "(Authenticated Users, S-1-5-11,"},
      {"(A;;FW;;;BU)", "(Users, S-1-5-32-545,"},
      {"(A;;GR;;;IU)", "(INTERACTIVE, S-1-5-4,"},
      {"(A;;GA;;;BG)", "(Guests, S-1-5-32-546,"},
      {"(A;;0x1;;;RD)", "(Remote Desktop Users, S-1-5-32-555,"},  // FILE_READ_DATA alone
      {"(A;;FR;;;S-1-5-21-1-2-3-513)", "(Domain Users, S-1-5-21-1-2-3-513,"},
      {"(A;;WD;;;AU)", "(Authenticated Users,"},  // may change who reads it
  };
  for (const auto& [ace, expected] : cases) {
    const std::string v = verdict("D:P(A;;FA;;;SY)" + ace);
    EXPECT_NE(v.find(expected), std::string::npos) << ace << ": " << v;
  }
}

TEST(SecretDaclTest, RightsThatDoNotReachTheContentAndDenyOrInheritOnlyEntriesAreNoExposure) {
  // Users may see that the file exists and its attributes, not its content.
  EXPECT_EQ(verdict("D:P(A;;FA;;;SY)(A;;0x120080;;;BU)"), "private");
  EXPECT_EQ(verdict("D:P(A;;FA;;;SY)(D;;FR;;;WD)"), "private");
  EXPECT_EQ(verdict("D:P(A;;FA;;;SY)(A;OIIO;FR;;;BU)"), "private");
}

// A null DACL (SetSecurityDescriptorDacl(sd, TRUE, NULL, ...)) grants
// everything to everyone. (Wine's SDDL parser makes "D:NO_ACCESS_CONTROL" an
// empty DACL instead, so the null one is passed directly.)
TEST(SecretDaclTest, NoDaclAtAllIsRefused) {
  std::string why;
  EXPECT_FALSE(dacl_is_private(nullptr, "C:\\pw", &why));
  EXPECT_EQ(why.rfind("C:\\pw has no access control list, so every user may read it", 0), 0u)
      << why;
}

class SecretFileWinTest : public CoprocessWinFixture {
 protected:
  void TearDown() override {
    for (const auto& f : files_) {
      ::SetFileAttributesW(widen(f).c_str(), FILE_ATTRIBUTE_NORMAL);
      ::DeleteFileW(widen(f).c_str());
    }
    CoprocessWinFixture::TearDown();
  }

  // A file holding "s3cret" created with the security descriptor `sddl`.
  std::string file_with(const std::string& sddl) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    EXPECT_TRUE(::ConvertStringSecurityDescriptorToSecurityDescriptorW(
        widen(sddl).c_str(), SDDL_REVISION_1, &sd, nullptr))
        << sddl;
    SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
    const std::string path = state_dir() + "-" + std::to_string(files_.size()) + ".password";
    HANDLE h = ::CreateFileW(widen(path).c_str(), GENERIC_WRITE, 0, &sa, CREATE_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL, nullptr);
    ::LocalFree(sd);
    EXPECT_NE(h, INVALID_HANDLE_VALUE) << win32_message(::GetLastError());
    DWORD written = 0;
    ::WriteFile(h, "s3cret", 6, &written, nullptr);
    ::CloseHandle(h);
    files_.push_back(path);
    return path;
  }

  std::vector<std::string> files_;
};

TEST_F(SecretFileWinTest, FileOfSystemAndAdministratorsIsPrivateAndOneEveryoneReadsIsNot) {
  std::string why;
  EXPECT_TRUE(secret_file_is_private(file_with("D:P(A;;FA;;;SY)(A;;FA;;;BA)"), &why)) << why;
  const std::string open = file_with("D:P(A;;FA;;;SY)(A;;FR;;;WD)");
  EXPECT_FALSE(secret_file_is_private(open, &why));
  EXPECT_EQ(why.rfind(open + " is open to other users (Everyone, S-1-1-0,", 0), 0u) << why;
  EXPECT_FALSE(secret_file_is_private(state_dir() + "-missing.password", &why));
  EXPECT_NE(why.find("cannot read its access control list"), std::string::npos) << why;
}

TEST_F(SecretFileWinTest, CoprocessRefusesToStartWithAPasswordFileEveryoneMayRead) {
  const std::string path = file_with("D:P(A;;FA;;;SY)(A;;FR;;;WD)");
  ChildProcess coprocess;
  launch_coprocess(&coprocess, log_path(), {"--set", "smtp.password_file=" + path});
  EXPECT_NE(coprocess.wait(std::chrono::seconds(60)), 0);
  EXPECT_NE(log().find("smtp.password_file: " + path + " is open to other users (Everyone"),
            std::string::npos)
      << log();
}

// A Windows path (C:\...) is a file, not the name of a systemd credential.
TEST_F(SecretFileWinTest, CoprocessReadsAPrivatePasswordFileByItsWindowsPath) {
  start_coprocess({"--set", "smtp.password_file=" + file_with("D:P(A;;FA;;;SY)(A;;FA;;;BA)")});
  EXPECT_FALSE(connect()->call("sys.ping").error);  // up: the file was read
}

}  // namespace
}  // namespace coproc::test
