// The client side of mail: the C ABI of coproc/mail.h (through the shared
// libcoproc) and `coprocctl mail`, against the real coprocess with the
// maildir transport or a real SMTP server.
#include "coproc/mail.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "c_client_fixture.h"
#include "mail_parse.h"
#include "smtp_test_server.h"

namespace coproc::test {
namespace {

class MailClientTest : public CClientFixture {
 protected:
  void SetUp() override { start_with_client({"--set", "mail.transport=maildir"}); }

  // JSON of mail.status once the mail left the queue.
  std::string final_status(const std::string& id) {
    std::string json;
    wait_until(
        [&] {
          char* out = nullptr;
          if (coproc_mail_status(client_, id.c_str(), &out) != COPROC_OK) return false;
          json = out;
          coproc_free(out);
          return json.find("\"state\":\"sent\"") != std::string::npos ||
                 json.find("\"state\":\"failed\"") != std::string::npos;
        },
        std::chrono::seconds(30));
    return json;
  }

  std::string only_delivered_file() {
    std::string dir = state_dir() + "/maildir/new";
    std::string found;
    std::string cmd = "ls " + dir;
    FILE* p = ::popen(cmd.c_str(), "r");
    char line[512];
    int n = 0;
    while (p && std::fgets(line, sizeof line, p)) {
      found = dir + "/" + std::string(line, std::strcspn(line, "\n"));
      ++n;
    }
    if (p) ::pclose(p);
    return n == 1 ? read_file(found) : "";
  }

