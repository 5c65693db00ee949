#include "raw_message.h"

#include <gtest/gtest.h>

#include "mail_test_util.h"
#include "rpc_error.h"

namespace coproc::mail {
namespace {

using test::V;

V yes() {
  V v;
  v.kind = V::boolean;
  v.i = 1;
  return v;
}

class RawMessage : public ::testing::Test {
 protected:
  // Prepares `raw` with envelope_from a@example.org and `extra` params.
  RawMail prepare(const std::string& raw, std::vector<std::pair<std::string, V>> extra = {},
                  std::uint64_t max = 1 << 20) {
    std::vector<std::pair<std::string, V>> m = {{"raw", V::bytes(raw)},
                                                {"envelope_from", V::text("a@example.org")}};
    for (auto& e : extra) m.push_back(std::move(e));
    packed_ = test::params_of(V::map(m));
    handle_ = msgpack::unpack(packed_.bytes.data(), packed_.bytes.size());
    rpc::Params params(handle_.get());
    return prepare_raw_mail(params, RawContext{max, "host.example", "<new@host.example>", 0});
  }

  std::string error(const std::string& raw, std::vector<std::pair<std::string, V>> extra = {},
                    std::uint64_t max = 1 << 20) {
    try {
      prepare(raw, std::move(extra), max);
    } catch (const RpcException& e) {
      return e.error().name + ": " + e.error().message;
    }
    return "accepted";
  }

