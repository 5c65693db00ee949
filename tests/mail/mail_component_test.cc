// mail.* through the real coprocess binary, delivering to a real SMTP
// server (aiosmtpd) or to the maildir transport.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "coprocess_fixture.h"
#include "mail_parse.h"
#include "mail_test_util.h"
#include "smtp_test_server.h"
#include "test_users.h"

namespace coproc::test {
namespace {

constexpr auto kLong = std::chrono::seconds(60);

class MailComponentTest : public CoprocessFixture {
 protected:
  // --set options pointing the coprocess at `server`.
  std::vector<std::string> relay(const SmtpTestServer& server, const std::string& security,
                                 std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--set", "smtp.host=127.0.0.1",
                                     "--set", "smtp.port=" + std::to_string(server.port()),
                                     "--set", "smtp.security=" + security,
                                     "--set", "smtp.ca_file=" + test_pki().ca,
                                     "--set", "mail.retry_initial_ms=200",
                                     "--set", "mail.retry_max_ms=500"};
    for (auto& m : more) args.push_back(m);
    return args;
  }

  static V simple_mail(const std::string& subject = "hello") {
    return V::map({{"from", V::text("app@example.org")},
                   {"to", V::strings({"user@example.net"})},
                   {"subject", V::text(subject)},
                   {"text", V::text("body\n")}});
  }

  // Sends and expects success; returns the id.
  std::string send_ok(RawClient& c, const V& mail, const std::vector<int>& fds = {}) {
    rpc::Response r = send(c, mail, fds);
    EXPECT_FALSE(r.error) << r.error->name << ": " << r.error->message;
    if (r.error) return "";
    EXPECT_EQ(field(r.result, "state"), "queued");
    return field(r.result, "id");
  }

  rpc::Response send(RawClient& c, const V& mail, const std::vector<int>& fds = {}) {
    c.send_bytes(rpc::encode_request(next_id_, "mail.send", params_of(mail)), fds);
    return c.receive_response(std::chrono::seconds(30));
  }

  std::string error_of(const rpc::Response& r) {
    return r.error ? r.error->name + ": " + r.error->message : "ok";
  }

  // mail.status result; the test fails on an error.
  rpc::Response status(RawClient& c, const std::string& id) {
    return c.call("mail.status", params_of(V::map({{"id", V::text(id)}})));
  }

  bool wait_state(RawClient& c, const std::string& id, const std::string& state) {
    return wait_until(
        [&] {
          auto r = status(c, id);
          return !r.error && field(r.result, "state") == state;
        },
        kLong);
  }

  std::size_t listed(RawClient& c, const V& params = V::map({})) {
    auto r = c.call("mail.list", params_of(params));
    if (r.error) return 999999;
    return map_get(r.result, "mails")->via.array.size;
  }

  std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') out.push_back(dir + "/" + e->d_name);
      }
      ::closedir(d);
    }
    return out;
  }

  rpc::MsgId next_id_ = 1000;
};

std::string header_of(const std::string& message, const std::string& name) {
  return parse_mime(message).header(name);
}

