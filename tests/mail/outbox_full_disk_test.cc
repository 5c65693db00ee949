// A full disk: mail.send says so clearly, the connection and every other
// client keep working, and nothing accepted before is lost.
#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "coprocess_fixture.h"
#include "mail_test_util.h"
#include "smtp_test_server.h"

namespace coproc::test {
namespace {

using std::chrono::seconds;

class OutboxFullDiskTest : public CoprocessFixture {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "mounting a small tmpfs as the state dir needs root (CI is root)";
    ::mkdir(state_dir().c_str(), 0755);
    ASSERT_EQ(::mount("tmpfs", state_dir().c_str(), "tmpfs", 0, "size=1m,mode=0755"), 0)
        << std::strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    CoprocessFixture::TearDown();
    if (mounted_) ::umount2(state_dir().c_str(), MNT_DETACH);
  }

  static V mail_with(const std::string& attachment) {
    return V::map({{"from", V::text("app@example.org")},
                   {"to", V::strings({"user@example.net"})},
                   {"subject", V::text("invoice")},
                   {"text", V::text("see attachment\n")},
                   {"attachments", V::list({V::map({{"filename", V::text("a.bin")},
                                                    {"content_type", V::text("application/octet-stream")},
                                                    {"data", V::bytes(attachment)}})})}});
  }

  bool mounted_ = false;
};

TEST_F(OutboxFullDiskTest, FullDiskIsAClearErrorAndAcceptedMailIsStillDelivered) {
  SmtpTestServer::Options so;
  so.sink = true;
  auto probe = std::make_unique<SmtpTestServer>(so);
  probe->start();
  const int port = probe->port();
  probe.reset();  // the relay is down while the outbox fills
  start_coprocess({"--set", "smtp.host=127.0.0.1", "--set", "smtp.port=" + std::to_string(port),
                   "--set", "smtp.security=none", "--set", "mail.retry_initial_ms=100", "--set",
                   "mail.retry_max_ms=300"});
  auto client = connect();
  auto bystander = connect();
  const std::string attachment(100 * 1024, 'z');
  int accepted = 0;
  rpc::Response refused;
  for (int i = 0; i < 40; ++i) {
    auto r = client->call("mail.send", params_of(mail_with(attachment)), seconds(30));
    if (r.error) {
      refused = std::move(r);
      break;
    }
    accepted++;
  }
  ASSERT_TRUE(refused.error) << "1 MiB cannot hold 40 mails of 100 KiB";
  ASSERT_GT(accepted, 0);
  EXPECT_EQ(refused.error->name, "unavailable");
  EXPECT_NE(refused.error->message.find("No space left on device"), std::string::npos)
      << refused.error->message;
  EXPECT_FALSE(client->call("sys.ping").error) << "the same connection goes on";
  EXPECT_FALSE(bystander->call("sys.ping").error) << "other clients go on";
  EXPECT_FALSE(client->call("mail.list").error);

  // Space comes back and the relay comes up: everything accepted leaves.
  ASSERT_EQ(::mount("tmpfs", state_dir().c_str(), "tmpfs", MS_REMOUNT, "size=16m,mode=0755"), 0);
  so.port = port;
  SmtpTestServer relay(so);
  relay.start();
  EXPECT_TRUE(relay.wait_for_count(static_cast<std::size_t>(accepted), seconds(60)))
      << "accepted " << accepted << ", delivered " << relay.count();
  auto again = client->call("mail.send", params_of(mail_with("small")), seconds(30));
  EXPECT_FALSE(again.error) << again.error->message;
}

}  // namespace
}  // namespace coproc::test
