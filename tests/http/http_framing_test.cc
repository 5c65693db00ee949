// Response framing through the real co-process against a Python server that
// breaks the rules on purpose (tests/support/http_misbehaving_server.py): a
// malformed or truncated body is an `upstream` error, never a success, and
// no byte a server sends beyond a response reaches another request.
#include <gtest/gtest.h>

#include "misbehaving_server_fixture.h"
#include "test_users.h"

namespace coproc::test {
namespace {

class HttpFramingTest : public MisbehavingServerTest {};

TEST_F(HttpFramingTest, ChunkedBodyCutBeforeTheLastChunkIsAnUpstreamError) {
  start_coprocess();
  auto c = connect();
  expect_upstream(get(*c, "/chunked-truncated"), "no last chunk");
  expect_upstream(save(*c, "/chunked-truncated", dir_.file("out.bin")), "no last chunk");
}

TEST_F(HttpFramingTest, ChunkSizeThatIsNotHexIsAnUpstreamErrorAndTheConnectionIsNotReused) {
  start_coprocess();
  auto c = connect();
  expect_upstream(get(*c, "/chunked-bad-size"), "'zz' is not a hexadecimal size");
  expect_upstream(save(*c, "/chunked-bad-size", dir_.file("out.bin")), "not a hexadecimal size");
  ASSERT_FALSE(get(*c, "/hello").error);
  EXPECT_NE(connection_of_last("/hello"), connection_of_last("/chunked-bad-size"))
      << "a connection with a malformed response went back to the pool";
}

TEST_F(HttpFramingTest, BodyShorterThanContentLengthIsAnUpstreamError) {
  start_coprocess();
  auto c = connect();
  expect_upstream(get(*c, "/short-length"), "after 16 of 100 body bytes");
  expect_upstream(save(*c, "/short-length", dir_.file("out.bin")), "after 16 of 100 body bytes");
}

TEST_F(HttpFramingTest, ConflictingContentLengthsAreAnUpstreamErrorAndTheConnectionIsNotReused) {
  start_coprocess();
  auto c = connect();
  expect_upstream(get(*c, "/conflicting-length"), "conflicting Content-Length values (5 and 7)");
  expect_upstream(save(*c, "/conflicting-length", dir_.file("out.bin")), "conflicting");
  ASSERT_FALSE(get(*c, "/hello").error);
  EXPECT_NE(connection_of_last("/hello"), connection_of_last("/conflicting-length"));
}

TEST_F(HttpFramingTest, AFieldNameWithABlankBeforeItsColonFramesNothing) {
  // "Content-Length : 5" is not a Content-Length: the body runs to the close.
  start_coprocess();
  auto c = connect();
  auto r = get(*c, "/blank-before-colon");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(field_str(r.result, "body"), "hello world");
  ASSERT_FALSE(get(*c, "/hello").error);
  EXPECT_NE(connection_of_last("/hello"), connection_of_last("/blank-before-colon"));
}

TEST_F(HttpFramingTest, BytesAfterA204NeverReachAnotherUsersRequest) {
  start_coprocess();
  const TestUser bob = ensure_user("coproc-t-bob");
  auto c = connect();  // root: user A
  auto a = get(*c, "/extra-after-204");
  ASSERT_FALSE(a.error) << a.error->message;
  EXPECT_EQ(field_int(a.result, "status"), 204);
  const std::string seen_by_bob = run_as(bob, [&] {
    RawClient b(socket_path());
    auto r = b.call("http.request", HttpParams(url("/hello")).packed(), std::chrono::seconds(30));
    if (r.error) return "error " + r.error->message;
    return field_str(r.result, "body");
  });
  EXPECT_EQ(seen_by_bob.rfind("hello from connection ", 0), 0u)
      << "user B received: " << seen_by_bob;
}

TEST_F(HttpFramingTest, BytesBeyondAResponseAreNeverReadAsTheNextResponse) {
  start_coprocess();
  auto c = connect();
  for (const auto& [path, method] : {std::pair<std::string, std::string>{"/extra-after-204", "GET"},
                                     {"/extra-after-length", "GET"},
                                     {"/extra-after-head", "HEAD"}}) {
    auto first = get(*c, path, method);
    ASSERT_FALSE(first.error) << path << ": " << first.error->message;
    auto next = get(*c, "/hello");
    ASSERT_FALSE(next.error) << path << ": " << next.error->message;
    EXPECT_EQ(field_str(next.result, "body").rfind("hello from connection ", 0), 0u)
        << "after " << path << " the next request read: " << field_str(next.result, "body");
    EXPECT_NE(connection_of_last("/hello"), connection_of_last(path)) << path;
  }
  // A well-framed exchange still reuses its connection.
  ASSERT_FALSE(get(*c, "/hello").error);
  const int conn = connection_of_last("/hello");
  ASSERT_FALSE(get(*c, "/hello").error);
  EXPECT_EQ(connection_of_last("/hello"), conn);
}

}  // namespace
}  // namespace coproc::test
