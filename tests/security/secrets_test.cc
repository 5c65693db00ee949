// The SMTP password from the config file must never show in logs, status
// or error messages — not in clear, not base64-encoded as AUTH sends it —
// nor on the co-process's command line or in its environment.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "raw_client.h"
#include "smtp_test_server.h"
#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {
namespace {

using std::chrono::seconds;

const std::string kPassword = "Sup3r-Secret-Pa55";

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// Renders any msgpack value as text, so a test can search all of it.
std::string text_of(const msgpack::object& o) {
  std::ostringstream s;
  s << o;
  return s.str();
}

class SecretsTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

// Issue 13 item 6: the password reaches the co-process without showing in
// its command line or environment, which every local user can read.
class SecretHandOverTest : public SecretsTest {
 protected:
  void SetUp() override {
    SmtpTestServer::Options so;
    so.user = "app";
    so.password = kPassword;
    so.mechanisms = "PLAIN";
    so.auth_in_clear = true;
    relay_ = std::make_unique<SmtpTestServer>(so);
    relay_->start();
    ::mkdir(run().c_str(), 0755);
  }
  void TearDown() override {
    if (service_.running()) service_.stop();
    if (HasFailure()) std::cerr << read_file(log_path());
  }
  std::string run() const { return dir_.file("run"); }
  std::string log_path() const { return dir_.file("service.log"); }

  /// Starts coproc-service against the relay (AUTH as "app", password not
  /// given here) with `extra` options; `env` adds environment variables.
  TestProcess spawn_service(const std::vector<std::string>& extra,
                            const std::vector<std::string>& env = {}) {
    TestProcess::Options o;
    o.argv = {bin_path("coproc-service"), "--runtime-dir", run(), "--state-dir",
              dir_.file("state"), "--config", "/dev/null", "--set", "service.user=", "--set",
              "service.coprocess_path=" + bin_path("coprocess"), "--set", "smtp.host=127.0.0.1",
              "--set", "smtp.port=" + std::to_string(relay_->port()), "--set",
              "smtp.security=none", "--set", "smtp.username=app", "--log-level", "debug"};
    o.argv.insert(o.argv.end(), extra.begin(), extra.end());
    o.env = env;
    o.output_path = log_path();
    return TestProcess(o);
  }

  /// Starts the service, sends one mail and waits until the relay accepted
  /// it (AUTH with the right password); returns the co-process's pid.
  long start_and_deliver(const std::vector<std::string>& extra,
                         const std::vector<std::string>& env = {}) {
    service_ = spawn_service(extra, env);
    const std::string control = run() + "/control.sock";
    EXPECT_TRUE(wait_until(
        [&] {
          try {
            RawClient probe(control);
            return !probe.call("svc.status").error.has_value();
          } catch (const std::exception&) {
            return false;
          }
        },
        seconds(20)));
    RawClient c(control);
    const rpc::Response launched = c.call("svc.launch", rpc::empty_params(), seconds(30));
    EXPECT_FALSE(launched.error) << launched.error->message;
    if (launched.error) return -1;
    RawClient client(run() + "/coproc.sock");
    std::vector<std::map<std::string, std::string>> mail{{{"from", "app@example.com"},
                                                          {"to", "user@example.com"},
                                                          {"subject", "hand-over"},
                                                          {"text", "body"}}};
    auto sent = client.call("mail.send", rpc::pack_value(mail));
    EXPECT_FALSE(sent.error) << sent.error->message;
    EXPECT_TRUE(relay_->wait_for_count(1, seconds(30)))
        << "the relay accepts only the right password; events:\n" << relay_->events();
    return map_get(launched.result, "pid")->as<long>();
  }

  /// /proc/<pid>/cmdline and environ, NULs as spaces.
  static std::string proc_text(long pid) {
    std::string all = read_file("/proc/" + std::to_string(pid) + "/cmdline") + "\n" +
                      read_file("/proc/" + std::to_string(pid) + "/environ");
    std::replace(all.begin(), all.end(), '\0', ' ');
    return all;
  }

