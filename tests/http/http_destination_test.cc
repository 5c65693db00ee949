// The destination policy through the real co-process: refusals happen before
// any connect, after DNS resolution, and again for every redirect. Only
// loopback addresses are used (127.0.0.2 is a second loopback address).
#include <gtest/gtest.h>

#include "misbehaving_server_fixture.h"

namespace coproc::test {
namespace {

class HttpDestinationTest : public MisbehavingServerTest {
 protected:
  void SetUp() override {
    MisbehavingServerTest::SetUp();
    other_ = start_python_server("http_misbehaving_server.py", other_log(), &other_port_,
                                 {"0", "127.0.0.2"});
    ASSERT_GT(other_port_, 0) << read_file(other_log());
  }
  void TearDown() override {
    other_.stop();
    MisbehavingServerTest::TearDown();
  }
  std::string other_log() const { return dir_.file("other.log"); }
  std::string other_hostport() const { return "127.0.0.2:" + std::to_string(other_port_); }
  rpc::Response fetch(const std::string& full_url) {
    auto c = connect();
    return c->call("http.request", HttpParams(full_url).packed(), std::chrono::seconds(30));
  }
  void expect_denied(const rpc::Response& r, const std::string& words) {
    ASSERT_TRUE(r.error) << "the request was not refused";
    EXPECT_EQ(r.error->name, "permission_denied");
    EXPECT_NE(r.error->message.find(words), std::string::npos) << r.error->message;
  }

  TestProcess other_;
  int other_port_ = 0;
};

TEST_F(HttpDestinationTest, DeniedAddressIsRefusedBeforeAnyConnectNamingTheRule) {
  start_coprocess({"--set", "http.deny=127.0.0.2/32"});
  expect_denied(fetch("http://" + other_hostport() + "/hello"), "http.deny rule '127.0.0.2/32'");
  EXPECT_EQ(read_file(other_log()).find("connection"), std::string::npos) << "it connected";
  EXPECT_FALSE(fetch(url("/hello")).error) << "127.0.0.1 is not denied";
}

TEST_F(HttpDestinationTest, RedirectToADeniedAddressIsRefused) {
  start_coprocess({"--set", "http.deny=127.0.0.2/32"});
  expect_denied(fetch(url("/redirect-to/" + other_hostport() + "/hello")), "'127.0.0.2/32'");
  EXPECT_TRUE(saw("/redirect-to/" + other_hostport() + "/hello"));
  EXPECT_EQ(read_file(other_log()).find("connection"), std::string::npos);
}

TEST_F(HttpDestinationTest, NameIsCheckedByTheAddressesItResolvesTo) {
  start_coprocess({"--set", "http.deny=127.0.0.1/32"});
  expect_denied(fetch("http://localhost:" + std::to_string(port_) + "/hello"),
                "localhost:" + std::to_string(port_) + " (127.0.0.1)");
  EXPECT_EQ(connections_seen(), 0);
}

TEST_F(HttpDestinationTest, AllowListAndHostPatternsWithPorts) {
  start_coprocess({"--set", "http.allow=127.0.0.1/32", "--set",
                   "http.deny=localhost:" + std::to_string(port_)});
  expect_denied(fetch("http://" + other_hostport() + "/hello"), "matches no http.allow rule");
  expect_denied(fetch("http://localhost:" + std::to_string(port_) + "/hello"),
                "http.deny rule 'localhost:" + std::to_string(port_) + "'");
  EXPECT_FALSE(fetch(url("/hello")).error);
}

TEST_F(HttpDestinationTest, BadRuleStopsStartWithTheRule) {
  TestProcess::Options o;
  o.argv = {bin_path("coprocess"), "--runtime-dir", runtime_dir(), "--state-dir", state_dir(),
            "--config", "/dev/null", "--set", "http.deny=10.0.0.0/40"};
  o.output_path = log_path();
  TestProcess p(o);
  const int status = p.wait(std::chrono::seconds(20));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_NE(log().find("'10.0.0.0/40'"), std::string::npos) << log();
}

}  // namespace
}  // namespace coproc::test