TEST_F(MailComponentTest, DeliversThroughStartTlsWithAuthAndTheServerGetsTheExactMessage) {
  SmtpTestServer server(SmtpTestServer::Options::secure("starttls", "app", "pa55-w0rd"));
  server.start();
  start_coprocess(relay(server, "starttls",
                        {"--set", "smtp.username=app", "--set", "smtp.password=pa55-w0rd"}));
  auto c = connect();

  std::string binary;
  for (int i = 0; i < 70000; ++i) binary += static_cast<char>((i * 7) % 256);
  const std::string from_file = "passed by descriptor\n\x01\x02\xff";
  write_file(dir_.file("attach.dat"), from_file);
  int fd = ::open(dir_.file("attach.dat").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  const std::string subject = "Rechnung für März – Ärger 😀";
  const std::string text = "Hello,\n.\n..two dots\n.one dot\nünïcödé line\n";
  std::string id = send_ok(
      *c,
      V::map({{"from", V::text("Jürgen App <app@example.org>")},
              {"to", V::strings({"one@example.net", "Two <two@example.net>"})},
              {"cc", V::strings({"cc@example.net"})},
              {"bcc", V::strings({"secret@example.net"})},
              {"subject", V::text(subject)},
              {"text", V::text(text)},
              {"html", V::text("<p>Hello</p>")},
              {"headers", V::map({{"X-Invoice", V::text("42")}})},
              {"attachments",
               V::list({V::map({{"filename", V::text("data.bin")}, {"data", V::bytes(binary)}}),
                        V::map({{"filename", V::text("Übersicht.txt")}, {"fd", V::num(0)}})})}}),
      {fd});
  ::close(fd);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_state(*c, id, "sent")) << log();
  ASSERT_EQ(server.count(), 1u);

  const std::string raw = server.messages()[0];
  auto st = status(*c, id);
  EXPECT_EQ(header_of(raw, "Message-ID"), field(st.result, "message_id"));
  EXPECT_EQ(int_field(st.result, "attempts"), 1);
  EXPECT_GT(int_field(st.result, "sent_ms"), 0);
  EXPECT_EQ(raw.find("secret@example.net"), std::string::npos) << "Bcc leaked into the headers";
  const std::string env = server.envelopes()[0];
  EXPECT_NE(env.find("secret@example.net"), std::string::npos);
  EXPECT_NE(env.find("\"mail_from\": \"app@example.org\""), std::string::npos);
  EXPECT_NE(env.find("\"tls\": true"), std::string::npos);
  EXPECT_NE(env.find("\"authenticated\": true"), std::string::npos);

  MimePart m = parse_mime(raw);
  EXPECT_EQ(decode_words(m.header("Subject")), subject);
  EXPECT_EQ(decode_words(m.header("From")), "Jürgen App <app@example.org>");
  EXPECT_EQ(m.header("To"), "one@example.net, Two <two@example.net>");
  EXPECT_EQ(m.header("Cc"), "cc@example.net");
  EXPECT_EQ(m.header("X-Invoice"), "42");
  ASSERT_EQ(m.content_type(), "multipart/mixed");
  ASSERT_EQ(m.children.size(), 3u);
  ASSERT_EQ(m.children[0].content_type(), "multipart/alternative");
  ASSERT_EQ(m.children[0].children.size(), 2u);
  EXPECT_EQ(m.children[0].children[0].decoded(),
            "Hello,\r\n.\r\n..two dots\r\n.one dot\r\nünïcödé line\r\n");
  EXPECT_EQ(m.children[0].children[1].content_type(), "text/html");
  EXPECT_EQ(m.children[0].children[1].decoded(), "<p>Hello</p>");
  EXPECT_EQ(m.children[1].content_type(), "application/octet-stream");
  EXPECT_EQ(m.children[1].decoded(), binary);
  EXPECT_EQ(m.children[2].content_type(), "text/plain");
  EXPECT_EQ(decode_rfc2231(m.children[2].param("Content-Disposition", "filename*")), "Übersicht.txt");
  EXPECT_EQ(m.children[2].decoded(), from_file);
  EXPECT_EQ(log().find("pa55-w0rd"), std::string::npos) << "the password reached the log";
}

TEST_F(MailComponentTest, MaildirIsTheDefaultTransportAndWritesEmlFiles) {
  start_coprocess();
  auto c = connect();
  std::string id = send_ok(*c, simple_mail("to the maildir"));
  ASSERT_TRUE(wait_state(*c, id, "sent")) << log();
  auto files = files_in(state_dir() + "/maildir/new");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].substr(files[0].size() - 4), ".eml");
  const std::string eml = read_file(files[0]);
  EXPECT_EQ(header_of(eml, "Subject"), "to the maildir");
  EXPECT_EQ(header_of(eml, "Delivered-To"), "user@example.net");
  EXPECT_TRUE(files_in(state_dir() + "/maildir/tmp").empty());
  auto s = c->call("sys.status");
  ASSERT_FALSE(s.error);
  const msgpack::object* outbox = map_get(s.result, "outbox");
  ASSERT_TRUE(outbox);
  EXPECT_EQ(int_field(*outbox, "sent"), 1);
  EXPECT_EQ(int_field(*outbox, "queued"), 0);
}

TEST_F(MailComponentTest, ServerDownKeepsTheMailQueuedUntilTheServerComesUp) {
  SmtpTestServer server({});
  server.start();
  server.stop();
  start_coprocess(relay(server, "none"));
  auto c = connect();
  std::string id = send_ok(*c, simple_mail("while down"));
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = status(*c, id);
        return int_field(r.result, "attempts") >= 2;
      },
      kLong));
  auto r = status(*c, id);
  EXPECT_EQ(field(r.result, "state"), "queued");
  EXPECT_NE(field(r.result, "last_error").find("cannot reach the relay"), std::string::npos)
      << field(r.result, "last_error");
  EXPECT_GT(int_field(r.result, "next_attempt_ms"), 0);
  server.start();  // same port
  ASSERT_TRUE(wait_state(*c, id, "sent")) << log();
  EXPECT_EQ(server.count(), 1u);
  EXPECT_EQ(header_of(server.messages()[0], "Subject"), "while down");
}

// Mail to several recipients, where the relay answers RCPT TO for each one
// on its own (see tests/support/smtp_server.py for its rules).
V mail_to(const std::vector<std::string>& to, const std::string& subject) {
  return V::map({{"from", V::text("app@example.org")},
                 {"to", V::strings(to)},
                 {"subject", V::text(subject)},
                 {"text", V::text("body\n")}});
}

// The strings of an array field, or of one key of each map in it.
std::vector<std::string> strings_of(const msgpack::object& result, const std::string& key,
                                    const std::string& inner = "") {
  std::vector<std::string> out;
  const msgpack::object* list = map_get(result, key);
  if (!list || list->type != msgpack::type::ARRAY) return {"<no " + key + ">"};
  for (std::uint32_t i = 0; i < list->via.array.size; ++i) {
    const msgpack::object& item = list->via.array.ptr[i];
    out.push_back(inner.empty() ? item.as<std::string>() : field(item, inner));
  }
  return out;
}

