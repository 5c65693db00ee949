// Validation of http.request arguments, before any connection is made.
#include "http_request_params.h"

#include <gtest/gtest.h>

#include "http_test_params.h"
#include "rpc_error.h"

namespace coproc::http {
namespace {

using test::HttpParams;

class HttpRequestParamsTest : public ::testing::Test {
 protected:
  HttpRequestParams parse(const HttpParams& p) {
    auto handle = msgpack::unpack(p.packed().bytes.data(), p.packed().bytes.size());
    keep_ = std::move(handle);
    return parse_http_request(rpc::Params(keep_.get()), defaults_);
  }
  std::string error_of(const HttpParams& p) {
    try {
      parse(p);
    } catch (const RpcException& e) {
      EXPECT_EQ(e.error().name, "bad_request");
      return e.what();
    }
    return "no error";
  }
  HttpDefaults defaults_;
  msgpack::object_handle keep_;
};

TEST_F(HttpRequestParamsTest, DefaultsComeFromTheConfiguration) {
  defaults_.timeout_ms = 1234;
  defaults_.connect_timeout_ms = 99;
  defaults_.max_body_bytes = 77;
  auto r = parse(HttpParams("http://example.test/a?b=c"));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.timeout_ms, 1234);
  EXPECT_EQ(r.connect_timeout_ms, 99);
  EXPECT_EQ(r.max_body_bytes, 77);
  EXPECT_FALSE(r.max_body_given);
  EXPECT_TRUE(r.follow_redirects);
  EXPECT_TRUE(r.verify_tls);
  EXPECT_FALSE(r.save_to_fd);
}

TEST_F(HttpRequestParamsTest, HeadersAreAcceptedAsMapOrPairsInOrder) {
  auto map = parse(HttpParams("https://h/").headers({{"A", "1"}, {"B", "2"}}));
  ASSERT_EQ(map.headers.size(), 2u);
  auto pairs = parse(HttpParams("https://h/").header_pairs({{"X", "1"}, {"X", "2"}}));
  ASSERT_EQ(pairs.headers.size(), 2u);
  EXPECT_EQ(pairs.headers[1].second, "2");
}

TEST_F(HttpRequestParamsTest, MethodIsUpperCasedAndBodyKept) {
  auto r = parse(HttpParams("http://h/").str("method", "patch").bin("body", std::string("\0a", 2)));
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_TRUE(r.has_body);
  EXPECT_EQ(r.body, std::string("\0a", 2));
}

TEST_F(HttpRequestParamsTest, BadUrlsAreRejectedWithTheReason) {
  EXPECT_NE(error_of(HttpParams("gopher://h/")).find("unsupported scheme 'gopher'"), std::string::npos);
  EXPECT_NE(error_of(HttpParams("http://user:pw@h/")).find("credentials"), std::string::npos);
  EXPECT_NE(error_of(HttpParams("http://h/\x01")).find("control character"), std::string::npos);
  EXPECT_NE(error_of(HttpParams("")).find("is empty"), std::string::npos);
  EXPECT_NE(error_of(HttpParams("http://[::1/")).find("not a valid URL"), std::string::npos);
}

TEST_F(HttpRequestParamsTest, HeaderInjectionIsRejected) {
  EXPECT_NE(error_of(HttpParams("http://h/").headers({{"X", "a\nb"}})).find("CR, LF"), std::string::npos);
  EXPECT_NE(error_of(HttpParams("http://h/").headers({{"X", std::string("a\0b", 3)}})).find("NUL"),
            std::string::npos);
  EXPECT_NE(error_of(HttpParams("http://h/").headers({{"X:Y", "v"}})).find("token"), std::string::npos);
  EXPECT_NE(error_of(HttpParams("http://h/").headers({{"", "v"}})).find("token"), std::string::npos);
}

TEST_F(HttpRequestParamsTest, OutOfRangeNumbersAreRejected) {
  EXPECT_NE(error_of(HttpParams("http://h/").integer("timeout_ms", 0)).find("timeout_ms"), std::string::npos);
  EXPECT_NE(error_of(HttpParams("http://h/").integer("max_redirects", -1)).find("max_redirects"),
            std::string::npos);
  EXPECT_NE(error_of(HttpParams("http://h/").integer("max_body_bytes", -1)).find("max_body_bytes"),
            std::string::npos);
  EXPECT_NE(error_of(HttpParams("http://h/").str("save_to_fd", "x")).find("save_to_fd"), std::string::npos);
}

TEST_F(HttpRequestParamsTest, IdempotentMethodsAreTheRfcOnes) {
  EXPECT_TRUE(is_idempotent("GET"));
  EXPECT_TRUE(is_idempotent("HEAD"));
  EXPECT_TRUE(is_idempotent("PUT"));
  EXPECT_TRUE(is_idempotent("DELETE"));
  EXPECT_FALSE(is_idempotent("POST"));
  EXPECT_FALSE(is_idempotent("PATCH"));
}

}  // namespace
}  // namespace coproc::http
