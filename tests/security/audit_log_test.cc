// The audit trail at the default log level (info), as docs/security.md
// states it: who queued which mail, who asked for which URL, every failed
// call with uid/pid/conn/method/ms/result — while successful calls' request
// lines wait for log.level = debug.
#include <gtest/gtest.h>

#include <map>

#include "coprocess_fixture.h"

namespace coproc::test {
namespace {

using Fields = std::vector<std::map<std::string, std::string>>;

class AuditLogTest : public CoprocessFixture {};

TEST_F(AuditLogTest, MailAndHttpAreOnRecordAtTheDefaultLevel) {
  start_coprocess({"--log-level", "info"});  // the default of log.level
  auto client = connect();
  const rpc::Response sent = client->call(
      "mail.send", rpc::pack_value(Fields{{{"from", "app@example.org"},
                                           {"to", "x@example.net"},
                                           {"subject", "audit"},
                                           {"text", "hello"}}}));
  ASSERT_FALSE(sent.error.has_value()) << sent.error->message;
  const rpc::Response http = client->call(
      "http.request",
      rpc::pack_value(Fields{{{"method", "GET"}, {"url", "http://127.0.0.1:9/audit-me"}}}));
  ASSERT_TRUE(http.error.has_value()) << "port 9 answered";
  ASSERT_FALSE(client->call("sys.ping").error.has_value());
  ASSERT_TRUE(client->call("no.such.method").error.has_value());

  const std::string uid = "uid=" + std::to_string(::getuid());
  ASSERT_TRUE(wait_until([&] { return log().find("audit-me") != std::string::npos; },
                         std::chrono::seconds(10)))
      << log();
  const std::string text = log();
  auto line_with = [&](const std::string& needle) {
    const auto at = text.find(needle);
    if (at == std::string::npos) return std::string();
    const auto begin = text.rfind('\n', at) + 1;
    return text.substr(begin, text.find('\n', at) - begin);
  };
  const std::string mail = line_with("queued from=app@example.org");
  EXPECT_NE(mail.find(" info mail: " + uid + " id="), std::string::npos) << text;
  const std::string get = line_with("GET http://127.0.0.1:9/audit-me");
  EXPECT_NE(get.find(" info http: " + uid + " req="), std::string::npos) << text;
  const std::string failed = line_with("method=no.such.method");
  for (const std::string& part : {std::string("conn="), uid, std::string("pid="),
                                  std::string("result=not_found")}) {
    EXPECT_NE(failed.find(part), std::string::npos) << part << " in: " << failed;
  }
  EXPECT_EQ(text.find("method=sys.ping"), std::string::npos)
      << "successful request lines are for log.level = debug: " << text;
}

TEST_F(AuditLogTest, DebugAddsARequestLineForEverySuccessfulCall) {
  start_coprocess();  // --log-level debug
  ASSERT_FALSE(connect()->call("sys.ping").error.has_value());
  ASSERT_TRUE(wait_until([&] { return log().find("method=sys.ping") != std::string::npos; },
                         std::chrono::seconds(10)));
  const std::string text = log();
  const auto at = text.find("method=sys.ping");
  const std::string line = text.substr(text.rfind('\n', at) + 1, text.find('\n', at) - text.rfind('\n', at) - 1);
  for (const char* part : {"conn=", "uid=", "pid=", "req=", " ms=", "result=ok"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in: " << line;
  }
}

}  // namespace
}  // namespace coproc::test