// ann@ got the first attempt, later@ (deferred once) the second: two
// messages, one recipient each, the same Message-ID.
void expect_ann_then_later(const SmtpTestServer& server) {
  ASSERT_EQ(server.count(), 2u);
  EXPECT_NE(server.envelopes()[0].find("\"rcpt_tos\": [\"ann@example.net\"]"), std::string::npos)
      << server.envelopes()[0];
  EXPECT_NE(server.envelopes()[1].find("\"rcpt_tos\": [\"later@example.net\"]"), std::string::npos)
      << server.envelopes()[1];
  EXPECT_EQ(header_of(server.messages()[0], "Message-ID"), header_of(server.messages()[1], "Message-ID"));
}

TEST_F(MailComponentTest, AnUnknownRecipientDoesNotKeepTheMailFromTheOthers) {
  SmtpTestServer server({});
  server.start();
  start_coprocess(relay(server, "none"));
  auto c = connect();
  std::string id = send_ok(*c, mail_to({"ann@example.net", "nobody@example.net"}, "partly"));
  ASSERT_TRUE(wait_state(*c, id, "sent")) << log();
  auto r = status(*c, id);
  EXPECT_EQ(strings_of(r.result, "delivered_to"), std::vector<std::string>{"ann@example.net"});
  EXPECT_EQ(strings_of(r.result, "refused", "address"),
            std::vector<std::string>{"nobody@example.net"});
  const std::string reply = strings_of(r.result, "refused", "reply").at(0);
  EXPECT_EQ(reply.rfind("550 5.1.1", 0), 0u) << reply;
  EXPECT_NE(field(r.result, "last_error").find("RCPT TO:<nobody@example.net> refused: 550"),
            std::string::npos)
      << field(r.result, "last_error");
  EXPECT_EQ(int_field(r.result, "attempts"), 1);
  ASSERT_EQ(server.count(), 1u);
  EXPECT_NE(server.envelopes()[0].find("\"rcpt_tos\": [\"ann@example.net\"]"), std::string::npos)
      << server.envelopes()[0];
}

TEST_F(MailComponentTest, EveryRecipientRefusedFailsAtOnceAndTheSessionGoesOn) {
  SmtpTestServer server({});
  server.start();
  start_coprocess(relay(server, "none"));
  auto c = connect();
  std::string id = send_ok(*c, mail_to({"nobody@example.net"}, "to no one"));
  ASSERT_TRUE(wait_state(*c, id, "failed")) << log();
  auto r = status(*c, id);
  EXPECT_EQ(int_field(r.result, "attempts"), 1) << "a 5xx is not retried";
  EXPECT_NE(field(r.result, "last_error").find("550 5.1.1"), std::string::npos)
      << field(r.result, "last_error");
  EXPECT_EQ(strings_of(r.result, "delivered_to"), std::vector<std::string>{});
  EXPECT_EQ(server.count(), 0u) << "no DATA without a recipient";
  // The next mail goes through (on the same session, after RSET).
  std::string next = send_ok(*c, mail_to({"ann@example.net"}, "next"));
  ASSERT_TRUE(wait_state(*c, next, "sent")) << log();
  EXPECT_EQ(server.count(), 1u);
}

TEST_F(MailComponentTest, ADeferredRecipientIsRetriedAloneWithTheSameMessage) {
  SmtpTestServer server({});
  server.start();
  start_coprocess(relay(server, "none"));
  auto c = connect();
  std::string id = send_ok(*c, mail_to({"ann@example.net", "later@example.net"}, "in two goes"));
  ASSERT_TRUE(wait_state(*c, id, "sent")) << log();
  auto r = status(*c, id);
  EXPECT_EQ(strings_of(r.result, "delivered_to"),
            (std::vector<std::string>{"ann@example.net", "later@example.net"}));
  EXPECT_EQ(strings_of(r.result, "refused", "address"), std::vector<std::string>{});
  EXPECT_EQ(int_field(r.result, "attempts"), 2);
  EXPECT_EQ(field(r.result, "last_error"), "");
  expect_ann_then_later(server);
}

// Which recipients are done is stored with the mail: a co-process restarted
// between the two attempts sends only to the one still pending.
TEST_F(MailComponentTest, ARestartBetweenAttemptsDoesNotResendToDeliveredRecipients) {
  SmtpTestServer server({});
  server.start();
  const auto slow_retry = relay(server, "none", {"--set", "mail.retry_initial_ms=3000", "--set",
                                                 "mail.retry_max_ms=3000"});
  start_coprocess(slow_retry);
  auto c = connect();
  std::string id = send_ok(*c, mail_to({"ann@example.net", "later@example.net"}, "restart"));
  ASSERT_TRUE(wait_until(
      [&] { return strings_of(status(*c, id).result, "delivered_to").size() == 1; }, kLong))
      << log();
  EXPECT_EQ(field(status(*c, id).result, "state"), "queued");
  c.reset();
  ASSERT_EQ(stop_coprocess(), 0);
  start_coprocess(slow_retry);
  c = connect();
  ASSERT_TRUE(wait_state(*c, id, "sent")) << log();
  EXPECT_EQ(strings_of(status(*c, id).result, "delivered_to"),
            (std::vector<std::string>{"ann@example.net", "later@example.net"}));
  expect_ann_then_later(server);
}

