// Mail through a real MTA: the co-process relays to a private instance of
// Debian's Postfix on 127.0.0.1 (tests/support/postfix_test_server.h), the
// relay a production install points at.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "coproc/mail.h"
#include "coprocess_fixture.h"
#include "postfix_test_server.h"

namespace coproc::test {
namespace {

class PostfixRelayTest : public CoprocessFixture {
 protected:
  void SetUp() override {
    ASSERT_EQ(PostfixTestServer::unavailable_reason(), "");
    postfix_.start();
    start_coprocess({"--set", "smtp.host=127.0.0.1", "--set",
                     "smtp.port=" + std::to_string(postfix_.port()), "--set", "smtp.security=none"});
    ASSERT_EQ(coproc_client_new(&client_), COPROC_OK);
    ASSERT_EQ(coproc_client_set_str(client_, COPROC_OPT_ENDPOINT, socket_path().c_str()), COPROC_OK);
    ASSERT_EQ(coproc_client_set_int(client_, COPROC_OPT_AUTO_LAUNCH, 0), COPROC_OK);
  }
  void TearDown() override {
    coproc_client_close(client_);
    CoprocessFixture::TearDown();
  }

  PostfixTestServer postfix_;
  coproc_client* client_ = nullptr;
};

TEST_F(PostfixRelayTest, EveryQueuedMailIsDeliveredByPostfixWithItsEnvelope) {
  const int n = 10;
  for (int i = 0; i < n; ++i) {
    char* id = nullptr;
    const std::string to = "user" + std::to_string(i) + "@example.net";
    ASSERT_EQ(coproc_mail_send(client_, "billing@example.org", to.c_str(), "Invoice",
                               "Dear customer", &id),
              COPROC_OK)
        << coproc_errmsg(client_);
    coproc_free(id);
  }
  ASSERT_TRUE(postfix_.wait_for_delivered(n, std::chrono::seconds(60)))
      << "delivered " << postfix_.delivered() << " of " << n << "\n"
      << postfix_.maillog() << "\n"
      << log();
  const std::string maillog = postfix_.maillog();
  for (int i = 0; i < n; ++i) {
    EXPECT_NE(maillog.find("to=<user" + std::to_string(i) + "@example.net>"), std::string::npos)
        << maillog;
  }
  EXPECT_NE(maillog.find("from=<billing@example.org>"), std::string::npos) << maillog;
}

}  // namespace
}  // namespace coproc::test
