// Deadlines and cancellation of http.request everywhere: in the TLS
// handshake, while waiting for a worker, and for a client that has gone.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "misbehaving_server_fixture.h"
#include "test_users.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

long ms_since(steady_clock::time_point t) {
  return static_cast<long>(
      std::chrono::duration_cast<milliseconds>(steady_clock::now() - t).count());
}

class HttpDeadlineTest : public MisbehavingServerTest {
 protected:
  std::int64_t http_in_flight(RawClient& c) {
    return field_int(field(c.call("sys.status").result, "http"), "in_flight");
  }
  /// Sends a request without waiting for its answer.
  void send(RawClient& c, std::uint32_t id, const HttpParams& params) {
    c.send_bytes(rpc::encode_request(id, "http.request", params.packed()));
  }
};

// The server accepts and never speaks TLS (it waits for an HTTP request
// head that never comes).
TEST_F(HttpDeadlineTest, TlsHandshakeWithASilentServerEndsAtTheDeadlineWithOneConnect) {
  start_coprocess();
  auto c = connect();
  const std::string silent_tls = "https://127.0.0.1:" + std::to_string(port_) + "/";
  // The CA store loads in the background after start; a first request may
  // wait for it. The measured ones start after it.
  c->call("http.request", HttpParams(silent_tls).integer("timeout_ms", 1000).packed(), seconds(30));
  ASSERT_TRUE(wait_until([&] { return connections_seen() == 1; }, seconds(10)));
  for (const long timeout : {300L, 1500L}) {
    const auto start = steady_clock::now();
    auto r = c->call("http.request", HttpParams(silent_tls).integer("timeout_ms", timeout).packed(),
                     seconds(30));
    const long elapsed = ms_since(start);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->name, "timeout") << r.error->message;
    EXPECT_LT(elapsed, timeout + 250) << "timeout_ms=" << timeout;
    std::cout << "[ measure  ] TLS handshake with a silent server, timeout_ms=" << timeout
              << ": answered after " << elapsed << " ms\n";
  }
  EXPECT_EQ(connections_seen(), 3) << "one connect per request, none after the deadline";
}

TEST_F(HttpDeadlineTest, ClientGoneDuringTheTlsHandshakeFreesItsWorkerAtOnce) {
  start_coprocess();
  auto watcher = connect();
  {
    auto c = connect();
    send(*c, 1, HttpParams("https://127.0.0.1:" + std::to_string(port_) + "/")
                    .integer("timeout_ms", 30000));
    ASSERT_TRUE(wait_until([&] { return connections_seen() == 1; }, seconds(10)));
    ASSERT_EQ(http_in_flight(*watcher), 1);
  }  // disconnects
  const auto gone = steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return http_in_flight(*watcher) == 0; }, seconds(10)));
  const long freed = ms_since(gone);
  EXPECT_LT(freed, 1000);
  std::cout << "[ measure  ] worker freed " << freed << " ms after its client disconnected\n";
}

TEST_F(HttpDeadlineTest, TimeWaitingForAWorkerCountsAgainstTheDeadline) {
  start_coprocess({"--set", "server.worker_threads=1"});
  auto busy = connect();
  send(*busy, 1, HttpParams(url("/slow-headers")).integer("timeout_ms", 20000));
  ASSERT_TRUE(wait_until([&] { return saw("/slow-headers"); }, seconds(10)));
  auto c = connect();
  const auto start = steady_clock::now();
  auto r = c->call("http.request", HttpParams(url("/hello")).integer("timeout_ms", 1000).packed(),
                   seconds(30));
  ASSERT_TRUE(r.error) << "succeeded after " << ms_since(start) << " ms with timeout_ms=1000";
  EXPECT_EQ(r.error->name, "timeout");
  EXPECT_NE(r.error->message.find("waiting for a worker"), std::string::npos) << r.error->message;
  EXPECT_FALSE(saw("/hello")) << "a request past its deadline was still sent";
  EXPECT_FALSE(busy->receive_response(seconds(20)).error);
}

TEST_F(HttpDeadlineTest, QueuedRequestOfAClientThatHasGoneIsNeverSent) {
  start_coprocess({"--set", "server.worker_threads=1"});
  auto busy = connect();
  send(*busy, 1, HttpParams(url("/slow-headers")).integer("timeout_ms", 20000));
  ASSERT_TRUE(wait_until([&] { return saw("/slow-headers"); }, seconds(10)));
  {
    auto gone = connect();
    send(*gone, 2, HttpParams(url("/hello?from-a-gone-client")));
    std::this_thread::sleep_for(milliseconds(200));  // queued behind the slow one
  }
  EXPECT_FALSE(busy->receive_response(seconds(20)).error);
  auto c = connect();
  ASSERT_FALSE(c->call("http.request", HttpParams(url("/hello")).packed(), seconds(10)).error);
  EXPECT_FALSE(saw("/hello?from-a-gone-client"));
}

TEST_F(HttpDeadlineTest, OneUsersSlowRequestsDoNotStarveAnotherUsersFastGet) {
  start_coprocess();  // 8 workers, at most 4 per uid
  const TestUser bob = ensure_user("coproc-t-bob");
  auto a = connect();  // root: user A
  for (std::uint32_t i = 1; i <= 20; ++i) {
    send(*a, i, HttpParams(url("/slow-headers")).integer("timeout_ms", 60000));
  }
  ASSERT_TRUE(wait_until([&] { return count_lines_containing(" GET /slow-headers") >= 4; },
                         seconds(10)));
  std::this_thread::sleep_for(milliseconds(200));  // let A take every slot it can
  const std::string seen_by_bob = run_as(bob, [&] {
    RawClient b(socket_path());
    const auto start = steady_clock::now();
    auto r = b.call("http.request", HttpParams(url("/hello")).packed(), seconds(30));
    if (r.error) return "error " + r.error->message;
    return std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - start).count());
  });
  ASSERT_EQ(seen_by_bob.find("error"), std::string::npos) << seen_by_bob;
  const double bob_ms = std::stol(seen_by_bob) / 1000.0;
  std::cout << "[ measure  ] user B's GET answered in " << bob_ms << " ms while user A had 20 slow requests in flight ("
            << count_lines_containing(" GET /slow-headers") << " of them running)\n";
  EXPECT_LT(bob_ms, 500);
  EXPECT_LE(count_lines_containing(" GET /slow-headers"), 4) << "user A ran more than its share";
  a.reset();  // cancels A's requests
}

}  // namespace
}  // namespace coproc::test
