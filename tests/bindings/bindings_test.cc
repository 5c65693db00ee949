// The language bindings in bindings/ against the real coprocess (maildir
// transport) and a real nginx: the Python ctypes module, the Free Pascal
// unit (mail + HTTP GET), the Fortran module and the GnuCOBOL copybook, each
// through its example program. A binding whose compiler is not installed
// is not built; scripts/install-deps installs them all.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "coprocess_fixture.h"
#include "nginx_server.h"

namespace coproc::test {
namespace {

class BindingsTest : public CoprocessFixture {
 protected:
  static void SetUpTestSuite() {
    nginx_ = new NginxServer();
    write_file(nginx_->www_dir() + "/files/hello.txt", "hello from nginx\n");
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }
  void SetUp() override { start_coprocess({"--set", "mail.transport=maildir"}); }

  struct Outcome {
    int code = -1;
    std::string output;
  };
  Outcome run(const std::vector<std::string>& argv, const std::string& endpoint) {
    TestProcess::Options o;
    o.argv = argv;
    o.env = {"COPROC_ENDPOINT=" + endpoint, "COPROC_LIBRARY=" COPROC_LIBRARY_DIR "/libcoproc.so.1",
             "LD_LIBRARY_PATH=" COPROC_LIBRARY_DIR};
#ifdef COPROC_ASAN_RUNTIME
    // Hosts not built with the sanitizers load the instrumented libcoproc.
    o.env.push_back("LD_PRELOAD=" COPROC_ASAN_RUNTIME);
    o.env.push_back("ASAN_OPTIONS=detect_leaks=0");
#endif
    o.output_path = dir_.file("binding." + std::to_string(++runs_) + ".out");
    TestProcess p(o);
    const int status = p.wait(std::chrono::seconds(60));
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(o.output_path)};
  }

  // The id printed as "mail queued: ID" is the caller's mail in the outbox.
  void expect_queued(const Outcome& r) {
    ASSERT_EQ(r.code, 0) << r.output;
    const std::string marker = "mail queued: ";
    const std::size_t at = r.output.find(marker);
    ASSERT_NE(at, std::string::npos) << r.output;
    const std::string id = r.output.substr(at + marker.size(), 24);
    EXPECT_TRUE(wait_until([&] { return log().find("id=" + id) != std::string::npos; },
                           std::chrono::seconds(10)))
        << log();
  }
  void expect_bad_address(const Outcome& r) {
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("coproc failed (status "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("bad_request: 'to': \"nobody\" is not a valid address"),
              std::string::npos)
        << r.output;
  }

  static NginxServer* nginx_;
  int runs_ = 0;
};

NginxServer* BindingsTest::nginx_ = nullptr;

TEST_F(BindingsTest, PythonModuleSendsMailDoesHttpAndRaisesOneExceptionPerStatus) {
  Outcome r = run({"/usr/bin/python3", COPROC_BINDINGS_DIR "/../tests/bindings/python_binding_check.py",
                   COPROC_BINDINGS_DIR "/python", socket_path(),
                   nginx_->http_url("/files/hello.txt"), dir_.file("nothing-here.sock")},
                  socket_path());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("all checks passed"), std::string::npos) << r.output;
}

#ifdef COPROC_PASCAL_EXAMPLE_BIN
TEST_F(BindingsTest, FreePascalUnitSendsAMailAndGetsAPage) {
  Outcome r = run({COPROC_PASCAL_EXAMPLE_BIN, "app@example.org", "ops@example.org",
                   nginx_->http_url("/files/hello.txt")},
                  socket_path());
  expect_queued(r);
  EXPECT_NE(r.output.find("-> 200, 17 bytes, text/plain"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("hello from nginx"), std::string::npos) << r.output;
  expect_bad_address(run({COPROC_PASCAL_EXAMPLE_BIN, "app@example.org", "nobody",
                          nginx_->http_url("/files/hello.txt")},
                         socket_path()));
}
#endif

#ifdef COPROC_FORTRAN_EXAMPLE_BIN
TEST_F(BindingsTest, FortranModuleSendsAMail) {
  expect_queued(run({COPROC_FORTRAN_EXAMPLE_BIN, "app@example.org", "ops@example.org"},
                    socket_path()));
  expect_bad_address(run({COPROC_FORTRAN_EXAMPLE_BIN, "app@example.org", "nobody"}, socket_path()));
}
#endif

#ifdef COPROC_COBOL_BINDING_BIN
TEST_F(BindingsTest, CobolCopybookSendsAMail) {
  expect_queued(run({COPROC_COBOL_BINDING_BIN, "app@example.org", "ops@example.org"},
                    socket_path()));
  expect_bad_address(run({COPROC_COBOL_BINDING_BIN, "app@example.org", "nobody"}, socket_path()));
}
#endif

}  // namespace
}  // namespace coproc::test
