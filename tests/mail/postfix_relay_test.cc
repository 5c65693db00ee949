// Mail through a real MTA: the co-process relays to a private instance of
// Debian's Postfix on 127.0.0.1 (tests/support/postfix_test_server.h), the
// relay a production install points at.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "c_client_fixture.h"
#include "coproc/mail.h"
#include "postfix_test_server.h"

namespace coproc::test {
namespace {

class PostfixRelayTest : public CClientFixture {
 protected:
  void SetUp() override {
    ASSERT_EQ(PostfixTestServer::unavailable_reason(), "");
    postfix_.start();
    start_with_client({"--set", "smtp.host=127.0.0.1", "--set",
                       "smtp.port=" + std::to_string(postfix_.port()), "--set",
                       "smtp.security=none"});
  }

  PostfixTestServer postfix_;
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
