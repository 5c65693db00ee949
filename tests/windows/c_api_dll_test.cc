// The C ABI from C: tests/client-lib/c_api_test.c, compiled as C and linked
// against libcoproc.dll, run against the real coprocess.exe on a pipe.
#include <gtest/gtest.h>

#include "coprocess_win_fixture.h"

namespace coproc::test {
namespace {

class CApiDllTest : public CoprocessWinFixture {};

TEST_F(CApiDllTest, CProgramLinkedAgainstTheDllPassesEveryCheck) {
  start_coprocess({"--set", "debug.methods=true"});
  ChildProcess program;
  const std::string output = log_path() + ".c_api_test";
  // c_api_test.c names endpoints "<arg>/coproc.sock": the pipe's namespace.
  program.start({bin_path("tests/windows/c_api_test_c.exe"), space(), space() + "-empty"},
                output);
  EXPECT_EQ(program.wait(std::chrono::seconds(120)), 0) << read_file(output);
  EXPECT_NE(read_file(output).find("ok: "), std::string::npos) << read_file(output);
}

}  // namespace
}  // namespace coproc::test
