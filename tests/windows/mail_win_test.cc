// Mail on Windows: coprocess.exe delivers through aiosmtpd on loopback with
// STARTTLS and implicit TLS, AUTH PLAIN and LOGIN (aiosmtpd's LOGIN asks
// "User Name", which Poco's own login() does not understand), refuses a
// certificate for another host name with a clear error, and fails a wrong
// password with the server's reply. Driven through libcoproc.dll's C ABI;
// attachments by path are read by the library (pipes carry no descriptors).
#include <gtest/gtest.h>
#include <windows.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "coproc/coproc.h"
#include "coproc/mail.h"
#include "coprocess_win_fixture.h"
#include "wine_servers.h"

namespace coproc::test {
namespace {

using std::chrono::seconds;

std::string json_string(const std::string& json, const std::string& key) {
  std::smatch m;
  const std::regex pattern("\"" + key + "\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  return std::regex_search(json, m, pattern) ? m[1].str() : "";
}

class MailWinTest : public CoprocessWinFixture {
 protected:
  const WineServers& servers = WineServers::get();

  void TearDown() override {
    coproc_client_close(client_);
    CoprocessWinFixture::TearDown();
  }

  // coprocess.exe relaying to `host`:`port` ("starttls" or "tls").
  void start_relay(const std::string& security, const std::string& host, int port,
                   const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"--set", "smtp.host=" + host,
                                  "--set", "smtp.port=" + std::to_string(port),
                                  "--set", "smtp.security=" + security,
                                  "--set", "smtp.username=" + servers.value("SMTP_USER"),
                                  "--set", "smtp.ca_file=" + servers.value("CA_FILE"),
                                  "--set", "mail.retry_initial_ms=200",
                                  "--set", "mail.retry_max_ms=500"};
    args.insert(args.end(), extra.begin(), extra.end());
    start_coprocess(args);
    ASSERT_EQ(coproc_client_new(&client_), COPROC_OK);
    ASSERT_EQ(coproc_client_set_str(client_, COPROC_OPT_ENDPOINT, endpoint().c_str()), COPROC_OK);
    ASSERT_EQ(coproc_client_set_int(client_, COPROC_OPT_AUTO_LAUNCH, 0), COPROC_OK);
  }

  std::vector<std::string> password(const std::string& value) {
    return {"--set", "smtp.password=" + value};
  }

  std::string send(const std::string& subject) {
    char* id = nullptr;
    EXPECT_EQ(coproc_mail_send(client_, "app@example.org", "someone@example.org", subject.c_str(),
                               "Hello from Windows.\r\n", &id),
              COPROC_OK)
        << coproc_errmsg(client_);
    std::string out = id ? id : "";
    coproc_free(id);
    return out;
  }

  std::string status(const std::string& id) {
    char* json = nullptr;
    if (coproc_mail_status(client_, id.c_str(), &json) != COPROC_OK) return "";
    std::string out = json;
    coproc_free(json);
    return out;
  }

  // The status once `state` is reached, or the last one seen.
  std::string wait_for(const std::string& id, const std::string& state) {
    std::string last;
    wait_until(
        [&] {
          last = status(id);
          return json_string(last, "state") == state;
        },
        seconds(60));
    return last;
  }

  coproc_client* client_ = nullptr;
};

TEST_F(MailWinTest, StartTlsWithAuthPlainDeliversWithAnAttachmentReadByTheLibrary) {
  start_relay("starttls", "localhost", servers.port("SMTP_STARTTLS_PORT"),
              {"--set", "smtp.auth=plain", "--set", "smtp.password=" + servers.value("SMTP_PASSWORD")});
  const std::string attachment = state_dir() + "-invoice.txt";
  std::ofstream(attachment, std::ios::binary) << "invoice 42\r\n";
  coproc_mail* mail = nullptr;
  ASSERT_EQ(coproc_mail_new(&mail), COPROC_OK);
  coproc_mail_set(mail, COPROC_MAIL_FROM, "app@example.org");
  coproc_mail_add_to(mail, "someone@example.org");
  coproc_mail_set(mail, COPROC_MAIL_SUBJECT, "plain with attachment");
  ASSERT_EQ(coproc_mail_attach_file(mail, attachment.c_str(), "text/plain"), COPROC_OK)
      << coproc_errmsg(nullptr);
  char* id = nullptr;
  ASSERT_EQ(coproc_mail_submit(client_, mail, &id), COPROC_OK) << coproc_errmsg(client_);
  coproc_mail_free(mail);
  const std::string final_status = wait_for(id, "sent");
  coproc_free(id);
  EXPECT_EQ(json_string(final_status, "state"), "sent") << final_status << log();
  const std::string events = WineServers::events(servers.value("SMTP_STARTTLS_DIR"));
  EXPECT_NE(events.find("AUTH-RESULT PLAIN ok tls=True"), std::string::npos) << events;
  ::DeleteFileA(attachment.c_str());
}

TEST_F(MailWinTest, StartTlsWithAuthLoginAnswersTheUserNameChallenge) {
  start_relay("starttls", "localhost", servers.port("SMTP_STARTTLS_PORT"),
              {"--set", "smtp.auth=login", "--set", "smtp.password=" + servers.value("SMTP_PASSWORD")});
  const std::string final_status = wait_for(send("login"), "sent");
  EXPECT_EQ(json_string(final_status, "state"), "sent") << final_status << log();
  const std::string events = WineServers::events(servers.value("SMTP_STARTTLS_DIR"));
  EXPECT_NE(events.find("AUTH-RESULT LOGIN ok tls=True"), std::string::npos) << events;
}

TEST_F(MailWinTest, ImplicitTlsDelivers) {
  const std::string dir = servers.value("SMTP_TLS_DIR");
  const int before = WineServers::received(dir);
  start_relay("tls", "localhost", servers.port("SMTP_TLS_PORT"),
              password(servers.value("SMTP_PASSWORD")));
  const std::string final_status = wait_for(send("implicit"), "sent");
  EXPECT_EQ(json_string(final_status, "state"), "sent") << final_status << log();
  EXPECT_GT(WineServers::received(dir), before);
}

TEST_F(MailWinTest, CertificateForAnotherHostIsRefusedWithAClearError) {
  // The certificate names "localhost"; the relay is reached as 127.0.0.1.
  start_relay("starttls", "127.0.0.1", servers.port("SMTP_STARTTLS_PORT"),
              password(servers.value("SMTP_PASSWORD")));
  const std::string id = send("wrong host");
  std::string last;
  ASSERT_TRUE(wait_until(
      [&] {
        last = status(id);
        return !json_string(last, "last_error").empty();
      },
      seconds(60)))
      << last << log();
  const std::string state = json_string(last, "state");  // transient: retried
  EXPECT_TRUE(state == "queued" || state == "sending") << last;
  const std::string error = json_string(last, "last_error");
  EXPECT_EQ(error.rfind("certificate: TLS with 127.0.0.1 failed: the relay's certificate is not "
                        "valid for the host name '127.0.0.1'",
                        0),
            0u)
      << last;
  EXPECT_NE(error.find("the relay's certificate is for 'localhost', not for '127.0.0.1' "
                       "(smtp.host)"),
            std::string::npos)
      << last;
}

TEST_F(MailWinTest, WrongPasswordFailsWithTheServersReply) {
  start_relay("tls", "localhost", servers.port("SMTP_TLS_PORT"),
              {"--set", "smtp.auth=plain", "--set", "smtp.password=not-the-password"});
  const std::string final_status = wait_for(send("wrong password"), "failed");
  EXPECT_EQ(json_string(final_status, "state"), "failed") << final_status << log();
  EXPECT_EQ(json_string(final_status, "last_error").rfind("AUTH PLAIN as 'alice' failed: 535", 0), 0u)
      << final_status;
  EXPECT_EQ(log().find("not-the-password"), std::string::npos);
}

// The outbox's write-ahead log on a Windows file system: mail.send answered
// once accepted.log was flushed (FlushFileBuffers); after TerminateProcess
// and the loss of the mail files (as a power cut may take files renamed
// but not flushed) every accepted mail still leaves, rewritten from the log.
TEST_F(MailWinTest, AcceptedMailWhoseFileIsLostLeavesFromAcceptedLogAfterTerminateProcess) {
  start_relay("starttls", "localhost", 1, password(servers.value("SMTP_PASSWORD")));  // nobody there
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(send("kept " + std::to_string(i)));
  for (const std::string& id : ids) ASSERT_FALSE(id.empty());
  kill_coprocess();  // TerminateProcess: only what is on disk survives
  const std::string outbox = state_dir() + "/outbox/";
  WIN32_FILE_ATTRIBUTE_DATA log_info{};
  ASSERT_TRUE(::GetFileAttributesExA((outbox + "accepted.log").c_str(), GetFileExInfoStandard, &log_info));
  EXPECT_GT(log_info.nFileSizeLow, 0u) << "accepted.log holds the accepted mail";
  for (const std::string& id : ids) {
    ASSERT_TRUE(::DeleteFileA((outbox + id + ".mail").c_str())) << id << ": " << ::GetLastError();
  }

  coproc_client_close(client_);
  client_ = nullptr;
  start_relay("starttls", "localhost", servers.port("SMTP_STARTTLS_PORT"),
              {"--set", "smtp.auth=plain", "--set", "smtp.password=" + servers.value("SMTP_PASSWORD")});
  for (const std::string& id : ids) {
    const std::string final_status = wait_for(id, "sent");
    EXPECT_EQ(json_string(final_status, "state"), "sent") << id << " " << final_status << log();
  }
  EXPECT_NE(log().find("3 mail files written again from it"), std::string::npos) << log();
}

// Past 4 MiB the log is checkpointed: the mail files are flushed
// (FlushFileBuffers each) and the log is cut to nothing (SetEndOfFile through
// a second handle: the append handle may not), and appends go on after it.
TEST_F(MailWinTest, AcceptedLogIsCheckpointedPastFourMebibytesAndAppendsGoOn) {
  start_relay("starttls", "localhost", 1, password(servers.value("SMTP_PASSWORD")));  // nobody there
  std::string body;
  for (int i = 0; i < 20000; ++i) body += "a line of a large mail, long enough to fill a mebibyte quickly.\r\n";
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    char* id = nullptr;
    ASSERT_EQ(coproc_mail_send(client_, "app@example.org", "someone@example.org",
                               ("large " + std::to_string(i)).c_str(), body.c_str(), &id),
              COPROC_OK)
        << coproc_errmsg(client_);
    ids.push_back(id);
    coproc_free(id);
  }
  const std::string outbox = state_dir() + "/outbox/";
  WIN32_FILE_ATTRIBUTE_DATA log_info{};
  ASSERT_TRUE(::GetFileAttributesExA((outbox + "accepted.log").c_str(), GetFileExInfoStandard, &log_info));
  EXPECT_EQ(log_info.nFileSizeHigh, 0u);
  EXPECT_GT(log_info.nFileSizeLow, body.size()) << "the last mail is in the log";
  EXPECT_LT(log_info.nFileSizeLow, 2 * body.size()) << "the four before it were checkpointed";
  kill_coprocess();
  ASSERT_TRUE(::DeleteFileA((outbox + ids.back() + ".mail").c_str()));

  coproc_client_close(client_);
  client_ = nullptr;
  start_relay("starttls", "localhost", 1, password(servers.value("SMTP_PASSWORD")));
  for (const std::string& id : ids) {
    const std::string state = json_string(status(id), "state");
    EXPECT_TRUE(state == "queued" || state == "sending") << id << ": '" << state << "'" << log();
  }
  EXPECT_NE(log().find("1 entries, 1 mail files written again from it"), std::string::npos) << log();
}

}  // namespace
}  // namespace coproc::test
