// Runs the C test program (c_api_test.c, compiled as C and linked with the
// shared libcoproc) against a real coprocess.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "coprocess_fixture.h"

namespace coproc::test {
namespace {

class CApiTest : public CoprocessFixture {};

TEST_F(CApiTest, ProgramWrittenInCPassesEveryCheckAgainstARealCoprocess) {
  start_coprocess({"--set", "debug.methods=true"});
  TempDir empty;
  TestProcess::Options o;
  o.argv = {COPROC_C_API_TEST_BIN, runtime_dir(), empty.path()};
  o.output_path = dir_.file("c_api_test.out");
  TestProcess program(o);
  const int status = program.wait(std::chrono::seconds(120));
  const std::string output = read_file(o.output_path);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_NE(output.find("ok: "), std::string::npos) << output;
}

}  // namespace
}  // namespace coproc::test
