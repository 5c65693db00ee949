// The wire format checked by an independent MessagePack-RPC implementation:
// Debian's python3-msgpack (msgpack_rpc_conformance.py) against the real
// coprocess.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "coprocess_fixture.h"

namespace coproc::test {
namespace {

class ConformanceTest : public CoprocessFixture {};

TEST_F(ConformanceTest, IndependentPythonMsgpackClientSeesASpecCompliantServer) {
  start_coprocess();
  TestProcess::Options o;
  o.argv = {"/usr/bin/python3", COPROC_CONFORMANCE_SCRIPT, socket_path()};
  o.output_path = dir_.file("conformance.out");
  TestProcess script(o);
  const int status = script.wait(std::chrono::seconds(60));
  const std::string output = read_file(o.output_path);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_NE(output.find("conformance: ok"), std::string::npos) << output;
}

}  // namespace
}  // namespace coproc::test
