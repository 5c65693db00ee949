// The smtp transport against a real SMTP server (aiosmtpd) on 127.0.0.1:
// TLS modes, certificate checks, AUTH and the server's replies.
#include "smtp_transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

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
  SmtpTestServer::Options starttls() { return SmtpTestServer::Options::secure("starttls"); }
  // A STARTTLS server that lets alice in with "s3cret".
  SmtpTestServer::Options with_auth(const std::string& mechanisms = "PLAIN LOGIN") {
    auto o = SmtpTestServer::Options::secure("starttls", "alice", "s3cret");
    o.mechanisms = mechanisms;
    return o;
  }
  // Settings that log in as alice with `password`.
  SmtpSettings as_alice(int port, const std::string& password) {
    auto s = settings(port, SmtpSecurity::starttls);
    s.username = "alice";
    s.password = password;
    return s;
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
  SmtpTestServer server(with_auth());
  server.start();
  EXPECT_EQ(deliver(as_alice(server.port(), "s3cret")), "");
  EXPECT_NE(server.events().find("AUTH-RESULT PLAIN ok tls=True"), std::string::npos) << server.events();
  EXPECT_NE(server.envelopes()[0].find("\"authenticated\": true"), std::string::npos);
}

TEST_F(SmtpTransportTest, AuthLoginIsUsedWhenItIsTheOnlyMechanism) {
  SmtpTestServer server(with_auth("LOGIN"));
  server.start();
  EXPECT_EQ(deliver(as_alice(server.port(), "s3cret")), "");
  EXPECT_NE(server.events().find("AUTH-RESULT LOGIN ok tls=True"), std::string::npos) << server.events();
}

TEST_F(SmtpTransportTest, WrongPasswordIsAPermanentFailureWithTheServersReply) {
  SmtpTestServer server(with_auth());
  server.start();
  std::string e = deliver(as_alice(server.port(), "wrong"));
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
  std::string e = deliver(as_alice(server.port(), "s3cret"));
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
  std::string e = deliver(as_alice(server.port(), "s3cret"));
  EXPECT_EQ(e.rfind("transient: certificate: TLS with 127.0.0.1 failed: the relay's certificate is not valid for the host name '127.0.0.1'", 0), 0u) << e;
  // Both sides of the mismatch are named.
  EXPECT_NE(e.find("the relay's certificate is for 'wrong-host.invalid', not for '127.0.0.1' "
                   "(smtp.host)"),
            std::string::npos)
      << e;
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

TEST_F(SmtpTransportTest, ClosingAfterAStalledReplyWaitsBrieflyForQuitNotAFullTimeout) {
  SmtpTestServer::Options o;
  o.delay_ms = 15000;  // the relay sits on the message
  SmtpTestServer server(o);
  server.start();
  auto s = settings(server.port(), SmtpSecurity::none);
  s.timeout_ms = 4000;
  SmtpTransport transport(s);
  auto session = transport.open();
  EXPECT_THROW(session->send(Envelope{"id1", "a@example.org", {"b@example.org"}}, kMessage),
               DeliveryError);
  const auto start = std::chrono::steady_clock::now();
  session.reset();  // QUIT, whose reply never comes: the stalled relay is still busy
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_LT(ms, 2500) << "closing waited for QUIT as long as smtp.timeout_ms";
}

TEST_F(SmtpTransportTest, InterruptEndsADeliveryBlockedOnASlowRelayAtOnce) {
  SmtpTestServer::Options o;
  o.delay_ms = 30000;
  SmtpTestServer server(o);
  server.start();
  auto s = settings(server.port(), SmtpSecurity::none);
  s.timeout_ms = 30000;
  SmtpTransport transport(s);
  auto session = transport.open();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    transport.interrupt();  // what DeliveryService::stop() does on SIGTERM
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    session->send(Envelope{"id1", "a@example.org", {"b@example.org"}}, kMessage);
    ADD_FAILURE() << "the blocked send returned normally";
  } catch (const DeliveryError& e) {
    EXPECT_FALSE(e.permanent()) << e.what();
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  stopper.join();
  EXPECT_LT(ms, 5000) << "the delivery waited for the relay after interrupt()";
  session.reset();
  std::string e;
  try {
    transport.open();
  } catch (const DeliveryError& ex) {
    e = ex.what();
  }
  EXPECT_NE(e.find("the co-process is stopping"), std::string::npos) << e;
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

// Each RCPT TO is answered on its own (tests/support/smtp_server.py: nobody@
// is unknown, busy@ is full); the session reports who was refused.
TEST_F(SmtpTransportTest, RefusedRecipientsAreReportedAndTheOthersGetTheMessage) {
  SmtpTestServer server({});
  server.start();
  SmtpTransport transport(settings(server.port(), SmtpSecurity::none));
  auto session = transport.open();
  auto refused = session->send(
      Envelope{"id1", "a@example.org", {"b@example.org", "nobody@example.org", "busy@example.org"}},
      kMessage);
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].address, "nobody@example.org");
  EXPECT_TRUE(refused[0].permanent);
  EXPECT_EQ(refused[0].reply.rfind("550 5.1.1", 0), 0u) << refused[0].reply;
  EXPECT_EQ(refused[1].address, "busy@example.org");
  EXPECT_FALSE(refused[1].permanent) << "a 452 may succeed later";
  ASSERT_EQ(server.count(), 1u);
  EXPECT_NE(server.envelopes()[0].find("\"rcpt_tos\": [\"b@example.org\"]"), std::string::npos)
      << server.envelopes()[0];

  // Everyone refused: nothing is sent, no exception, and the session goes on.
  refused = session->send(Envelope{"id2", "a@example.org", {"nobody@example.org"}}, kMessage);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(server.count(), 1u);
  EXPECT_TRUE(session->send(Envelope{"id3", "a@example.org", {"c@example.org"}}, kMessage).empty());
  EXPECT_EQ(server.count(), 2u);
  session->close();
}

}  // namespace
}  // namespace coproc::mail
