// gateway.* option syntax: listeners, routes, who may work a queue.
#include <gtest/gtest.h>

#include "config.h"
#include "gateway_config.h"
#include "gateway_connection.h"

namespace coproc::gateway {
namespace {

Config with(std::initializer_list<const char*> sets) {
  Config c;
  for (const char* s : sets) c.set(s);
  return c;
}

std::string error_of(std::initializer_list<const char*> sets) {
  try {
    read_gateway_config(with(sets));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(GatewayConfigTest, ListenersAreAddressPortWithOptionalTls) {
  auto g = read_gateway_config(with({"gateway.listen=127.0.0.1:8080, [::1]:8443 tls",
                                     "gateway.tls_cert=/c.pem", "gateway.tls_key=/k.pem"}));
  ASSERT_EQ(g.listeners.size(), 2u);
  EXPECT_EQ(g.listeners[0].host, "127.0.0.1");
  EXPECT_EQ(g.listeners[0].port, 8080);
  EXPECT_FALSE(g.listeners[0].tls);
  EXPECT_EQ(g.listeners[1].host, "::1");
  EXPECT_EQ(g.listeners[1].port, 8443);
  EXPECT_TRUE(g.listeners[1].tls);
}

TEST(GatewayConfigTest, TheGatewayIsOffByDefault) {
  EXPECT_TRUE(read_gateway_config(Config()).listeners.empty());
}

TEST(GatewayConfigTest, BadListenersAndTlsWithoutCertificateAreRefused) {
  EXPECT_NE(error_of({"gateway.listen=localhost"}).find("ADDRESS:PORT"), std::string::npos);
  EXPECT_NE(error_of({"gateway.listen=127.0.0.1:99999"}).find("1 to 65535"), std::string::npos);
  EXPECT_NE(error_of({"gateway.listen=127.0.0.1:80 ssl"}).find("'tls'"), std::string::npos);
  EXPECT_NE(error_of({"gateway.listen=127.0.0.1:443 tls"}).find("gateway.tls_cert"),
            std::string::npos);
}

TEST(GatewayConfigTest, TheLongestPrefixWinsOnWholeSegments) {
  auto g = read_gateway_config(
      with({"gateway.route=/api=api, /api/orders=orders, /static/=files"}));
  EXPECT_EQ(g.queue_of("/api/orders"), "orders");
  EXPECT_EQ(g.queue_of("/api/orders/7"), "orders");
  EXPECT_EQ(g.queue_of("/api/ordersX"), "api");
  EXPECT_EQ(g.queue_of("/api"), "api");
  EXPECT_EQ(g.queue_of("/apix"), "default");
  EXPECT_EQ(g.queue_of("/static/a.css"), "files");
  EXPECT_EQ(g.queues(), (std::vector<std::string>{"api", "default", "files", "orders"}));
}

TEST(GatewayConfigTest, WithoutADefaultQueueUnroutedPathsHaveNoQueue) {
  auto g = read_gateway_config(with({"gateway.route=/a=a", "gateway.default_queue="}));
  EXPECT_EQ(g.queue_of("/b"), "");
}

PeerCredentials peer(std::uint32_t uid, std::uint32_t gid) {
  PeerCredentials p;
  p.uid = uid;
  p.gid = gid;
  return p;
}

TEST(GatewayConfigTest, AllowNamesUsersUidsAndGroups) {
  auto g = read_gateway_config(
      with({"gateway.route=/o=orders", "gateway.allow=orders=root 1001 @0; default=@root"}));
  ASSERT_EQ(g.allow["orders"].size(), 3u);
  EXPECT_FALSE(g.allow["orders"][0].group);
  EXPECT_EQ(g.allow["orders"][0].id, 0u);
  EXPECT_EQ(g.allow["orders"][1].id, 1001u);
  EXPECT_TRUE(g.allow["orders"][2].group);
  EXPECT_TRUE(g.allow["default"][0].group);
  EXPECT_TRUE(principal_matches(g.allow["orders"][1], peer(1001, 5)));
  EXPECT_FALSE(principal_matches(g.allow["orders"][1], peer(1002, 5)));
  EXPECT_TRUE(principal_matches(g.allow["default"][0], peer(0, 0)));
  EXPECT_EQ(describe_peer(peer(1001, 5)), "uid 1001");
}

TEST(GatewayConfigTest, AllowTakesANameInQuotesWholeSpacesIncluded) {
  auto g = read_gateway_config(with({"gateway.allow=default=\"root\" @\"root\""}));
  ASSERT_EQ(g.allow["default"].size(), 2u);
  EXPECT_EQ(g.allow["default"][0].text, "root");
  EXPECT_TRUE(g.allow["default"][1].group);
  EXPECT_NE(error_of({"gateway.allow=default=\"no such user\""}).find("no user 'no such user'"),
            std::string::npos);
  EXPECT_NE(error_of({"gateway.allow=default=\"root"}).find("a quote is not closed"),
            std::string::npos);
}

TEST(GatewayConfigTest, AllowRefusesUnknownQueuesUsersAndGroups) {
  EXPECT_NE(error_of({"gateway.allow=nosuch=root"}).find("queue 'nosuch'"), std::string::npos);
  EXPECT_NE(error_of({"gateway.allow=default=no-such-user-xyz"}).find("no user 'no-such-user-xyz'"),
            std::string::npos);
  EXPECT_NE(error_of({"gateway.allow=default=@no-such-group-xyz"}).find("no group"),
            std::string::npos);
  EXPECT_NE(error_of({"gateway.allow=default"}).find("QUEUE="), std::string::npos);
  EXPECT_NE(error_of({"gateway.route=api=api"}).find("/PATH/PREFIX=QUEUE"), std::string::npos);
}

TEST(GatewayConfigTest, PocoParseErrorsMapToHttpStatuses) {
  EXPECT_EQ(status_for_parse_error("Field value too long/no CRLF found"), 431);
  EXPECT_EQ(status_for_parse_error("Too many header fields"), 431);
  EXPECT_EQ(status_for_parse_error("HTTP request URI invalid or too long"), 414);
  EXPECT_EQ(status_for_parse_error("Field name too long/no colon found"), 400);
  EXPECT_EQ(status_for_parse_error("Invalid HTTP version string"), 400);
}

}  // namespace
}  // namespace coproc::gateway
