// The smtp transport against a real SMTP server (aiosmtpd) on 127.0.0.1:
// TLS modes, certificate checks, AUTH and the server's replies.
#include "smtp_transport.h"

#include <gtest/gtest.h>

#include "mail_parse.h"
#include "smtp_test_server.h"

namespace coproc::mail {
namespace {

using test::SmtpTestServer;
using test::test_pki;

const char* const kMessage =
    "From: a@example.org\r\nTo: b@example.org\r\nSubject: t\r\n\r\n"
    "line\r\n.\r\n..two dots\r\n.one dot\r\nlast\r\n";

class SmtpTransportTest : public ::testing::Test {
 protected:
  SmtpSettings settings(int port, SmtpSecurity security) {
    SmtpSettings s;
    s.host = "127.0.0.1";
    s.port = port;
    s.security = security;
    s.ca_file = test_pki().ca;
    s.timeout_ms = 10000;
    s.helo_name = "client.test";
    return s;
  }
  // Delivers kMessage; returns "" or the DeliveryError text prefixed with
  // "permanent: " / "transient: ".
  std::string deliver(const SmtpSettings& s) {
    try {
      SmtpTransport transport(s);
      auto session = transport.open();
      session->send(Envelope{"id1", "a@example.org", {"b@example.org", "c@example.org"}}, kMessage);
      session->close();
      return "";
    } catch (const DeliveryError& e) {
      return std::string(e.permanent() ? "permanent: " : "transient: ") + e.what();
    }
  }
  SmtpTestServer::Options starttls() {
    SmtpTestServer::Options o;
    o.tls = "starttls";
    o.cert = test_pki().good_cert;
    o.key = test_pki().good_key;
    return o;
  }
};

TEST_F(SmtpTransportTest, StartTlsVerifiedAgainstTheTestCaDeliversTheExactBytes) {
  SmtpTestServer server(starttls());
  server.start();
  EXPECT_EQ(deliver(settings(server.port(), SmtpSecurity::starttls)), "");
  ASSERT_EQ(server.count(), 1u);
  EXPECT_EQ(server.messages()[0], kMessage) << "dot lines must survive dot-stuffing";
  EXPECT_NE(server.envelopes()[0].find("\"tls\": true"), std::string::npos);
  EXPECT_NE(server.envelopes()[0].find("c@example.org"), std::string::npos);
  EXPECT_NE(server.events().find("STARTTLS"), std::string::npos);
}

TEST_F(SmtpTransportTest, ImplicitTlsDelivers) {
  auto o = starttls();
  o.tls = "implicit";
  SmtpTestServer server(o);
  server.start();
  EXPECT_EQ(deliver(settings(server.port(), SmtpSecurity::tls)), "");
  ASSERT_EQ(server.count(), 1u);
  EXPECT_NE(server.envelopes()[0].find("\"tls\": true"), std::string::npos);
}

TEST_F(SmtpTransportTest, PlainSmtpDeliversWhenSecurityIsNone) {
  SmtpTestServer server({});
  server.start();
  EXPECT_EQ(deliver(settings(server.port(), SmtpSecurity::none)), "");
  EXPECT_EQ(server.count(), 1u);
}

TEST_F(SmtpTransportTest, AuthPlainIsChosenWhenOffered) {
  auto o = starttls();
  o.user = "alice";
  o.password = "s3cret";
  SmtpTestServer server(o);
  server.start();
  auto s = settings(server.port(), SmtpSecurity::starttls);
  s.username = "alice";
  s.password = "s3cret";
  EXPECT_EQ(deliver(s), "");
  EXPECT_NE(server.events().find("AUTH-RESULT PLAIN ok tls=True"), std::string::npos) << server.events();
  EXPECT_NE(server.envelopes()[0].find("\"authenticated\": true"), std::string::npos);
}

TEST_F(SmtpTransportTest, AuthLoginIsUsedWhenItIsTheOnlyMechanism) {
  auto o = starttls();
  o.user = "alice";
  o.password = "s3cret";
  o.mechanisms = "LOGIN";
  SmtpTestServer server(o);
  server.start();
  auto s = settings(server.port(), SmtpSecurity::starttls);
  s.username = "alice";
  s.password = "s3cret";
  EXPECT_EQ(deliver(s), "");
  EXPECT_NE(server.events().find("AUTH-RESULT LOGIN ok tls=True"), std::string::npos) << server.events();
}

TEST_F(SmtpTransportTest, WrongPasswordIsAPermanentFailureWithTheServersReply) {
  auto o = starttls();
  o.user = "alice";
  o.password = "s3cret";
  SmtpTestServer server(o);
  server.start();
  auto s = settings(server.port(), SmtpSecurity::starttls);
  s.username = "alice";
  s.password = "wrong";
  std::string e = deliver(s);
  EXPECT_EQ(e.rfind("permanent: AUTH PLAIN as 'alice' failed: 535", 0), 0u) << e;
  EXPECT_EQ(e.find("wrong"), std::string::npos) << "the password must never appear in an error";
  EXPECT_EQ(server.count(), 0u);
}

TEST_F(SmtpTransportTest, MissingStartTlsFailsAndNoCredentialsAreSentInClear) {
  SmtpTestServer::Options o;  // plain server that offers AUTH without TLS
  o.user = "alice";
  o.password = "s3cret";
  o.auth_in_clear = true;
  SmtpTestServer server(o);
  server.start();
  auto s = settings(server.port(), SmtpSecurity::starttls);
  s.username = "alice";
  s.password = "s3cret";
  std::string e = deliver(s);
  EXPECT_EQ(e.rfind("transient: the relay does not offer STARTTLS", 0), 0u) << e;
  EXPECT_NE(server.events().find("EHLO client.test tls=False"), std::string::npos);
  EXPECT_EQ(server.events().find("AUTH"), std::string::npos) << server.events();
  EXPECT_EQ(server.count(), 0u);
}

TEST_F(SmtpTransportTest, CertificateForAnotherHostNameIsRejected) {
  auto o = starttls();
  o.cert = test_pki().wrong_cert;
  o.key = test_pki().wrong_key;
  o.user = "alice";
  o.password = "s3cret";
  SmtpTestServer server(o);
  server.start();
  auto s = settings(server.port(), SmtpSecurity::starttls);
  s.username = "alice";
  s.password = "s3cret";
  std::string e = deliver(s);
  EXPECT_EQ(e.rfind("transient: TLS with 127.0.0.1 failed", 0), 0u) << e;
  EXPECT_EQ(server.events().find("AUTH"), std::string::npos) << server.events();
  EXPECT_EQ(server.count(), 0u);
}

TEST_F(SmtpTransportTest, CertificateFromAnUnknownCaIsRejected) {
  auto o = starttls();
  o.tls = "implicit";
  SmtpTestServer server(o);
  server.start();
  auto s = settings(server.port(), SmtpSecurity::tls);
  s.ca_file = "";  // the system store does not know the test CA
  std::string e = deliver(s);
  EXPECT_EQ(e.rfind("transient: TLS with 127.0.0.1 failed", 0), 0u) << e;
  EXPECT_EQ(server.count(), 0u);
}

TEST_F(SmtpTransportTest, VerificationSwitchedOffAcceptsAnyCertificate) {
  auto o = starttls();
  o.cert = test_pki().wrong_cert;
  o.key = test_pki().wrong_key;
  SmtpTestServer server(o);
  server.start();
  auto s = settings(server.port(), SmtpSecurity::starttls);
  s.verify_tls = false;
  s.ca_file = "";
  EXPECT_EQ(deliver(s), "");
  EXPECT_EQ(server.count(), 1u);
}

TEST_F(SmtpTransportTest, FiveHundredReplyIsPermanentAndFourHundredTransient) {
  SmtpTestServer::Options o;
  o.data_reply = "554 5.7.1 rejected by policy";
  SmtpTestServer reject(o);
  reject.start();
  EXPECT_EQ(deliver(settings(reject.port(), SmtpSecurity::none)),
            "permanent: the relay rejected the message: The server rejected the message: 554 "
            "5.7.1 rejected by policy");
  o.data_reply = "451 4.3.0 try again later";
  SmtpTestServer later(o);
  later.start();
  EXPECT_EQ(deliver(settings(later.port(), SmtpSecurity::none)),
            "transient: the relay rejected the message: The server rejected the message: 451 "
            "4.3.0 try again later");
}

TEST_F(SmtpTransportTest, ServerDownIsATransientFailure) {
  SmtpTestServer server({});
  server.start();
  const int port = server.port();
  server.stop();
  std::string e = deliver(settings(port, SmtpSecurity::none));
  EXPECT_EQ(e.rfind("transient: cannot reach the relay 127.0.0.1:" + std::to_string(port), 0), 0u)
      << e;
}

TEST_F(SmtpTransportTest, OneSessionDeliversSeveralMessages) {
  SmtpTestServer server(starttls());
  server.start();
  SmtpTransport transport(settings(server.port(), SmtpSecurity::starttls));
  auto session = transport.open();
  for (int i = 0; i < 5; ++i) session->send(Envelope{"x", "a@example.org", {"b@example.org"}}, kMessage);
  session->close();
  EXPECT_EQ(server.count(), 5u);
  std::string ev = server.events();
  size_t starttls_count = 0;
  for (size_t p = ev.find("STARTTLS"); p != std::string::npos; p = ev.find("STARTTLS", p + 1)) ++starttls_count;
  EXPECT_EQ(starttls_count, 1u);
}

}  // namespace
}  // namespace coproc::mail
