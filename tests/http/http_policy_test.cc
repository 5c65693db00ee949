// DestinationPolicy (http.allow / http.deny) on its own: rule syntax and
// matching, including the default that denies link-local and metadata.
#include "http_policy.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "rpc_error.h"

namespace coproc::http {
namespace {

std::string refusal(const DestinationPolicy& p, const std::string& host, const std::string& address,
                    std::uint16_t port) {
  try {
    p.check_name(host, port);
    p.check_address(host, address, port);
  } catch (const RpcException& e) {
    EXPECT_EQ(e.error().name, "permission_denied");
    return e.what();
  }
  return "";
}

TEST(DestinationPolicy, DefaultDeniesLinkLocalAndMetadataAddressesEvenInDisguise) {
  const DestinationPolicy p("", kDefaultDeny);
  EXPECT_NE(refusal(p, "169.254.169.254", "169.254.169.254", 80).find("'169.254.0.0/16'"),
            std::string::npos);
  EXPECT_NE(refusal(p, "evil.example", "169.254.169.254", 80), "") << "after DNS resolution";
  EXPECT_NE(refusal(p, "x", "::ffff:169.254.169.254", 80), "") << "IPv4-mapped IPv6";
  EXPECT_NE(refusal(p, "x", "fe80::1", 80), "");
  EXPECT_NE(refusal(p, "x", "fd00:ec2::254", 80), "");
  EXPECT_NE(refusal(p, "metadata.google.internal", "10.1.2.3", 80), "");
  EXPECT_NE(refusal(p, "METADATA.google.internal", "", 80), "") << "names are case-insensitive";
  EXPECT_EQ(refusal(p, "example.com", "93.184.216.34", 443), "");
  EXPECT_EQ(refusal(p, "localhost", "127.0.0.1", 8080), "");
}

TEST(DestinationPolicy, RulesMatchRangesNamesSuffixesAndPorts) {
  const DestinationPolicy p("", "10.0.0.0/8, *.internal.example [fd00::]/8:443 db.example:5432 *:25");
  EXPECT_NE(refusal(p, "a", "10.200.0.1", 80).find("'10.0.0.0/8'"), std::string::npos);
  EXPECT_EQ(refusal(p, "a", "11.0.0.1", 80), "");
  EXPECT_NE(refusal(p, "x.internal.example", "", 80), "");
  EXPECT_EQ(refusal(p, "internal.example", "", 80), "") << "*.suffix needs a label before it";
  EXPECT_NE(refusal(p, "a", "fd12::1", 443), "");
  EXPECT_EQ(refusal(p, "a", "fd12::1", 80), "") << "the rule is for port 443 only";
  EXPECT_NE(refusal(p, "db.example", "", 5432), "");
  EXPECT_EQ(refusal(p, "db.example", "", 80), "");
  EXPECT_NE(refusal(p, "mail.example", "1.2.3.4", 25).find("'*:25'"), std::string::npos);
}

TEST(DestinationPolicy, AllowListRefusesEverythingItDoesNotNameAndDenyWins) {
  const DestinationPolicy p("127.0.0.0/8 *.example.com", "127.0.0.2");
  EXPECT_EQ(refusal(p, "localhost", "127.0.0.1", 80), "");
  EXPECT_EQ(refusal(p, "api.example.com", "93.184.216.34", 443), "");
  EXPECT_NE(refusal(p, "other.org", "1.2.3.4", 80).find("matches no http.allow rule"),
            std::string::npos);
  EXPECT_NE(refusal(p, "127.0.0.2", "127.0.0.2", 80).find("http.deny rule '127.0.0.2'"),
            std::string::npos);
}

TEST(DestinationPolicy, BadRulesAreRefusedAtStartWithTheOptionAndTheRule) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/x", "host:0", "host:99999", "[::1", "a/b",
                          "bad host!"}) {
    try {
      DestinationPolicy p("", bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("http.deny"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace coproc::http