// SIGTERM while a delivery is in progress (the relay sits on DATA for 20 s):
// the co-process interrupts the session instead of waiting for the relay,
// exits cleanly, and the mail — never confirmed by the relay — is still in
// the outbox and leaves after the restart.
TEST_F(MailComponentTest, SigtermDuringADeliveryStopsPromptlyAndLosesNoMail) {
  SmtpTestServer::Options slow_options;
  slow_options.delay_ms = 20000;
  SmtpTestServer slow(slow_options);
  slow.start();
  start_coprocess(relay(slow, "none"));
  auto c = connect();
  const std::string id = send_ok(*c, simple_mail("interrupted"));
  ASSERT_TRUE(wait_state(*c, id, "sending")) << log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // into the relay's DATA
  c.reset();
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(stop_coprocess(), 0) << log();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(8)) << "the stop waited for the relay";

  SmtpTestServer fast({});
  fast.start();
  start_coprocess(relay(fast, "none"));
  c = connect();
  ASSERT_TRUE(wait_state(*c, id, "sent")) << log();
  ASSERT_EQ(fast.count(), 1u);
  EXPECT_EQ(header_of(fast.messages()[0], "Subject"), "interrupted");
}

TEST_F(MailComponentTest, ARecipientDeferredPastMaxAgeIsListedAsRefused) {
  SmtpTestServer server({});
  server.start();
  start_coprocess(relay(server, "none", {"--set", "mail.max_age_s=2"}));
  auto c = connect();
  std::string id = send_ok(*c, mail_to({"ann@example.net", "busy@example.net"}, "full box"));
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = status(*c, id);
        return !r.error && !strings_of(r.result, "refused", "address").empty();
      },
      kLong))
      << log();
  auto r = status(*c, id);
  EXPECT_EQ(field(r.result, "state"), "sent") << "ann has it";
  EXPECT_EQ(strings_of(r.result, "delivered_to"), std::vector<std::string>{"ann@example.net"});
  const std::string reply = strings_of(r.result, "refused", "reply").at(0);
  EXPECT_EQ(reply.rfind("gave up after mail.max_age_s: ", 0), 0u) << reply;
  EXPECT_NE(reply.find("452 4.2.2"), std::string::npos) << reply;
  EXPECT_GE(int_field(r.result, "attempts"), 2);
  EXPECT_EQ(server.count(), 1u);
}

TEST_F(MailComponentTest, WrongPasswordEndsFailedWithTheServersReply) {
  SmtpTestServer server(SmtpTestServer::Options::secure("implicit", "app", "right"));
  server.start();
  start_coprocess(relay(server, "tls", {"--set", "smtp.username=app", "--set", "smtp.password=wrong-one"}));
  auto c = connect();
  std::string id = send_ok(*c, simple_mail());
  ASSERT_TRUE(wait_state(*c, id, "failed")) << log();
  auto r = status(*c, id);
  EXPECT_EQ(field(r.result, "last_error").rfind("AUTH PLAIN as 'app' failed: 535", 0), 0u)
      << field(r.result, "last_error");
  EXPECT_EQ(int_field(r.result, "attempts"), 1);
  EXPECT_EQ(server.count(), 0u);
  EXPECT_EQ(log().find("wrong-one"), std::string::npos);
}

TEST_F(MailComponentTest, StartTlsMissingNeverSendsCredentialsAndFailsAtMaxAge) {
  SmtpTestServer::Options o;
  o.user = "app";
  o.password = "pw";
  o.auth_in_clear = true;
  SmtpTestServer server(o);
  server.start();
  start_coprocess(relay(server, "starttls", {"--set", "smtp.username=app", "--set",
                                             "smtp.password=pw", "--set", "mail.max_age_s=2"}));
  auto c = connect();
  std::string id = send_ok(*c, simple_mail());
  ASSERT_TRUE(wait_state(*c, id, "failed")) << log();
  auto r = status(*c, id);
  EXPECT_NE(field(r.result, "last_error").find("does not offer STARTTLS"), std::string::npos);
  EXPECT_EQ(server.events().find("AUTH"), std::string::npos) << server.events();
  EXPECT_EQ(server.count(), 0u);
}

