#include "mime_builder.h"

#include <gtest/gtest.h>

#include "mail_address.h"
#include "mail_parse.h"

namespace coproc::mail {
namespace {

using test::decode_rfc2231;
using test::decode_words;
using test::parse_mime;

class MimeBuilder : public ::testing::Test {
 protected:
  MailRequest request() {
    MailRequest r;
    r.from = parse_address("Sender <sender@example.org>", "from");
    r.to = {parse_address("rcpt@example.net", "to")};
    r.subject = "Hello";
    r.text = "line one\nline two\n";
    return r;
  }
  MimeOptions options() { return MimeOptions{"<abc@test.host>", 1700000000000, "seed"}; }
};

void expect_crlf_only(const std::string& m) {
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') {
      ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << "bare LF at " << i;
    }
    if (m[i] == '\r') {
      ASSERT_TRUE(i + 1 < m.size() && m[i + 1] == '\n') << "bare CR at " << i;
    }
  }
}

void expect_short_lines(const std::string& m, size_t max) {
  size_t start = 0;
  while (start < m.size()) {
    size_t end = m.find("\r\n", start);
    if (end == std::string::npos) end = m.size();
    EXPECT_LE(end - start, max) << m.substr(start, end - start);
    start = end + 2;
  }
}

TEST_F(MimeBuilder, PlainAsciiTextIsOneSevenBitPartWithCrlfLines) {
  MailRequest r = request();
  r.text = "first\nsecond\r\nthird\rfourth";
  std::string m = build_mime(r, options());
  expect_crlf_only(m);
  auto p = parse_mime(m);
  EXPECT_EQ(p.header("From"), "Sender <sender@example.org>");
  EXPECT_EQ(p.header("To"), "rcpt@example.net");
  EXPECT_EQ(p.header("Subject"), "Hello");
  EXPECT_EQ(p.header("Message-ID"), "<abc@test.host>");
  EXPECT_EQ(p.header("Date"), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(p.header("MIME-Version"), "1.0");
  EXPECT_EQ(p.content_type(), "text/plain");
  EXPECT_EQ(p.param("Content-Type", "charset"), "utf-8");
  EXPECT_EQ(p.header("Content-Transfer-Encoding"), "7bit");
  EXPECT_EQ(p.decoded(), "first\r\nsecond\r\nthird\r\nfourth");
}

TEST_F(MimeBuilder, BccNeverAppearsInTheHeaders) {
  MailRequest r = request();
  r.bcc = {parse_address("hidden@example.com", "bcc")};
  std::string m = build_mime(r, options());
  EXPECT_EQ(m.find("hidden@example.com"), std::string::npos);
  EXPECT_EQ(r.envelope_recipients(), (std::vector<std::string>{"rcpt@example.net", "hidden@example.com"}));
}

TEST_F(MimeBuilder, Utf8SubjectAndNamesAreEncodedWordsThatDecodeBack) {
  MailRequest r = request();
  r.subject = "Grüße aus Köln – Rechnung Nr. 42 für März, bitte prüfen Sie alle Positionen 😀";
  r.from = parse_address("Jürgen Müller <jm@example.org>", "from");
  std::string m = build_mime(r, options());
  expect_short_lines(m, 78);
  for (unsigned char c : m) ASSERT_LT(c, 0x80) << "8-bit byte in a header-only message";
  auto p = parse_mime(m);
  EXPECT_EQ(decode_words(p.header("Subject")), r.subject);
  EXPECT_EQ(decode_words(p.header("From")), "Jürgen Müller <jm@example.org>");
}

TEST_F(MimeBuilder, LongAsciiSubjectIsFoldedAndUnfoldsToTheSameText) {
  MailRequest r = request();
  r.subject = "";
  for (int i = 0; i < 30; ++i) r.subject += "word" + std::to_string(i) + " ";
  r.subject += "end";
  std::string m = build_mime(r, options());
  expect_short_lines(m, 78);
  EXPECT_EQ(parse_mime(m).header("Subject"), r.subject);
}

TEST_F(MimeBuilder, TextAndHtmlBecomeMultipartAlternativeInThatOrder) {
  MailRequest r = request();
  r.text = "plain ünïcode\n";
  r.html = "<p>html</p>\n";
  auto p = parse_mime(build_mime(r, options()));
  EXPECT_EQ(p.content_type(), "multipart/alternative");
  ASSERT_EQ(p.children.size(), 2u);
  EXPECT_EQ(p.children[0].content_type(), "text/plain");
  EXPECT_EQ(p.children[0].header("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(p.children[0].decoded(), "plain ünïcode\r\n");
  EXPECT_EQ(p.children[1].content_type(), "text/html");
  EXPECT_EQ(p.children[1].decoded(), "<p>html</p>\r\n");
}

TEST_F(MimeBuilder, AttachmentsKeepEveryByteAndTheirNonAsciiNames) {
  MailRequest r = request();
  r.html = "<b>x</b>";
  std::string all_bytes;
  for (int i = 0; i < 256 * 40; ++i) all_bytes += static_cast<char>(i % 256);
  r.attachments = {{"report.pdf", "application/pdf", all_bytes},
                   {"Grüße €.txt", "text/plain", "a\nb"},
                   {"empty.bin", "application/octet-stream", ""}};
  std::string m = build_mime(r, options());
  expect_crlf_only(m);
  expect_short_lines(m, 78);
  auto p = parse_mime(m);
  EXPECT_EQ(p.content_type(), "multipart/mixed");
  ASSERT_EQ(p.children.size(), 4u);
  EXPECT_EQ(p.children[0].content_type(), "multipart/alternative");
  EXPECT_EQ(p.children[1].content_type(), "application/pdf");
  EXPECT_EQ(p.children[1].param("Content-Disposition", "filename"), "report.pdf");
  EXPECT_EQ(p.children[1].decoded(), all_bytes);
  EXPECT_EQ(decode_rfc2231(p.children[2].param("Content-Disposition", "filename*")), "Grüße €.txt");
  EXPECT_EQ(decode_words(p.children[2].param("Content-Type", "name")), "Grüße €.txt");
  EXPECT_EQ(p.children[2].decoded(), "a\nb");  // attachments are bytes, not text
  EXPECT_EQ(p.children[3].decoded(), "");
}

TEST_F(MimeBuilder, LinesStartingWithADotAreLeftForTheTransportToStuff) {
  MailRequest r = request();
  r.text = ".\n..two\n.three\n";
  auto p = parse_mime(build_mime(r, options()));
  EXPECT_EQ(p.decoded(), ".\r\n..two\r\n.three\r\n");
}

TEST_F(MimeBuilder, LongLinesUseQuotedPrintableThatDecodesExactly) {
  MailRequest r = request();
  r.text = std::string(3000, 'x') + " trailing space \n.dot after soft break?" + std::string(200, '=');
  std::string m = build_mime(r, options());
  expect_short_lines(m, 78);
  auto p = parse_mime(m);
  EXPECT_EQ(p.header("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(p.decoded(), normalize_crlf(r.text));
}

TEST_F(MimeBuilder, CustomHeadersAndReplyToArePassedOn) {
  MailRequest r = request();
  r.headers = {{"X-Invoice", "42"}, {"X-Note", "naïve"}};
  r.reply_to = {parse_address("\"Help, Desk\" <help@example.org>", "reply_to")};
  auto p = parse_mime(build_mime(r, options()));
  EXPECT_EQ(p.header("X-Invoice"), "42");
  EXPECT_EQ(decode_words(p.header("X-Note")), "naïve");
  EXPECT_EQ(p.header("Reply-To"), "\"Help, Desk\" <help@example.org>");
}

TEST_F(MimeBuilder, OnlyBccRecipientsGiveUndisclosedTo) {
  MailRequest r = request();
  r.to.clear();
  r.bcc = {parse_address("b@example.org", "bcc")};
  EXPECT_EQ(parse_mime(build_mime(r, options())).header("To"), "undisclosed-recipients:;");
}

}  // namespace
}  // namespace coproc::mail
