// Asynchronous calls of the C ABI against the real co-process and a real
// nginx: the C program async_c_test.c (single-threaded, compiled as C), the
// co-process's view of a cancel, and pending calls across a reconnect.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "c_client_fixture.h"
#include "coproc/coproc.h"
#include "http_test_params.h"
#include "nginx_server.h"

namespace coproc::test {
namespace {

using namespace std::chrono_literals;

class AsyncCApiTest : public CoprocessFixture {
 protected:
  static void SetUpTestSuite() { nginx_ = new NginxServer(); }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }

  void start() {
    // Ten calls of one user run at once (default: 4 per uid).
    start_coprocess({"--set", "debug.methods=true", "--set", "server.worker_threads=16", "--set",
                     "server.worker_threads_per_uid=12", "--set",
                     "server.shutdown_timeout_ms=300"});
  }

  std::int64_t http_status_field(const std::string& key) {
    auto c = connect();
    rpc::Response r = c->call("sys.status");
    return field_int(field(r.result, "http"), key);
  }

  static NginxServer* nginx_;
};

NginxServer* AsyncCApiTest::nginx_ = nullptr;

TEST_F(AsyncCApiTest, SingleThreadedCProgramHasTenSlowGetsInTheTimeOfAFew) {
  start();
  TestProcess::Options o;
  o.argv = {COPROC_ASYNC_C_TEST_BIN, socket_path(), nginx_->http_url("")};
  o.output_path = dir_.file("async_c_test.out");
  TestProcess p(o);
  const int status = p.wait(std::chrono::seconds(120));
  const std::string out = read_file(o.output_path);
  std::cout << out;
  ASSERT_TRUE(WIFEXITED(status)) << status << "\n" << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out << log();
  EXPECT_NE(out.find("ok: "), std::string::npos) << out;
  // The program cancelled a /stream request mid-body (the co-process
  // aborted it and closed its connection), and freed another one at once
  // (stopped before or during its exchange).
  ASSERT_TRUE(wait_until([&] { return http_status_field("in_flight") == 0; }, 10s));
  EXPECT_EQ(http_status_field("cancelled"), 2) << log();
  EXPECT_GE(http_status_field("aborted"), 1);
}

TEST_F(AsyncCApiTest, PendingCallsAcrossAReconnectFollowTheRulesOfBlockingCalls) {
  start();
  coproc_client* c = new_c_client(socket_path());
  // A job that is still running when the co-process restarts.
  char* submitted = nullptr;
  ASSERT_EQ(coproc_call_json(c, "job.submit",
                             R"({"method": "debug.sleep", "params": {"ms": 20000}})", &submitted),
            COPROC_OK)
      << coproc_errmsg(c);
  const std::string sub = submitted;
  coproc_free(submitted);
  const auto at = sub.find("\"job_id\"");
  ASSERT_NE(at, std::string::npos) << sub;
  const auto q1 = sub.find('"', sub.find(':', at) + 1);
  const std::string job_id = sub.substr(q1 + 1, sub.find('"', q1 + 1) - q1 - 1);

  // Not idempotent: lost with the connection. Idempotent (job.wait): resent.
  coproc_pending* sleeper = nullptr;
  coproc_pending* waiter = nullptr;
  ASSERT_EQ(coproc_call_json_async(c, "debug.sleep", R"({"ms": 20000})", &sleeper), COPROC_OK);
  const std::string wait_params = R"({"job_id": ")" + job_id + R"(", "timeout_ms": 20000})";
  ASSERT_EQ(coproc_call_json_async(c, "job.wait", wait_params.c_str(), &waiter), COPROC_OK);
  std::this_thread::sleep_for(200ms);  // both reached the co-process
  EXPECT_EQ(coproc_pending_ready(sleeper), 0);
  EXPECT_EQ(coproc_pending_ready(waiter), 0);

  stop_coprocess();
  start();

  EXPECT_EQ(coproc_pending_wait(sleeper, 10000), COPROC_OK);
  char* json = nullptr;
  EXPECT_EQ(coproc_pending_result_json(sleeper, &json), COPROC_E_CONNECTION_LOST);
  EXPECT_NE(std::string(coproc_errmsg(c)).find("not idempotent"), std::string::npos)
      << coproc_errmsg(c);
  EXPECT_EQ(coproc_pending_wait(waiter, 10000), COPROC_OK);
  ASSERT_EQ(coproc_pending_result_json(waiter, &json), COPROC_OK) << coproc_errmsg(c);
  // The new co-process answered the resent job.wait: the job was interrupted.
  EXPECT_NE(std::string(json).find("interrupted"), std::string::npos) << json;
  coproc_free(json);
  coproc_pending_free(sleeper);
  coproc_pending_free(waiter);
  coproc_client_close(c);
}

TEST_F(AsyncCApiTest, ClosingTheClientEndsItsCallsInFlight) {
  start();
  coproc_client* c = new_c_client(socket_path());
  coproc_pending* p = nullptr;
  ASSERT_EQ(coproc_call_json_async(c, "debug.sleep", R"({"ms": 20000})", &p), COPROC_OK);
  const auto started = std::chrono::steady_clock::now();
  coproc_pending_free(p);  // cancels: the co-process stops sleeping
  ASSERT_TRUE(wait_until([&] { return log().find("caller went away") != std::string::npos; }, 5s))
      << log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  coproc_client_close(c);
}

#ifdef COPROC_COBOL_ASYNC_BIN
TEST_F(AsyncCApiTest, CobolExampleFiresRequestsWithoutWaitingAndCollectsThemLater) {
  start();
  TestProcess::Options o;
  o.argv = {COPROC_COBOL_ASYNC_BIN};
  o.env = {"COPROC_ENDPOINT=" + socket_path(),
           // Its own query string: the other tests of this program (one process
           // when run without ctest) ask the same nginx for /slow300ms too.
           "COPROC_EXAMPLE_URL=" + nginx_->http_url("/slow300ms?cobol-example"),
           "LD_LIBRARY_PATH=" COPROC_LIBRARY_DIR};
#ifdef COPROC_ASAN_RUNTIME
  o.env.push_back("LD_PRELOAD=" COPROC_ASAN_RUNTIME);
  o.env.push_back("ASAN_OPTIONS=detect_leaks=0");
#endif
  o.output_path = dir_.file("cobol.out");
  const auto started = std::chrono::steady_clock::now();
  TestProcess p(o);
  const int status = p.wait(std::chrono::seconds(60));
  const auto took = std::chrono::steady_clock::now() - started;
  const std::string out = read_file(o.output_path);
  std::cout << out;
  ASSERT_TRUE(WIFEXITED(status)) << status << "\n" << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  const auto sent = out.find("5 requests sent");
  ASSERT_NE(sent, std::string::npos) << out;
  // Every answer came after the program had gone on (fired without waiting).
  std::size_t done = 0;
  for (auto at = out.find("done: ", sent); at != std::string::npos; at = out.find("done: ", at + 1)) {
    ++done;
    EXPECT_NE(out.substr(at, 60).find("200"), std::string::npos) << out;
  }
  EXPECT_EQ(done, 5u) << out;
  // All five were at nginx at once: the last to start began before the first
  // ended (one after the other they would take 1.5 s). Read from nginx's log,
  // so a slow start of the COBOL runtime on a loaded machine cannot fail it.
  const auto served = nginx_->served("/slow300ms?cobol-example");
  ASSERT_EQ(served.size(), 5u) << nginx_->access_log();
  double last_start = 0, first_end = 1e300;
  for (const auto& s : served) {
    last_start = std::max(last_start, s.start_s);
    first_end = std::min(first_end, s.end_s);
  }
  EXPECT_LT(last_start, first_end) << nginx_->access_log();
  std::cout << "the program ran " << std::chrono::duration<double>(took).count() << " s\n";
}
#endif

}  // namespace
}  // namespace coproc::test
