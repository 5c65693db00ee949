// coproc-sendmail with the programs that really call a sendmail: PHP's
// mail() (php-cli), bsd-mailx and a cron-style pipe, against the real
// coprocess relaying to a real SMTP server (aiosmtpd). Each message must
// arrive as the caller wrote it, with Bcc gone; bad input, an over-size
// message and a missing co-process get their sysexits.h code and reason.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "coprocess_fixture.h"
#include "mail_parse.h"
#include "smtp_test_server.h"

namespace coproc::test {
namespace {

constexpr auto kWait = std::chrono::seconds(30);

class SendmailTest : public CoprocessFixture {
 protected:
  void SetUp() override {
    server_.start();
    start_coprocess({"--set", "smtp.host=127.0.0.1", "--set",
                     "smtp.port=" + std::to_string(server_.port()), "--set", "smtp.security=none",
                     "--set", "smtp.helo_name=host.example", "--set", "mail.max_message_bytes=4096",
                     "--set", "mail.retry_initial_ms=200"});
  }

  std::string sendmail() const {
    return bin_path("coproc-sendmail") + " --runtime-dir " + runtime_dir();
  }

  // Runs `command` through the shell with `input` on stdin; returns the exit
  // code and keeps stderr in err_.
  int run(const std::string& command, const std::string& input,
          const std::string& env = "") {
    write_file(dir_.file("in.txt"), input);
    const std::string cmd = env + " " + command + " < " + dir_.file("in.txt") + " > " +
                            dir_.file("out.txt") + " 2> " + dir_.file("err.txt");
    const int status = std::system(cmd.c_str());
    err_ = read_file(dir_.file("err.txt"));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // The n-th message (1-based) the SMTP server received, and its envelope.
  std::string message(std::size_t n) {
    EXPECT_TRUE(server_.wait_for_count(n, kWait)) << log();
    auto all = server_.messages();
    return all.size() >= n ? all[n - 1] : "";
  }
  std::string envelope(std::size_t n) {
    auto all = server_.envelopes();
    return all.size() >= n ? all[n - 1] : "";
  }

  SmtpTestServer server_{SmtpTestServer::Options{}};
  std::string err_;
};

TEST_F(SendmailTest, PhpMailArrivesWithItsHeadersAndWithoutBcc) {
  const std::string php =
      "php -n -d 'sendmail_path=" + sendmail() + " -t -i' -r '"
      "exit(mail(\"bob@example.org\", \"Invoice 42\", \"Dear Bob,\\n.\\nyour invoice.\\n\","
      " \"From: Billing <billing@example.org>\\r\\nCc: carol@example.org\\r\\n"
      "Bcc: hidden@example.org\\r\\nX-Mailer: legacy-php\") ? 0 : 3);'";
  ASSERT_EQ(run(php, ""), 0) << err_;
  const std::string eml = message(1);
  MimePart m = parse_mime(eml);
  EXPECT_EQ(m.header("Subject"), "Invoice 42");
  EXPECT_EQ(m.header("From"), "Billing <billing@example.org>");
  EXPECT_EQ(m.header("To"), "bob@example.org");
  EXPECT_EQ(m.header("Cc"), "carol@example.org");
  EXPECT_EQ(m.header("X-Mailer"), "legacy-php");
  EXPECT_FALSE(m.header("Date").empty());
  EXPECT_FALSE(m.header("Message-ID").empty());
  EXPECT_EQ(eml.find("hidden@"), std::string::npos) << eml;
  EXPECT_EQ(eml.find("Bcc"), std::string::npos) << eml;
  EXPECT_EQ(m.body, "Dear Bob,\r\n.\r\nyour invoice.\r\n\r\n");  // -i: the lone dot is text; PHP adds a line
  const std::string env = envelope(1);
  EXPECT_NE(env.find("\"bob@example.org\""), std::string::npos) << env;
  EXPECT_NE(env.find("\"carol@example.org\""), std::string::npos) << env;
  EXPECT_NE(env.find("\"hidden@example.org\""), std::string::npos) << env;
}

TEST_F(SendmailTest, MailxSendsThroughItAndBccGetsTheMailButIsNotShown) {
  write_file(dir_.file("mailrc"), "set sendmail=" + bin_path("coproc-sendmail") + "\n");
  const std::string env = "MAILRC=" + dir_.file("mailrc") + " HOME=" + dir_.path() +
                          " COPROC_RUNTIME_DIR=" + runtime_dir();
  ASSERT_EQ(run("mailx -s 'Nightly report' -c cc@example.org -b bcc@example.org "
                "-r reports@example.org to@example.org",
                "all jobs done\n", env),
            0)
      << err_;
  const std::string eml = message(1);
  MimePart m = parse_mime(eml);
  EXPECT_EQ(m.header("Subject"), "Nightly report");
  EXPECT_EQ(m.header("To"), "to@example.org");
  EXPECT_EQ(m.header("Cc"), "cc@example.org");
  EXPECT_EQ(m.body, "all jobs done\r\n");
  EXPECT_EQ(eml.find("bcc@"), std::string::npos) << eml;
  const std::string e = envelope(1);
  EXPECT_NE(e.find("\"mail_from\": \"reports@example.org\""), std::string::npos) << e;
  EXPECT_NE(e.find("\"bcc@example.org\""), std::string::npos) << e;
}

TEST_F(SendmailTest, ACronStylePipeWithLocalNamesIsQualifiedAndKeptIntact) {
  // What Debian's cron writes and how it calls sendmail.
  const std::string input =
      "From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@host> /usr/local/bin/backup\n"
      "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
      "Content-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\n\n"
      "backup: 3 files, 1.2 GB \xc3\xa9t\xc3\xa9\n";
  ASSERT_EQ(run(sendmail() + " -FCronDaemon -i -B8BITMIME -oem -odi root", input), 0) << err_;
  const std::string eml = message(1);
  MimePart m = parse_mime(eml);
  EXPECT_EQ(m.header("From"), "root (Cron Daemon)");
  EXPECT_EQ(m.header("To"), "root");
  EXPECT_EQ(m.header("X-Cron-Env"), "<SHELL=/bin/sh>");
  EXPECT_EQ(m.body, "backup: 3 files, 1.2 GB \xc3\xa9t\xc3\xa9\r\n");
  const std::string e = envelope(1);
  EXPECT_NE(e.find("\"rcpt_tos\": [\"root@host.example\"]"), std::string::npos) << e;
}

TEST_F(SendmailTest, WithoutDashIALoneDotEndsTheMessage) {
  ASSERT_EQ(run(sendmail() + " -f sender@example.org a@example.org",
                "Subject: dot\n\nfirst\n.\nnever sent\n"),
            0)
      << err_;
  MimePart m = parse_mime(message(1));
  EXPECT_EQ(m.body, "first\r\n");
  EXPECT_NE(envelope(1).find("\"mail_from\": \"sender@example.org\""), std::string::npos);
}

TEST_F(SendmailTest, TheMailIsTheCallersOwnInMailList) {
  ASSERT_EQ(run(sendmail() + " -v -t", "To: a@example.org\nSubject: mine\n\nx\n"), 0) << err_;
  ASSERT_EQ(err_.rfind("coproc-sendmail: queued as ", 0), 0u) << err_;
  const std::string id = err_.substr(27, err_.find('\n') - 27);
  ASSERT_EQ(run(bin_path("coprocctl") + " --runtime-dir " + runtime_dir() +
                    " --json mail status " + id,
                ""),
            0)
      << err_;
  const std::string status = read_file(dir_.file("out.txt"));
  EXPECT_NE(status.find("\"owner_uid\":" + std::to_string(::getuid())), std::string::npos)
      << status;
  EXPECT_NE(status.find("\"subject\":\"mine\""), std::string::npos) << status;
}

TEST_F(SendmailTest, MalformedMessageIsDataErrorWithTheReason) {
  EXPECT_EQ(run(sendmail() + " -i a@example.org", "Subject: broken\nthis is no header\n"), 65);
  EXPECT_EQ(err_,
            "coproc-sendmail: line 2 of the message header is not a 'Name: value' field, and no "
            "empty line before it ends the header: \"this is no header\" (bad_request)\n");
  EXPECT_EQ(run(sendmail() + " -t -i", "To: not an address\n\nx\n"), 65);
  EXPECT_NE(err_.find("is not a valid address"), std::string::npos) << err_;
  EXPECT_EQ(server_.count(), 0u);
}

TEST_F(SendmailTest, OverSizeMessageIsDataErrorWithTheLimit) {
  EXPECT_EQ(run(sendmail() + " -i a@example.org", "Subject: big\n\n" + std::string(5000, 'x')),
            65);
  EXPECT_EQ(err_,
            "coproc-sendmail: the message is 5014 bytes; mail.max_message_bytes is 4096 "
            "(too_large)\n");
}

TEST_F(SendmailTest, UsageErrorsAreExUsage) {
  EXPECT_EQ(run(sendmail() + " -i", "Subject: s\n\nx\n"), 64);
  EXPECT_EQ(err_,
            "coproc-sendmail: no recipients: give them as arguments, or use -t to read them from "
            "the message\n");
  EXPECT_EQ(run(sendmail() + " -bs", ""), 64);
  EXPECT_EQ(err_,
            "coproc-sendmail: mode -bs is not supported (only -bm: read a message and send it) "
            "(coproc-sendmail --help)\n");
  EXPECT_EQ(run(sendmail() + " -Z a@example.org", ""), 64);
  EXPECT_EQ(err_, "coproc-sendmail: unknown option -Z (coproc-sendmail --help)\n");
}

TEST_F(SendmailTest, NoCoprocessRunningIsTempFail) {
  stop_coprocess();
  EXPECT_EQ(run(sendmail() + " --no-launch -i a@example.org", "Subject: s\n\nx\n"), 75);
  EXPECT_EQ(err_.rfind("coproc-sendmail: cannot queue the message now, try again later: the "
                       "co-process is not running",
                       0),
            0u)
      << err_;
  EXPECT_NE(err_.find("(not_running)\n"), std::string::npos) << err_;
  // With auto-launch on (the default) and no service to launch it.
  EXPECT_EQ(run(sendmail() + " -i a@example.org", "Subject: s\n\nx\n"), 75);
  EXPECT_NE(err_.find("(service_not_running)\n"), std::string::npos) << err_;
}

}  // namespace
}  // namespace coproc::test