TEST_F(MailComponentTest, BadInputGetsAClearErrorAndNothingIsQueued) {
  start_coprocess({"--set", "mail.max_message_bytes=4096"});
  auto c = connect();
  auto expect_error = [&](const V& mail, const std::string& name, const std::string& start) {
    std::string e = error_of(send(*c, mail));
    EXPECT_EQ(e.rfind(name + ": " + start, 0), 0u) << e;
  };
  expect_error(V::map({{"from", V::text("a@example.org")}, {"subject", V::text("x")}}),
               "bad_request", "no recipients");
  expect_error(V::map({{"from", V::text("a@example.org")}, {"to", V::text("not an address")}}),
               "bad_request", "'to': \"not an address\" is not a valid address");
  expect_error(V::map({{"from", V::text("a@example.org")}, {"to", V::text("b@example.org")},
                       {"subject", V::text("x\r\nBcc: evil@example.org")}}),
               "bad_request", "'subject' contains a CR, LF or NUL");
  expect_error(V::map({{"from", V::text("a@example.org")}, {"to", V::text("b@example.org")},
                       {"headers", V::map({{"X-A", V::text("1\nX-B: 2")}})}}),
               "bad_request", "header 'X-A' contains a CR, LF or NUL");
  expect_error(V::map({{"from", V::text("a@example.org")}, {"to", V::text("b@example.org")},
                       {"attachments", V::list({V::map({{"filename", V::text("big")},
                                                        {"data", V::bytes(std::string(5000, 'x'))}})})}}),
               "too_large", "attachment 'big' makes the message larger than mail.max_message_bytes");
  expect_error(V::map({{"from", V::text("a@example.org")}, {"to", V::text("b@example.org")},
                       {"attachments", V::list({V::map({{"filename", V::text("shadow")},
                                                        {"path", V::text("/etc/shadow")}})})}}),
               "bad_request", "'attachments[0]': a path is never accepted");
  expect_error(V::map({{"from", V::text("a@example.org")}, {"to", V::text("b@example.org")},
                       {"attachments", V::list({V::map({{"filename", V::text("f")},
                                                        {"fd", V::num(0)}})})}}),
               "bad_request", "the request refers to passed file descriptor 0");
  EXPECT_EQ(error_of(c->call("mail.status", params_of(V::map({})))).substr(0, 12), "bad_request:");
  EXPECT_EQ(error_of(c->call("mail.list", params_of(V::map({{"state", V::text("lost")}})))),
            "bad_request: 'state' must be queued, sending, sent or failed, not 'lost'");

  EXPECT_EQ(listed(*c), 0u);
  for (const auto& f : files_in(state_dir() + "/outbox")) {
    EXPECT_EQ(f.find(".mail"), std::string::npos) << "something was queued: " << f;
  }
  // The connection and the server still work.
  std::string id = send_ok(*c, simple_mail());
  EXPECT_TRUE(wait_state(*c, id, "sent"));
}

TEST_F(MailComponentTest, IdempotencyKeyGivesTheSameIdAlsoAfterARestart) {
  start_coprocess({"--set", "mail.transport=maildir"});
  auto c = connect();
  V mail = simple_mail();
  mail.entries.emplace_back("idempotency_key", V::text("order-4711"));
  std::string id = send_ok(*c, mail);
  auto again = send(*c, mail);
  ASSERT_FALSE(again.error);
  EXPECT_EQ(field(again.result, "id"), id);
  c.reset();
  ASSERT_EQ(stop_coprocess(), 0);
  start_coprocess({"--set", "mail.transport=maildir"});
  c = connect();
  auto after = send(*c, mail);
  ASSERT_FALSE(after.error);
  EXPECT_EQ(field(after.result, "id"), id);
  ASSERT_TRUE(wait_state(*c, id, "sent"));
  EXPECT_EQ(files_in(state_dir() + "/maildir/new").size(), 1u);
  EXPECT_EQ(listed(*c), 1u);
}

TEST_F(MailComponentTest, IdempotencyKeyReusedForOtherContentIsAConflict) {
  start_coprocess({"--set", "mail.transport=maildir"});
  auto c = connect();
  V mail = simple_mail();
  mail.entries.emplace_back("idempotency_key", V::text("order-4712"));
  const std::string id = send_ok(*c, mail);
  V other = simple_mail("another subject");
  other.entries.emplace_back("idempotency_key", V::text("order-4712"));
  auto r = send(*c, other);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->name, "conflict");
  EXPECT_NE(r.error->message.find("already used for mail " + id + " with different content"),
            std::string::npos)
      << r.error->message;
  // The same content under the same key is still the same message, also
  // after a restart (the digest is stored with the key).
  c.reset();
  ASSERT_EQ(stop_coprocess(), 0);
  start_coprocess({"--set", "mail.transport=maildir"});
  c = connect();
  auto again = send(*c, mail);
  ASSERT_FALSE(again.error) << again.error->message;
  EXPECT_EQ(field(again.result, "id"), id);
  auto still = send(*c, other);
  ASSERT_TRUE(still.error);
  EXPECT_EQ(still.error->name, "conflict");
  EXPECT_EQ(listed(*c), 1u);
}

TEST_F(MailComponentTest, PerUserRateLimitRefusesTheExtraMail) {
  start_coprocess({"--set", "mail.per_uid_per_minute=2"});
  auto c = connect();
  send_ok(*c, simple_mail());
  send_ok(*c, simple_mail());
  EXPECT_EQ(error_of(send(*c, simple_mail())).substr(0, 42), "rate_limited: you submitted 2 mails within");
  EXPECT_EQ(listed(*c), 2u);
}

