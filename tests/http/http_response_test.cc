// What a response looks like to the caller, against the misbehaving Python
// server: redirects with a protocol-relative Location, repeated headers in
// the order received, and hostile bytes kept out of the log.
#include <gtest/gtest.h>

#include "misbehaving_server_fixture.h"

namespace coproc::test {
namespace {

class HttpResponseTest : public MisbehavingServerTest {};

TEST_F(HttpResponseTest, ProtocolRelativeLocationIsResolvedAgainstTheScheme) {
  start_coprocess();
  auto c = connect();
  auto r = get(*c, "/redirect-protocol-relative");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(field_str(r.result, "url"), url("/hello"));
  EXPECT_EQ(field_str(r.result, "body").rfind("hello from connection ", 0), 0u)
      << field_str(r.result, "body");
}

TEST_F(HttpResponseTest, RepeatedHeadersKeepTheOrderAsReceived) {
  start_coprocess();
  auto c = connect();
  auto r = get(*c, "/repeated-headers");
  ASSERT_FALSE(r.error) << r.error->message;
  std::string order;
  const msgpack::object& headers = field(r.result, "headers");
  for (std::uint32_t i = 0; i < headers.via.array.size; ++i) {
    const auto& pair = headers.via.array.ptr[i];
    const std::string name = pair.via.array.ptr[0].as<std::string>();
    if (name == "Set-Cookie" || name == "X-Order") order += pair.via.array.ptr[1].as<std::string>() + " ";
  }
  EXPECT_EQ(order, "a=1 first b=2 second c=3 ");
}

TEST_F(HttpResponseTest, ControlBytesFromRejectedInputAreEscapedInTheLog) {
  start_coprocess();
  auto c = connect();
  auto r = c->call("http.request",
                   HttpParams(url("/x\x1b[31mred\x07")).packed(), std::chrono::seconds(10));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->name, "bad_request");
  const std::string text = log();
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "a raw ESC reached the log";
  EXPECT_EQ(text.find('\x07'), std::string::npos);
  EXPECT_NE(text.find("\\x1b[31mred\\x07"), std::string::npos) << text;
}

}  // namespace
}  // namespace coproc::test
