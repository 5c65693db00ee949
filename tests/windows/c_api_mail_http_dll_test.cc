// The mail and HTTP parts of the C ABI from C: c_api_mail_http_test.c,
// compiled as C and linked against libcoproc.dll, run against the real
// coprocess.exe relaying to aiosmtpd and reaching nginx over HTTPS.
#include <gtest/gtest.h>
#include <windows.h>

#include "coprocess_win_fixture.h"
#include "wine_servers.h"

namespace coproc::test {
namespace {

class CApiMailHttpDllTest : public CoprocessWinFixture {};

TEST_F(CApiMailHttpDllTest, CProgramSendsMailAndMakesHttpsRequestsThroughTheDll) {
  const WineServers& servers = WineServers::get();
  start_coprocess({"--set", "smtp.host=localhost",
                   "--set", "smtp.port=" + servers.value("SMTP_STARTTLS_PORT"),
                   "--set", "smtp.security=starttls",
                   "--set", "smtp.username=" + servers.value("SMTP_USER"),
                   "--set", "smtp.password=" + servers.value("SMTP_PASSWORD"),
                   "--set", "smtp.ca_file=" + servers.value("CA_FILE"),
                   "--set", "http.ca_file=" + servers.value("CA_FILE")});
  ChildProcess program;
  const std::string output = log_path() + ".c_api_mail_http_test";
  program.start({bin_path("tests/windows/c_api_mail_http_test_c.exe"), endpoint(),
                 servers.https_url("/hello.txt"), servers.https_url("/echo")},
                output);
  EXPECT_EQ(program.wait(std::chrono::seconds(180)), 0) << read_file(output);
  EXPECT_NE(read_file(output).find("ok: "), std::string::npos) << read_file(output);
}

}  // namespace
}  // namespace coproc::test