// Runs `body` in a child process with the uid of `user`; returns the exit status.
int as_user(const passwd& pw, const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 99;
    if (::setgroups(0, nullptr) == 0 && ::setgid(pw.pw_gid) == 0 && ::setuid(pw.pw_uid) == 0) {
      try {
        rc = body();
      } catch (...) {
        rc = 98;
      }
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 97;
}

TEST_F(MailComponentTest, AUserSeesOnlyTheirOwnMailAndRootSeesAll) {
  ASSERT_EQ(::geteuid(), 0u) << "this test creates a user and switches to it: run it as root";
  const char* user = "coproc-mailtest";
  if (!::getpwnam(user)) {
    ASSERT_EQ(std::system("useradd --system --no-create-home --shell /usr/sbin/nologin "
                          "coproc-mailtest"),
              0);
  }
  passwd pw = *::getpwnam(user);
  start_coprocess({"--set", "mail.transport=maildir"});
  auto c = connect();
  const std::string root_id = send_ok(*c, simple_mail("root's mail"));
  ASSERT_FALSE(root_id.empty());

  int result_pipe[2];
  ASSERT_EQ(::pipe(result_pipe), 0);
  const std::string sock = socket_path();
  int rc = as_user(pw, [&] {
    RawClient other(sock);
    // Someone else's mail looks like no mail at all.
    auto st = other.call("mail.status", params_of(V::map({{"id", V::text(root_id)}})));
    if (!st.error || st.error->name != "not_found") return 1;
    auto none = other.call("mail.status", params_of(V::map({{"id", V::text("0000")}})));
    if (!none.error || none.error->message != "no mail with id '0000'") return 2;
    if (st.error->message != "no mail with id '" + root_id + "'") return 3;
    auto list = other.call("mail.list", params_of(V::map({})));
    if (list.error || map_get(list.result, "mails")->via.array.size != 0) return 4;
    other.send_request(1, "mail.send", params_of(simple_mail("user's mail")));
    auto sent = other.receive_response();
    if (sent.error) return 5;
    std::string id = field(sent.result, "id");
    auto mine = other.call("mail.list", params_of(V::map({})));
    if (mine.error || map_get(mine.result, "mails")->via.array.size != 1) return 6;
    if (field(mine.result.via.map.ptr[0].val.via.array.ptr[0], "id") != id) return 7;
    if (::write(result_pipe[1], id.data(), id.size()) != static_cast<ssize_t>(id.size())) return 8;
    return 0;
  });
  ::close(result_pipe[1]);
  char buf[128] = {0};
  const ssize_t n = ::read(result_pipe[0], buf, sizeof buf - 1);
  ::close(result_pipe[0]);
  ASSERT_EQ(rc, 0) << "child check failed at step " << rc;
  ASSERT_GT(n, 0);
  const std::string user_id(buf, static_cast<std::size_t>(n));
  auto st = status(*c, user_id);  // root is admin: sees every mail
  ASSERT_FALSE(st.error) << error_of(st);
  EXPECT_EQ(int_field(st.result, "owner_uid"), static_cast<std::int64_t>(pw.pw_uid));
  EXPECT_EQ(listed(*c), 2u);
  EXPECT_NE(log().find("uid=" + std::to_string(pw.pw_uid) + " id=" + user_id), std::string::npos);
}

TEST_F(MailComponentTest, KillNineWhileDeliveringLosesNoMailAndDuplicatesStayWithinTheBound) {
  SmtpTestServer::Options o;
  o.delay_ms = 20;  // keep messages in flight when the kill comes
  SmtpTestServer server(o);
  server.start();
  const int workers = 4;
  auto args = relay(server, "none", {"--set", "mail.workers=" + std::to_string(workers), "--set",
                                     "mail.per_uid_per_minute=100000"});
  start_coprocess(args);

  constexpr int kClients = 10, kPerClient = 50;
  std::mutex mutex;
  std::vector<std::string> ids;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      try {
        RawClient client(socket_path());
        for (int i = 0; i < kPerClient; ++i) {
          client.send_request(static_cast<rpc::MsgId>(i + 1), "mail.send",
                              params_of(simple_mail("m " + std::to_string(t) + "/" + std::to_string(i))));
          auto r = client.receive_response(std::chrono::seconds(30));
          if (r.error) {
            ++failures;
            continue;
          }
          std::lock_guard<std::mutex> lock(mutex);
          ids.push_back(field(r.result, "id"));
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& t : clients) t.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_EQ(ids.size(), 500u);
  ASSERT_TRUE(server.wait_for_count(20, kLong));
  coprocess_.signal(SIGKILL);
  coprocess_.wait(std::chrono::seconds(10));
  const std::size_t at_kill = server.count();
  ASSERT_LT(at_kill, 500u) << "everything was delivered before the kill; the test proves nothing";

  start_coprocess(args);
  ASSERT_TRUE(wait_until(
      [&] {
        std::set<std::string> distinct;
        for (const auto& m : server.messages()) distinct.insert(header_of(m, "Message-ID"));
        return distinct.size() >= 500;
      },
      std::chrono::seconds(120)))
      << "delivered: " << server.count();
  // Let any late duplicates arrive, then count.
  auto c = connect();
  ASSERT_TRUE(wait_until([&] { return listed(*c, V::map({{"state", V::text("sent")}, {"limit", V::num(10000)}})) == 500; }, kLong));
  std::map<std::string, int> seen;
  for (const auto& m : server.messages()) ++seen[header_of(m, "Message-ID")];
  int duplicates = 0;
  for (const auto& [mid, n] : seen) duplicates += n - 1;
  std::set<std::string> expected;
  for (const auto& id : ids) {
    auto st = status(*c, id);
    ASSERT_FALSE(st.error);
    expected.insert(field(st.result, "message_id"));
  }
  for (const auto& mid : expected) EXPECT_EQ(seen.count(mid), 1u) << mid << " never arrived";
  EXPECT_EQ(seen.size(), 500u);
  std::cout << "[ info ] delivered before kill: " << at_kill << ", duplicates after restart: "
            << duplicates << " (bound: " << workers << " in flight)\n";
  EXPECT_LE(duplicates, workers);
}

// kill -9 while many clients submit, so that commits of accepted.log are
// under way; then the mail files are taken away as a power cut may take
// files that were renamed but not flushed. Every mail.send answered
// "queued" must still leave, from accepted.log alone.
TEST_F(MailComponentTest, KillNineDuringSubmissionsLosesNoQueuedMailEvenWithoutItsFile) {
  SmtpTestServer server(SmtpTestServer::Options{});
  server.start();
  auto args = relay(server, "none", {"--set", "mail.per_uid_per_minute=100000"});
  start_coprocess(args);

  constexpr int kClients = 8;
  std::mutex mutex;
  std::vector<std::string> queued;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      try {
        RawClient client(socket_path());
        for (int i = 0; i < 400 && !stop; ++i) {
          client.send_request(static_cast<rpc::MsgId>(i + 1), "mail.send",
                              params_of(simple_mail("c " + std::to_string(t) + "/" + std::to_string(i))));
          auto r = client.receive_response(std::chrono::seconds(30));
          if (r.error) break;
          std::lock_guard<std::mutex> lock(mutex);
          queued.push_back(field(r.result, "id"));
        }
      } catch (const std::exception&) {
        // The kill ends the connection: what was answered "queued" counts.
      }
    });
  }
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return queued.size() >= 300;
  }, kLong));
  coprocess_.signal(SIGKILL);
  coprocess_.wait(std::chrono::seconds(10));
  stop = true;
  for (auto& t : clients) t.join();

  int taken = 0;
  for (const auto& f : files_in(state_dir() + "/outbox")) {  // full paths, no hidden names
    if (f.size() > 5 && f.compare(f.size() - 5, 5, ".mail") == 0) {
      ASSERT_EQ(::unlink(f.c_str()), 0) << f;
      ++taken;
    }
  }
  ASSERT_GT(taken, 0);

  start_coprocess(args);
  auto c = connect();
  std::set<std::string> expected;
  for (const std::string& id : queued) {
    ASSERT_TRUE(wait_state(*c, id, "sent")) << id << " was answered queued but never sent";
    auto st = status(*c, id);
    ASSERT_FALSE(st.error) << error_of(st);
    expected.insert(field(st.result, "message_id"));
  }
  std::set<std::string> seen;
  for (const auto& m : server.messages()) seen.insert(header_of(m, "Message-ID"));
  for (const auto& mid : expected) EXPECT_EQ(seen.count(mid), 1u) << mid << " never arrived";
  std::cout << "[ info ] " << queued.size() << " answered queued before the kill, " << taken
            << " mail files taken away, all delivered\n";
}

