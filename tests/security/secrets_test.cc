// The SMTP password from the config file must never show in logs, status
// or error messages — not in clear, not base64-encoded as AUTH sends it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
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
