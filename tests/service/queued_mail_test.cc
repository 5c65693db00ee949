// Mail accepted before the service stops must leave after it starts again,
// even when no client ever calls: the service starts the co-process by
// itself when the outbox holds unsent mail — and only then (sent mail stays
// in the outbox for mail.keep_days).
#include <signal.h>
#include <unistd.h>

#include <map>
#include <thread>
#include <vector>

#include "service_fixture.h"
#include "smtp_test_server.h"

namespace coproc::test {
namespace {

using std::chrono::seconds;

class QueuedMailTest : public ServiceFixture {
 protected:
  /// mail.send of one plain mail through the service's client socket.
  void send_mail(const std::string& subject) {
    RawClient client(client_path());
    std::vector<std::map<std::string, std::string>> mail{{{"from", "app@example.com"},
                                                          {"to", "user@example.com"},
                                                          {"subject", subject},
                                                          {"text", "hello"}}};
    auto sent = client.call("mail.send", rpc::pack_value(mail), seconds(30));
    ASSERT_FALSE(sent.error) << sent.error->message;
  }
};

TEST_F(QueuedMailTest, MailQueuedBeforeARestartIsDeliveredWithoutAnyClient) {
  // Find a free port for the relay, then keep it down while the mail is queued.
  SmtpTestServer::Options so;
  so.sink = true;
  auto probe = std::make_unique<SmtpTestServer>(so);
  probe->start();
  const int port = probe->port();
  probe.reset();

  const std::vector<std::string> args = {
      "--set", "smtp.host=127.0.0.1", "--set", "smtp.port=" + std::to_string(port), "--set",
      "smtp.security=none", "--set", "mail.retry_initial_ms=100", "--set",
      "mail.retry_max_ms=300"};
  start_service(args);
  ASSERT_NO_FATAL_FAILURE(send_mail("queued over a restart"));
  service_.signal(SIGTERM);
  ASSERT_NE(service_.wait(seconds(20)), -1);

  so.port = port;
  SmtpTestServer relay(so);
  relay.start();
  start_service(args);  // no client connects from here on
  EXPECT_TRUE(relay.wait_for_count(1, seconds(30))) << log();
  EXPECT_NE(log().find("the outbox holds unsent mail: starting the co-process now"), std::string::npos);
}

TEST_F(QueuedMailTest, MailAlreadySentKeepsTheCoprocessOnDemandAfterARestart) {
  SmtpTestServer::Options so;
  so.sink = true;
  SmtpTestServer relay(so);
  relay.start();
  const std::vector<std::string> args = {"--set", "smtp.host=127.0.0.1", "--set",
                                         "smtp.port=" + std::to_string(relay.port()), "--set",
                                         "smtp.security=none"};
  start_service(args);
  ASSERT_NO_FATAL_FAILURE(send_mail("sent before the restart"));
  ASSERT_TRUE(relay.wait_for_count(1, seconds(30))) << log();
  // The relay has the mail a moment before the co-process records it as sent.
  ASSERT_TRUE(wait_until([&] { return ::access((state_dir() + "/outbox/all-sent").c_str(), F_OK) == 0; },
                         seconds(10)))
      << log();
  service_.signal(SIGTERM);
  ASSERT_NE(service_.wait(seconds(20)), -1);

  start_service(args);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(status().state, "stopped") << log();
  EXPECT_EQ(log().find("starting the co-process now"), std::string::npos) << log();
}

TEST_F(QueuedMailTest, EmptyOutboxKeepsTheCoprocessOnDemand) {
  start_service();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(status().state, "stopped") << log();
}

}  // namespace
}  // namespace coproc::test