// A flush of accepted.log that fails (fdatasync of /dev/null: EINVAL)
// reaches the caller as "unavailable" with the reason, and nothing counts
// as queued.
TEST_F(MailComponentTest, AFailedFlushOfTheOutboxIsAClearErrorAndNothingIsQueued) {
  ::mkdir(state_dir().c_str(), 0755);
  ::mkdir((state_dir() + "/outbox").c_str(), 0700);
  ASSERT_EQ(::symlink("/dev/null", (state_dir() + "/outbox/accepted.log").c_str()), 0);
  start_coprocess({"--set", "mail.transport=maildir"});
  auto c = connect();
  auto r = send(*c, simple_mail());
  ASSERT_TRUE(r.error) << "answered queued although its flush failed";
  EXPECT_EQ(r.error->name, "unavailable");
  EXPECT_EQ(r.error->message.rfind("the outbox cannot store the mail right now: cannot flush ", 0), 0u)
      << r.error->message;
  EXPECT_NE(r.error->message.find("accepted.log: Invalid argument"), std::string::npos)
      << r.error->message;
  EXPECT_EQ(listed(*c), 0u);
  EXPECT_FALSE(c->call("sys.ping").error) << "the connection goes on";
}

// coprocctl mail test (issue 18): the co-process walks the way to its relay
// and says which stage failed and why.
class MailTestMethodTest : public MailComponentTest {
 protected:
  struct Outcome {
    bool ok = false;
    std::string steps;  // one per line
    std::string error;
  };
  Outcome mail_test(const std::string& to = "") {
    RawClient c(socket_path());
    const rpc::Response r = c.call(
        "mail.test", params_of(to.empty() ? V::map({}) : V::map({{"to", V::text(to)}})),
        std::chrono::seconds(60));
    Outcome o;
    EXPECT_FALSE(r.error) << r.error->name << ": " << r.error->message;
    if (r.error) return o;
    const msgpack::object& m = r.result;
    for (std::uint32_t i = 0; i < m.via.map.size; ++i) {
      const auto& kv = m.via.map.ptr[i];
      const std::string key = kv.key.as<std::string>();
      if (key == "ok") o.ok = kv.val.as<bool>();
      if (key == "error") o.error = kv.val.as<std::string>();
      if (key == "steps") {
        for (const auto& s : kv.val.as<std::vector<std::string>>()) o.steps += s + "\n";
      }
    }
    return o;
  }
  std::vector<std::string> as_alice(const std::string& password) {
    return {"--set", "smtp.username=alice", "--set", "smtp.password=" + password};
  }
};