  rpc::Packed packed_;
  msgpack::object_handle handle_;
};

TEST_F(RawMessage, KeepsTheHeaderAndBodyAndAddsOnlyWhatIsMissing) {
  RawMail m = prepare("From: Billing <billing@example.org>\nTo: c@example.net\n"
                      "Subject: Invoice\n  42\nX-Custom: kept\n\nBody line\n.\nlast\n",
                      {{"envelope_to", V::strings({"c@example.net"})}});
  EXPECT_EQ(m.message,
            "From: Billing <billing@example.org>\r\nTo: c@example.net\r\n"
            "Subject: Invoice\r\n  42\r\nX-Custom: kept\r\n"
            "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nMessage-ID: <new@host.example>\r\n"
            "\r\nBody line\r\n.\r\nlast\r\n");
  EXPECT_EQ(m.subject, "Invoice  42");
  EXPECT_EQ(m.message_id, "<new@host.example>");
  EXPECT_EQ(m.envelope_from, "a@example.org");
  EXPECT_EQ(m.recipients, std::vector<std::string>{"c@example.net"});
}

TEST_F(RawMessage, KeepsTheMessagesOwnDateAndMessageId) {
  RawMail m = prepare("Date: Mon, 2 Jan 2006 15:04:05 -0700\r\nMessage-ID: <own@x>\r\n"
                      "From: a@example.org\r\n\r\nhi\r\n",
                      {{"envelope_to", V::text("b@example.org")}});
  EXPECT_EQ(m.message_id, "<own@x>");
  EXPECT_EQ(m.message.find("<new@"), std::string::npos);
  EXPECT_EQ(m.message.find("1970"), std::string::npos);
}

TEST_F(RawMessage, RecipientsFromHeadersIncludeBccWhichIsRemoved) {
  RawMail m = prepare(
      "To: \"Doe, Jane\" <jane@example.org>, bob@example.org (Bob)\n"
      "Cc: team: x@example.org, y@example.org;\nBcc: hidden@example.org,\n secret@example.org\n"
      "Subject: s\n\nbody\n",
      {{"recipients_from_headers", yes()}, {"envelope_to", V::text("extra@example.org")}});
  EXPECT_EQ(m.recipients,
            (std::vector<std::string>{"extra@example.org", "jane@example.org", "bob@example.org",
                                      "x@example.org", "y@example.org", "hidden@example.org",
                                      "secret@example.org"}));
  EXPECT_EQ(m.message.find("Bcc"), std::string::npos);
  EXPECT_EQ(m.message.find("hidden@"), std::string::npos);
  EXPECT_EQ(m.message.find("secret@"), std::string::npos);
}

TEST_F(RawMessage, BccIsRemovedAlsoWithoutRecipientsFromHeaders) {
  RawMail m = prepare("To: a@example.org\nBCC: hidden@example.org\n\nx\n",
                      {{"envelope_to", V::text("a@example.org")}});
  EXPECT_EQ(m.message.find("hidden@"), std::string::npos);
  EXPECT_EQ(m.recipients, std::vector<std::string>{"a@example.org"});
}

TEST_F(RawMessage, UnqualifiedAddressesGetTheLocalDomain) {
  RawMail m = prepare("From: root (Cron Daemon)\nTo: root\n\nout\n",
                      {{"recipients_from_headers", yes()}, {"envelope_to", V::text("ops, Admin <admin>")}});
  EXPECT_EQ(m.recipients, (std::vector<std::string>{"ops@host.example", "admin@host.example",
                                                    "root@host.example"}));
  EXPECT_NE(m.message.find("From: root (Cron Daemon)\r\n"), std::string::npos);
}

TEST_F(RawMessage, RepeatedRecipientsAreDeliveredOnce) {
  RawMail m = prepare("To: a@example.org, A@EXAMPLE.ORG\n\nx\n",
                      {{"recipients_from_headers", yes()}, {"envelope_to", V::text("a@example.org")}});
  EXPECT_EQ(m.recipients, std::vector<std::string>{"a@example.org"});
}

TEST_F(RawMessage, MissingFromIsAddedWithTheFullName) {
  RawMail m = prepare("Subject: s\n\nx\n", {{"envelope_to", V::text("b@example.org")},
                                            {"from_name", V::text("Cron Daemon")}});
  EXPECT_NE(m.message.find("From: Cron Daemon <a@example.org>\r\n"), std::string::npos);
}

TEST_F(RawMessage, InputWithoutHeaderIsAllBody) {
  RawMail m = prepare("just text\nmore: text\n", {{"envelope_to", V::text("b@example.org")}});
  EXPECT_EQ(m.message.substr(m.message.find("\r\n\r\n")), "\r\n\r\njust text\r\nmore: text\r\n");
}

TEST_F(RawMessage, AnMboxFromLineIsDropped) {
  RawMail m = prepare("From a@example.org Mon Jan  1 00:00:00 2024\nSubject: s\n\nx\n",
                      {{"envelope_to", V::text("b@example.org")}});
  EXPECT_EQ(m.message.rfind("Subject: s\r\n", 0), 0u);
}

TEST_F(RawMessage, AHeaderThatRunsIntoTheBodyIsBadRequest) {
  EXPECT_EQ(error("Subject: s\nTo: b@example.org\nHello there\n",
                  {{"envelope_to", V::text("b@example.org")}}),
            "bad_request: line 3 of the message header is not a 'Name: value' field, and no "
            "empty line before it ends the header: \"Hello there\"");
}

TEST_F(RawMessage, MalformedInputIsBadRequest) {
  const std::vector<std::pair<std::string, V>> to = {{"envelope_to", V::text("b@example.org")}};
  EXPECT_EQ(error("", to), "bad_request: 'raw' is empty: give the whole message, header and body");
  EXPECT_EQ(error(" folded: x\n\nb\n", to),
            "bad_request: line 1 of the message header starts with white space but continues no "
            "field");
  EXPECT_EQ(error("Subject: " + std::string(1000, 'x') + "\n\nb\n", to),
            "bad_request: line 1 of the message header is longer than 998 bytes");
  EXPECT_EQ(error(std::string("Subject: a\0b\n\nb\n", 15), to),
            "bad_request: line 1 of the message header contains a NUL byte");
  EXPECT_EQ(error("Subject: \xff\xfe\n\nb\n", to),
            "bad_request: line 1 of the message header is neither ASCII nor UTF-8: \"Subject: "
            "\xff\xfe\"");
  EXPECT_EQ(error("To: not an address\n\nb\n", {{"recipients_from_headers", yes()}})
                .rfind("bad_request: 'header To': \"not an address", 0),
            0u);
}

TEST_F(RawMessage, RecipientsAndSenderAreRequired) {
  EXPECT_EQ(error("Subject: s\n\nb\n"),
            "bad_request: no recipients: give 'envelope_to', or set 'recipients_from_headers' "
            "(sendmail -t)");
  EXPECT_EQ(error("To: undisclosed-recipients:;\n\nb\n", {{"recipients_from_headers", yes()}}),
            "bad_request: no recipients: the message has no address in To, Cc or Bcc, and "
            "'envelope_to' is empty");
  packed_ = test::params_of(V::map({{"raw", V::text("x")}, {"envelope_to", V::text("b@x.org")}}));
  handle_ = msgpack::unpack(packed_.bytes.data(), packed_.bytes.size());
  try {
    prepare_raw_mail(rpc::Params(handle_.get()), RawContext{100, "h", "<m@h>", 0});
    FAIL() << "accepted without envelope_from";
  } catch (const RpcException& e) {
    EXPECT_EQ(e.error().message,
              "'envelope_from' is required with 'raw': the envelope sender (sendmail's -f)");
  }
}

TEST_F(RawMessage, TheBuildParamsCannotBeMixedIn) {
  EXPECT_EQ(error("Subject: s\n\nb\n", {{"subject", V::text("x")}}).substr(0, 12), "bad_request:");
}

TEST_F(RawMessage, OverTheSizeLimitIsTooLarge) {
  const std::string body(2000, 'x');
  EXPECT_EQ(error("Subject: s\n\n" + body, {{"envelope_to", V::text("b@example.org")}}, 1024),
            "too_large: the message is 2012 bytes; mail.max_message_bytes is 1024");
  // Within the limit as given, over it once the header fields are added.
  EXPECT_EQ(error("Subject: s\n\n" + std::string(1000, 'x'),
                  {{"envelope_to", V::text("b@example.org")}}, 1024)
                .substr(0, 30),
            "too_large: the message is 1106");
}

}  // namespace
}  // namespace coproc::mail