  // Runs coprocctl with `args` and `input` on stdin; returns exit code, fills out/err.
  int coprocctl(const std::string& args, const std::string& input, std::string* out) {
    write_file(dir_.file("ctl.in"), input);
    const std::string cmd = bin_path("coprocctl") + " --runtime-dir " + runtime_dir() +
                            " --no-launch " + args + " < " + dir_.file("ctl.in") + " > " +
                            dir_.file("ctl.out") + " 2> " + dir_.file("ctl.err");
    int status = std::system(cmd.c_str());
    *out = read_file(dir_.file("ctl.out"));
    last_err_ = read_file(dir_.file("ctl.err"));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string last_err_;
};

TEST_F(MailClientTest, PlainCSendDeliversToEveryCommaSeparatedRecipient) {
  char* id = nullptr;
  ASSERT_EQ(coproc_mail_send(client_, "app@example.org", "a@example.net, b@example.net",
                             "Hallo Welt ✓", "line 1\nline 2\n", &id),
            COPROC_OK)
      << coproc_errmsg(client_);
  ASSERT_NE(id, nullptr);
  std::string json = final_status(id);
  coproc_free(id);
  EXPECT_NE(json.find("\"state\":\"sent\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"recipients\":[\"a@example.net\",\"b@example.net\"]"), std::string::npos)
      << json;
  MimePart m = parse_mime(only_delivered_file());
  EXPECT_EQ(decode_words(m.header("Subject")), "Hallo Welt ✓");
  EXPECT_EQ(m.decoded(), "line 1\r\nline 2\r\n");
}

TEST_F(MailClientTest, BuilderSendsHtmlCcBccAndFileAttachmentsPassedAsDescriptors) {
  const std::string path = dir_.file("report.csv");
  write_file(path, "a;b\n1;2\n");
  coproc_mail* m = nullptr;
  ASSERT_EQ(coproc_mail_new(&m), COPROC_OK);
  EXPECT_EQ(coproc_mail_set(m, COPROC_MAIL_FROM, "Reports <reports@example.org>"), COPROC_OK);
  EXPECT_EQ(coproc_mail_add_to(m, "boss@example.net"), COPROC_OK);
  EXPECT_EQ(coproc_mail_add_cc(m, "team@example.net"), COPROC_OK);
  EXPECT_EQ(coproc_mail_add_bcc(m, "archive@example.net"), COPROC_OK);
  EXPECT_EQ(coproc_mail_set(m, COPROC_MAIL_SUBJECT, "Monthly"), COPROC_OK);
  EXPECT_EQ(coproc_mail_set(m, COPROC_MAIL_TEXT, "see attachment"), COPROC_OK);
  EXPECT_EQ(coproc_mail_set_html(m, "<p>see attachment</p>"), COPROC_OK);
  EXPECT_EQ(coproc_mail_add_header(m, "X-Job", "monthly-7"), COPROC_OK);
  EXPECT_EQ(coproc_mail_attach_file(m, path.c_str(), NULL), COPROC_OK);
  EXPECT_EQ(coproc_mail_attach_bytes(m, "raw.bin", "\0\1\2", 3, "application/octet-stream"), COPROC_OK);
  char* id = nullptr;
  ASSERT_EQ(coproc_mail_submit(client_, m, &id), COPROC_OK) << coproc_errmsg(client_);
  char* again = nullptr;
  ASSERT_EQ(coproc_mail_submit(client_, m, &again), COPROC_OK);
  EXPECT_STREQ(id, again) << "the same coproc_mail submitted twice must be one mail";
  coproc_mail_free(m);
  std::string json = final_status(id);
  coproc_free(id);
  coproc_free(again);
  EXPECT_NE(json.find("\"state\":\"sent\""), std::string::npos) << json;
  MimePart p = parse_mime(only_delivered_file());
  EXPECT_EQ(p.header("Cc"), "team@example.net");
  EXPECT_EQ(p.header("X-Job"), "monthly-7");
  ASSERT_EQ(p.children.size(), 3u);
  EXPECT_EQ(p.children[0].content_type(), "multipart/alternative");
  EXPECT_EQ(p.children[1].content_type(), "text/csv");
  EXPECT_EQ(p.children[1].param("Content-Disposition", "filename"), "report.csv");
  EXPECT_EQ(p.children[1].decoded(), "a;b\n1;2\n");
  EXPECT_EQ(p.children[2].decoded(), std::string("\0\1\2", 3));
}

TEST_F(MailClientTest, UnreadableAttachmentIsAnIoErrorBeforeAnythingIsSent) {
  coproc_mail* m = nullptr;
  ASSERT_EQ(coproc_mail_new(&m), COPROC_OK);
  EXPECT_EQ(coproc_mail_attach_file(m, "/nonexistent/file.pdf", NULL), COPROC_E_IO);
  EXPECT_NE(std::string(coproc_errmsg(NULL)).find("cannot open attachment '/nonexistent/file.pdf'"),
            std::string::npos)
      << coproc_errmsg(NULL);
  EXPECT_EQ(coproc_mail_attach_file(m, dir_.path().c_str(), NULL), COPROC_E_IO);
  coproc_mail_free(m);
}

TEST_F(MailClientTest, BadAddressAndUnknownIdGiveClearStatuses) {
  char* id = nullptr;
  EXPECT_EQ(coproc_mail_send(client_, "app@example.org", "not an address", "s", "b", &id),
            COPROC_E_BAD_REQUEST);
  EXPECT_EQ(id, nullptr);
  EXPECT_NE(std::string(coproc_errmsg(client_)).find("is not a valid address"), std::string::npos)
      << coproc_errmsg(client_);
  char* json = nullptr;
  EXPECT_EQ(coproc_mail_status(client_, "0123", &json), COPROC_E_NOT_FOUND);
  EXPECT_EQ(json, nullptr);
  EXPECT_EQ(coproc_mail_send(client_, NULL, "a@example.org", "s", "b", &id), COPROC_E_MISUSE);
  EXPECT_EQ(coproc_mail_set(nullptr, COPROC_MAIL_FROM, "x"), COPROC_E_MISUSE);
  coproc_mail_free(nullptr);
}

TEST_F(MailClientTest, ListShowsTheCallersMailNewestFirst) {
  char* first = nullptr;
  char* second = nullptr;
  ASSERT_EQ(coproc_mail_send(client_, "a@example.org", "b@example.org", "1", "x", &first), COPROC_OK);
  ASSERT_EQ(coproc_mail_send(client_, "a@example.org", "b@example.org", "2", "x", &second), COPROC_OK);
  final_status(first);
  final_status(second);
  char* json = nullptr;
  ASSERT_EQ(coproc_mail_list(client_, "sent", 10, &json), COPROC_OK);
  std::string list = json;
  coproc_free(json);
  EXPECT_LT(list.find(second), list.find(first)) << list;
  coproc_free(first);
  coproc_free(second);
  ASSERT_EQ(coproc_mail_list(client_, "failed", 0, &json), COPROC_OK);
  EXPECT_STREQ(json, "{\"mails\":[]}");
  coproc_free(json);
}

TEST_F(MailClientTest, JsonBridgeSendsMailWithBinaryAttachmentsAndReadsItsStatus) {
  char* json = nullptr;
  ASSERT_EQ(coproc_call_json(client_, "mail.send",
                             "{\"from\": \"app@example.org\", \"to\": [\"x@example.net\"],"
                             " \"subject\": \"from JSON\", \"text\": \"hi\","
                             " \"idempotency_key\": \"json-1\", \"attachments\": ["
                             "{\"filename\": \"a.bin\", \"data\": {\"$base64\": \"AAEC/w==\"}},"
                             "{\"filename\": \"b.txt\", \"data_base64\": \"aGVsbG8=\"}]}",
                             &json),
            COPROC_OK)
      << coproc_errmsg(client_);
  const std::string result = json;
  coproc_free(json);
  const std::size_t at = result.find("\"id\":\"");
  ASSERT_NE(at, std::string::npos) << result;
  const std::string id = result.substr(at + 6, 24);
  const std::string status = final_status(id);
  EXPECT_NE(status.find("\"state\":\"sent\""), std::string::npos) << status;
  ASSERT_EQ(coproc_call_json(client_, "mail.list", "{\"state\": \"sent\"}", &json), COPROC_OK);
  EXPECT_NE(std::string(json).find(id), std::string::npos);
  coproc_free(json);
  MimePart p = parse_mime(only_delivered_file());
  ASSERT_EQ(p.children.size(), 3u);
  EXPECT_EQ(p.children[1].decoded(), std::string("\0\1\2\xff", 4));
  EXPECT_EQ(p.children[2].decoded(), "hello");
  EXPECT_EQ(coproc_call_json(client_, "mail.send", "{\"from\": \"app@example.org\"}", &json),
            COPROC_E_BAD_REQUEST);
}

TEST_F(MailClientTest, CoprocctlSendsBodyFromStdinWithAttachmentAndShowsStatus) {
  const std::string path = dir_.file("notes.txt");
  write_file(path, "attached\n");
  std::string out;
  ASSERT_EQ(coprocctl("mail send --from app@example.org --to x@example.net --subject Notes --attach " +
                          path,
                      "body from stdin\n", &out),
            0)
      << last_err_;
  const std::string id = out.substr(0, out.find('\n'));
  ASSERT_EQ(id.size(), 24u) << out;
  final_status(id);
  ASSERT_EQ(coprocctl("--json mail status " + id, "", &out), 0) << last_err_;
  EXPECT_NE(out.find("\"state\":\"sent\""), std::string::npos) << out;
  MimePart p = parse_mime(only_delivered_file());
  ASSERT_EQ(p.children.size(), 2u);
  EXPECT_EQ(p.children[0].decoded(), "body from stdin\r\n");
  EXPECT_EQ(p.children[1].decoded(), "attached\n");
  ASSERT_EQ(coprocctl("mail list", "", &out), 0) << last_err_;
  EXPECT_NE(out.find(id), std::string::npos) << out;
}

TEST_F(MailClientTest, CoprocctlMailListIsOneLinePerMailAndNothingWithoutMail) {
  std::string out;
  ASSERT_EQ(coprocctl("mail list", "", &out), 0) << last_err_;
  EXPECT_EQ(out, "") << "no mail, no output";
  ASSERT_EQ(coprocctl("mail send --from app@example.org --to x@example.net,y@example.net "
                      "--subject 'Two words'",
                      "body\n", &out),
            0)
      << last_err_;
  const std::string id = out.substr(0, out.find('\n'));
  final_status(id);
  ASSERT_EQ(coprocctl("mail list", "", &out), 0) << last_err_;
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;  // header + one mail
  const std::string row = out.substr(out.find('\n') + 1);
  EXPECT_EQ(row.rfind(id + "  sent ", 0), 0u) << row;
  EXPECT_NE(row.find("app@example.org -> x@example.net,y@example.net  Two words\n"),
            std::string::npos)
      << row;
  ASSERT_EQ(coprocctl("mail status " + id, "", &out), 0) << last_err_;
  EXPECT_NE(out.find("\nrefused:\n"), std::string::npos) << "empty shows nothing: " << out;
  EXPECT_EQ(out.find(": -"), std::string::npos) << out;
  ASSERT_EQ(coprocctl("mail list --state failed", "", &out), 0) << last_err_;
  EXPECT_EQ(out, "");
}

TEST_F(MailClientTest, CoprocctlMailHelpPrintsTheUsage) {
  std::string out;
  ASSERT_EQ(coprocctl("mail --help", "", &out), 0) << last_err_;
  EXPECT_NE(out.find("coprocctl mail list [--state"), std::string::npos) << out;
}

TEST_F(MailClientTest, CoprocctlSendsManyWithProgressAndFailsClearly) {
  std::string out;
  ASSERT_EQ(coprocctl("mail send --from a@example.org --to b@example.org --count 250", "x", &out), 0)
      << last_err_;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 250);
  EXPECT_NE(last_err_.find("queued 250/250"), std::string::npos) << last_err_;
  EXPECT_EQ(coprocctl("mail send --from a@example.org --to 'bad address'", "x", &out), 1);
  EXPECT_NE(last_err_.find("bad_request: 'to'"), std::string::npos) << last_err_;
  EXPECT_EQ(coprocctl("mail send --from a@example.org --to b@example.org --attach /nonexistent", "x", &out), 2);
  EXPECT_EQ(coprocctl("mail status", "", &out), 2);
  EXPECT_EQ(coprocctl("mail status 0000", "", &out), 1);
  EXPECT_NE(last_err_.find("not_found"), std::string::npos) << last_err_;
}

}  // namespace
}  // namespace coproc::test