TEST_F(MailTestMethodTest, EveryStageIsReportedAndTheTestMessageArrives) {
  SmtpTestServer server(SmtpTestServer::Options::secure("starttls", "alice", "s3cret"));
  server.start();
  start_coprocess(relay(server, "starttls", as_alice("s3cret")));
  const Outcome o = mail_test("ops@example.org");
  EXPECT_TRUE(o.ok) << o.error << "\n" << o.steps;
  for (const std::string& step :
       {std::string("connected to 127.0.0.1:") + std::to_string(server.port()) + "\n",
        std::string("greeting received\n"), std::string("EHLO "),
        std::string("STARTTLS: certificate verified for '127.0.0.1'\n"),
        std::string("EHLO again over TLS: 250"), std::string("AUTH PLAIN as 'alice': 235"),
        std::string("test message to ops@example.org accepted by the relay\n")}) {
    EXPECT_NE(o.steps.find(step), std::string::npos) << step << " in:\n" << o.steps;
  }
  ASSERT_TRUE(server.wait_for_count(1, std::chrono::seconds(10)));
  EXPECT_NE(server.messages()[0].find("Subject: coproc mail test"), std::string::npos);
}

TEST_F(MailTestMethodTest, AWrongPasswordIsReportedAsAuthRefusedAfterTls) {
  SmtpTestServer server(SmtpTestServer::Options::secure("starttls", "alice", "s3cret"));
  server.start();
  start_coprocess(relay(server, "starttls", as_alice("wrong")));
  const Outcome o = mail_test();
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error.rfind("AUTH PLAIN as 'alice' failed: 535", 0), 0u) << o.error;
  EXPECT_NE(o.steps.find("STARTTLS: certificate verified"), std::string::npos) << o.steps;
  EXPECT_EQ(server.count(), 0u);
}

TEST_F(MailTestMethodTest, ACertificateForAnotherHostIsReportedAsSuch) {
  auto options = SmtpTestServer::Options::secure("starttls", "alice", "s3cret");
  options.cert = test_pki().wrong_cert;
  options.key = test_pki().wrong_key;
  SmtpTestServer server(options);
  server.start();
  start_coprocess(relay(server, "starttls", as_alice("s3cret")));
  const Outcome o = mail_test();
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error.rfind("certificate: TLS with 127.0.0.1 failed: the relay's certificate is "
                          "not valid for the host name '127.0.0.1'",
                          0),
            0u)
      << o.error;
  EXPECT_EQ(server.events().find("AUTH"), std::string::npos) << "credentials went out";
}

TEST_F(MailTestMethodTest, AnOrdinaryUserIsRefused) {
  const TestUser bob = ensure_user("coproc-t-bob");
  ::chmod(dir_.path().c_str(), 0755);
  start_coprocess();
  const std::string result = run_as(bob, [&] {
    RawClient c(socket_path());
    const rpc::Response r = c.call("mail.test", params_of(V::map({})));
    return r.error ? r.error->name + ": " + r.error->message : std::string("ok");
  });
  EXPECT_EQ(result.rfind("permission_denied: mail.test is for administrators", 0), 0u) << result;
}

TEST_F(MailTestMethodTest, CoprocctlPrintsTheStagesAndTheReason) {
  SmtpTestServer server(SmtpTestServer::Options::secure("starttls", "alice", "s3cret"));
  server.start();
  start_coprocess(relay(server, "starttls", as_alice("wrong")));
  TestProcess::Options o;
  o.argv = {bin_path("coprocctl"), "--runtime-dir", runtime_dir(), "mail", "test"};
  o.output_path = dir_.file("coprocctl.out");
  TestProcess ctl(o);
  const int status = ctl.wait(std::chrono::seconds(60));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  const std::string out = read_file(o.output_path);
  EXPECT_NE(out.find("transport: smtp 127.0.0.1:" + std::to_string(server.port()) + " starttls\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  ok      STARTTLS: certificate verified for '127.0.0.1'\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  FAILED  AUTH PLAIN as 'alice' failed: 535"), std::string::npos) << out;
}

}  // namespace
}  // namespace coproc::test