  std::unique_ptr<SmtpTestServer> relay_;
  TestProcess service_;
};

TEST_F(SecretHandOverTest, PasswordSetOnTheServicesCommandLineStaysOffTheCoprocesss) {
  const long pid = start_and_deliver({"--set", "smtp.password=" + kPassword});
  ASSERT_GT(pid, 0);
  const std::string seen = proc_text(pid);
  EXPECT_NE(seen.find("--runtime-dir"), std::string::npos) << "read the wrong process? " << seen;
  EXPECT_EQ(seen.find(kPassword), std::string::npos) << seen;
}

TEST_F(SecretHandOverTest, PasswordFileIsReadAndMustBeClosedToOtherUsers) {
  const std::string file = dir_.file("smtp-password");
  write_file(file, kPassword + "\n");
  ::chmod(file.c_str(), 0644);
  TestProcess refused = spawn_service({"--set", "smtp.password_file=" + file});
  const int status = refused.wait(seconds(20));
  ASSERT_TRUE(WIFEXITED(status)) << read_file(log_path());
  EXPECT_EQ(WEXITSTATUS(status), 78) << read_file(log_path());
  EXPECT_NE(read_file(log_path()).find("smtp.password_file: " + file +
                                       " is open to other users (mode 0644)"),
            std::string::npos)
      << read_file(log_path());

  ::chmod(file.c_str(), 0640);
  const long pid = start_and_deliver({"--set", "smtp.password_file=" + file});
  ASSERT_GT(pid, 0);
  EXPECT_EQ(proc_text(pid).find(kPassword), std::string::npos);
}

TEST_F(SecretHandOverTest, SystemdCredentialSuppliesThePassword) {
  const std::string credentials = dir_.file("credentials");
  ::mkdir(credentials.c_str(), 0700);
  write_file(credentials + "/smtp.password", kPassword);
  ::chmod((credentials + "/smtp.password").c_str(), 0400);
  const long pid = start_and_deliver({}, {"CREDENTIALS_DIRECTORY=" + credentials});
  ASSERT_GT(pid, 0);
  const std::string seen = proc_text(pid);
  EXPECT_EQ(seen.find(kPassword), std::string::npos) << seen;
  EXPECT_EQ(seen.find("CREDENTIALS_DIRECTORY"), std::string::npos)
      << "the service reads the credentials; the co-process gets no path to them: " << seen;
}

TEST_F(SecretsTest, SmtpPasswordNeverAppearsInLogsStatusOrErrors) {
  const TestPki& pki = test_pki();
  // Ours is wrong: AUTH fails, errors are produced.
  SmtpTestServer smtp(SmtpTestServer::Options::secure("starttls", "app", "the-right-one"));
  smtp.start();

  const std::string conf = dir_.file("coproc.conf");
  write_file(conf, "[smtp]\nhost = 127.0.0.1\nport = " + std::to_string(smtp.port()) +
                       "\nsecurity = starttls\nusername = app\npassword = \"" + kPassword +
                       "\"\nca_file = " + pki.ca + "\n");
  ::chmod(conf.c_str(), 0640);
  const std::string run = dir_.file("run"), state = dir_.file("state");
  ::mkdir(run.c_str(), 0755);
  TestProcess::Options o;
  o.argv = {bin_path("coproc-service"), "--runtime-dir", run, "--state-dir", state, "--config",
            conf, "--set", "service.user=", "--set", "service.coprocess_path=" + bin_path("coprocess"),
            "--log-level", "debug"};
  o.output_path = dir_.file("service.log");
  TestProcess service(o);
  ASSERT_TRUE(wait_until(
      [&] {
        try {
          RawClient probe(run + "/control.sock");  // the file exists a moment before listen()
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      seconds(20)));

  std::string seen;  // everything a user or an operator can see
  RawClient control(run + "/control.sock");
  seen += text_of(control.call("svc.launch", rpc::empty_params(), seconds(30)).result);

  RawClient client(run + "/coproc.sock");
  std::vector<std::map<std::string, std::string>> mail{{{"from", "app@example.com"},
                                                        {"to", "user@example.com"},
                                                        {"subject", "secret test"},
                                                        {"text", "body"}}};
  auto sent = client.call("mail.send", rpc::pack_value(mail));
  ASSERT_FALSE(sent.error) << sent.error->message;
  const std::string id = map_get(sent.result, "id")->as<std::string>();
  std::vector<std::map<std::string, std::string>> q{{{"id", id}}};
  std::string state_now;
  ASSERT_TRUE(wait_until(
      [&] {
        auto st = client.call("mail.status", rpc::pack_value(q));
        const msgpack::object* s = st.error ? nullptr : map_get(st.result, "state");
        state_now = s ? s->as<std::string>() : "";
        seen += text_of(st.result);
        return state_now == "failed";
      },
      seconds(60)));
  auto listed = client.call("mail.list");
  seen += text_of(listed.result);
  seen += text_of(client.call("sys.status").result);
  seen += text_of(control.call("svc.status").result);
  auto bad = client.call("mail.send", string_params({{"from", "not an address"}}));
  ASSERT_TRUE(bad.error);
  seen += bad.error->message;

  ASSERT_TRUE(wait_until([&] { return smtp.events().find("AUTH") != std::string::npos; },
                         seconds(30)))
      << "the relay must have seen an AUTH attempt, or this test proves nothing";
  service.stop();
  const std::string log = read_file(o.output_path);
  ASSERT_NE(log.find(id), std::string::npos) << "the log must tell the story of the mail";
  ASSERT_NE(seen.find("535"), std::string::npos) << "the relay's AUTH refusal must reach the user:\n" << seen;
  for (const std::string& needle :
       {kPassword, base64(kPassword), base64(std::string("\0app\0", 5) + kPassword),
        base64(std::string("app\0app\0", 8) + kPassword)}) {
    EXPECT_EQ(log.find(needle), std::string::npos) << "in the log: " << needle;
    EXPECT_EQ(seen.find(needle), std::string::npos) << "in a result or error: " << needle;
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(state)) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(read_file(entry.path().string()).find(kPassword), std::string::npos)
        << "stored in " << entry.path();
  }
}

}  // namespace
}  // namespace coproc::test
