// coproc-service --check-config: the real binary on files with known
// problems; it names each with file:line, exits 78, and leaves a running
// service alone.
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>

#include "service_fixture.h"

namespace coproc::test {
namespace {

using std::chrono::seconds;

class ConfigCheckTest : public ServiceFixture {
 protected:
  struct Outcome {
    int exit_code = -1;
    std::string output;
  };

  std::string write_config(const std::string& text, mode_t mode = 0640) {
    const std::string path = dir_.file("coproc.conf");
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }

  Outcome check(const std::string& config) {
    TestProcess::Options o;
    o.argv = {bin_path("coproc-service"), "--check-config", "--config", config};
    o.output_path = dir_.file("check.log");
    TestProcess p(o);
    const int wstatus = p.wait(seconds(30));
    Outcome out;
    out.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    out.output = read_file(o.output_path);
    return out;
  }
};

TEST_F(ConfigCheckTest, AGoodConfigIsOk) {
  const std::string path = write_config(
      "[smtp]\nhost = localhost\nusername = app\npassword = s3cret\n"
      "[service]\nuser =\n[server]\nsocket_mode = 0660\nallowed_group = root\n");
  const Outcome r = check(path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, path + ": OK\n");
}

TEST_F(ConfigCheckTest, EveryProblemIsNamedWithItsLineAndTheExitIs78) {
  const std::string ca = dir_.file("not-a-ca.pem");
  std::ofstream(ca) << "hello\n";
  const std::string path = write_config(
      "[service]\nuser =\nadmin_group = coproc-t-no-such-group\n"  // 3
      "[server]\nallowed_group = coproc-t-no-such-group\n"         // 5
      "[smtp]\nhost = no such host!\n"                             // 7
      "username = app\n"                                           // 8
      "ca_file = " +
          ca +
          "\n"                                        // 9
          "verify_tls = false\n"                      // 10
          "[http]\nca_file = /nonexistent/ca.pem\n",  // 12
      0666);
  const Outcome r = check(path);
  EXPECT_EQ(r.exit_code, 78) << r.output;
  for (const std::string& line : {
           path + ": every user may write it (mode 0666): chmod 0640, owner root:coproc",
           path + ":3: service.admin_group: there is no group 'coproc-t-no-such-group' on this "
                  "machine",
           path + ":5: server.allowed_group: there is no group 'coproc-t-no-such-group' on this "
                  "machine",
           path + ":7: smtp.host: cannot resolve 'no such host!': ",
           path + ":8: smtp.username is set but smtp.password is empty",
           path + ":9: smtp.ca_file: '" + ca + "' holds no PEM certificate",
           path + ":10: warning: smtp.verify_tls = false",
           path + ":12: http.ca_file: '/nonexistent/ca.pem' is not a readable file",
           "coproc-service: " + path + ": 7 errors",
       }) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\nin:\n" << r.output;
  }
}

TEST_F(ConfigCheckTest, AParseErrorStopsAtItsLine) {
  const Outcome r = check(write_config("[smtp]\nport = 587\nsecurity = ssl\n"));
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.output.find("coproc.conf:3: smtp.security must be starttls, tls or none, not 'ssl'"),
            std::string::npos)
      << r.output;
}

TEST_F(ConfigCheckTest, AConfigTheServiceUserCannotReadIsAnError) {
  // Run as root, the check reads with the eyes of service.user.
  const std::string path = write_config("[service]\nuser = nobody\n", 0600);
  const Outcome r = check(path);
  EXPECT_EQ(r.exit_code, 78) << r.output;
  EXPECT_NE(r.output.find(path + ": user nobody cannot read it (mode 0600), and the service runs "
                                 "as that user"),
            std::string::npos)
      << r.output;
}

TEST_F(ConfigCheckTest, ARunningServiceIsNotTouched) {
  start_service();
  const ServiceStatus before = status();
  const std::string log_before = log();
  const Outcome r = check(write_config("[smtp]\nport = 99999\n"));
  EXPECT_EQ(r.exit_code, 78) << r.output;
  EXPECT_NE(r.output.find("coproc.conf:2: option 'smtp.port' must be between 1 and 65535"),
            std::string::npos)
      << r.output;
  const ServiceStatus after = status();
  EXPECT_EQ(after.state, before.state);
  EXPECT_EQ(after.generation, before.generation);
  EXPECT_TRUE(service_.running());
}

}  // namespace
}  // namespace coproc::test
