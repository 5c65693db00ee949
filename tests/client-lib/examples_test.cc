// The examples in examples/ (C, Python ctypes, GnuCOBOL when cobc is
// installed) run against a real coprocess and print its sys.hello answer.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "coprocess_fixture.h"

namespace coproc::test {
namespace {

class ExamplesTest : public CoprocessFixture {
 protected:
  struct Outcome {
    int code = -1;
    std::string output;
  };
  /// `foreign`: a host built without the sanitizers (python3).
  Outcome run(const std::vector<std::string>& argv, const std::string& endpoint,
              bool foreign = false) {
    TestProcess::Options o;
    o.argv = argv;
    o.env = {"COPROC_ENDPOINT=" + endpoint,
             "COPROC_LIBRARY=" COPROC_LIBRARY_DIR "/libcoproc.so.1",
             "LD_LIBRARY_PATH=" COPROC_LIBRARY_DIR};
#ifdef COPROC_ASAN_RUNTIME
    if (foreign) {
      o.env.push_back("LD_PRELOAD=" COPROC_ASAN_RUNTIME);
      o.env.push_back("ASAN_OPTIONS=detect_leaks=0");  // the interpreter's own, not ours
    }
#else
    (void)foreign;
#endif
    o.output_path = dir_.file("example." + std::to_string(++runs_) + ".out");
    TestProcess p(o);
    const int status = p.wait(std::chrono::seconds(60));
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(o.output_path)};
  }
  void expect_hello(const Outcome& r) {
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("sys.hello -> "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(std::to_string(coprocess_.pid())), std::string::npos) << r.output;
  }
  void expect_not_running(const Outcome& r) {
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("service_not_running"), std::string::npos) << r.output;
  }
  std::string nowhere() { return dir_.file("nothing-here.sock"); }
  int runs_ = 0;
};

TEST_F(ExamplesTest, CExampleGreetsTheCoprocessAndReportsAbsenceClearly) {
  start_coprocess();
  expect_hello(run({COPROC_C_EXAMPLE_BIN}, socket_path()));
  Outcome status = run({COPROC_C_EXAMPLE_BIN, "sys.status"}, socket_path());
  EXPECT_EQ(status.code, 0);
  EXPECT_NE(status.output.find("\"requests_total\":"), std::string::npos) << status.output;
  expect_not_running(run({COPROC_C_EXAMPLE_BIN}, nowhere()));
}

TEST_F(ExamplesTest, PythonCtypesExampleGreetsTheCoprocessAndReportsAbsenceClearly) {
  start_coprocess();
  expect_hello(run({"/usr/bin/python3", COPROC_PYTHON_EXAMPLE}, socket_path(), true));
  expect_not_running(run({"/usr/bin/python3", COPROC_PYTHON_EXAMPLE}, nowhere(), true));
}

#ifdef COPROC_COBOL_EXAMPLE_BIN
TEST_F(ExamplesTest, CobolExampleGreetsTheCoprocessAndReportsAbsenceClearly) {
  start_coprocess();
  expect_hello(run({COPROC_COBOL_EXAMPLE_BIN}, socket_path()));
  expect_not_running(run({COPROC_COBOL_EXAMPLE_BIN}, nowhere()));
}
#endif

}  // namespace
}  // namespace coproc::test
