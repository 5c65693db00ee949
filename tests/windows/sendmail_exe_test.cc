// coproc-sendmail.exe under wine against the real coprocess.exe: it reaches
// the co-process over the named pipe and answers with the sysexits.h code
// and one-line reason. The Windows co-process has no mail component yet
// (docs/windows.md), so mail.send is unknown there: EX_UNAVAILABLE (69).
#include <gtest/gtest.h>

#include "child_process.h"
#include "coprocess_win_fixture.h"

namespace coproc::test {
namespace {

class SendmailExeTest : public CoprocessWinFixture {
 protected:
  long run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {bin_path("sendmail/coproc-sendmail.exe")};
    argv.insert(argv.end(), args.begin(), args.end());
    output_ = log_path() + ".sendmail." + std::to_string(++runs_);
    ChildProcess p;
    p.start(argv, output_);
    return p.wait(std::chrono::seconds(60));
  }
  std::string output() const { return read_file(output_); }

  std::string output_;
  int runs_ = 0;
};

TEST_F(SendmailExeTest, ReachesTheCoprocessOverThePipeWhichHasNoMailServiceYet) {
  start_coprocess();
  EXPECT_EQ(run({"--endpoint", endpoint(), "--no-launch", "-t", "-i"}), 69) << output();
  EXPECT_NE(output().find("coproc-sendmail: "), std::string::npos) << output();
  EXPECT_NE(output().find("mail.send"), std::string::npos) << output();
  EXPECT_NE(output().find("(not_found)"), std::string::npos) << output();
}

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
