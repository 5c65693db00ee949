// coproc-sendmail.exe under wine against the real coprocess.exe: it queues
// a message over the named pipe (delivered by the default maildir
// transport; EX_UNAVAILABLE, 69, when coprocess.exe is built without mail)
// and answers with the sysexits.h code and one-line reason.
#include <gtest/gtest.h>
#include <windows.h>

#include <fstream>

#include "child_process.h"
#include "coprocess_win_fixture.h"
#include "wine_servers.h"

namespace coproc::test {
namespace {

class SendmailExeTest : public CoprocessWinFixture {
 protected:
  // coproc-sendmail.exe with `args`, the message `input` on its stdin.
  long run(const std::vector<std::string>& args, const std::string& input = "") {
    std::vector<std::string> argv = {bin_path("sendmail/coproc-sendmail.exe")};
    argv.insert(argv.end(), args.begin(), args.end());
    output_ = log_path() + ".sendmail." + std::to_string(++runs_);
    std::string input_path;
    if (!input.empty()) {
      input_path = output_ + ".in";
      std::ofstream(input_path, std::ios::binary) << input;
    }
    ChildProcess p;
    p.start(argv, output_, input_path);
    return p.wait(std::chrono::seconds(60));
  }
  std::string output() const { return read_file(output_); }

  std::string output_;
  int runs_ = 0;
};

#if COPROC_WINDOWS_MAIL
TEST_F(SendmailExeTest, QueuesOverThePipeAndTheMailLandsInTheMaildir) {
  const std::string state = state_dir();
  start_coprocess();
  // A message as a Windows program writes it (CRLF); the co-process adds
  // Date and Message-ID.
  EXPECT_EQ(run({"--endpoint", endpoint(), "--no-launch", "-f", "app@example.org", "-i",
                 "a@example.org"},
                "Subject: from sendmail.exe\r\nTo: a@example.org\r\n\r\nHello.\r\n"),
            0)
      << output();
  auto delivered = [&] {
    WIN32_FIND_DATAA entry;
    HANDLE find = ::FindFirstFileA((state + "\\maildir\\new\\*.eml").c_str(), &entry);
    if (find == INVALID_HANDLE_VALUE) return false;
    ::FindClose(find);
    return true;
  };
  EXPECT_TRUE(wait_until(delivered, std::chrono::seconds(60))) << log();
}
#else
// Built without its mail component, the co-process does not know mail.send.
TEST_F(SendmailExeTest, ReachesTheCoprocessOverThePipeWhichHasNoMailServiceYet) {
  start_coprocess();
  EXPECT_EQ(run({"--endpoint", endpoint(), "--no-launch", "-t", "-i"}), 69) << output();
  EXPECT_NE(output().find("coproc-sendmail: "), std::string::npos) << output();
  EXPECT_NE(output().find("mail.send"), std::string::npos) << output();
  EXPECT_NE(output().find("(not_found)"), std::string::npos) << output();
}
#endif

TEST_F(SendmailExeTest, NoCoprocessIsTempFailAndABadOptionIsUsage) {
  EXPECT_EQ(run({"--endpoint", endpoint(), "--no-launch", "-i", "a@example.org"}), 75) << output();
  EXPECT_NE(output().find("cannot queue the message now, try again later"), std::string::npos)
      << output();
  EXPECT_EQ(run({"-Z"}), 64) << output();
  EXPECT_NE(output().find("unknown option -Z"), std::string::npos) << output();
  EXPECT_EQ(run({"--help"}), 0) << output();
  EXPECT_NE(output().find("usage: coproc-sendmail"), std::string::npos) << output();
}

}  // namespace
}  // namespace coproc::test
