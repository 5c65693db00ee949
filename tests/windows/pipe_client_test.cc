// coproc::Client (libcoproc's C++ core) over a named pipe against the real
// coprocess.exe: many threads, reconnect after the co-process is killed,
// retry while the next one starts late, "connection lost, outcome unknown",
// timeouts, and the same statuses as on Linux when nothing runs.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "coproc/client.hpp"
#include "coprocess_win_fixture.h"
#include "debug_calls.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class PipeClientTest : public CoprocessWinFixture {
 protected:
  void SetUp() override { start_coprocess({"--set", "debug.methods=true"}); }

  ClientOptions options() {
    ClientOptions o;
    o.endpoint = endpoint();
    o.connect_timeout_ms = 30000;
    o.call_timeout_ms = 60000;
    return o;
  }
};

TEST_F(PipeClientTest, HandshakeReportsTheServerAndItsPid) {
  Client client(options());
  ASSERT_EQ(client.connect(), COPROC_OK);
  const ServerInfo info = client.server_info();
  EXPECT_EQ(info.server, "coprocess");
  EXPECT_EQ(info.pid, static_cast<std::int64_t>(coprocess_.pid()));
}

TEST_F(PipeClientTest, SixteenThreadsPipelineOnOneClientAndEveryAnswerIsMatched) {
  Client client(options());
  EXPECT_EQ(echoes_matched_from_threads(client, 16, 100), 16 * 100);
}

TEST_F(PipeClientTest, LargeRequestsFromManyThreadsAreWrittenWhole) {
  Client client(options());
  std::atomic<int> matched{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string data(300 * 1024, static_cast<char>('a' + t));  // > the pipe buffer
      for (int i = 0; i < 5; ++i) {
        CallResult r = client.call("debug.echo", echo_params(data));
        if (r.ok() && echoed(r) == data) ++matched;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(matched.load(), 40);
}

TEST_F(PipeClientTest, SlowCallDoesNotHoldBackFastCallsOnTheSameClient) {
  Client client(options());
  auto slow = std::async(std::launch::async,
                         [&] { return client.call("debug.sleep", sleep_params(3000)); });
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client.call("sys.ping", "").ok());
  EXPECT_EQ(slow.wait_for(milliseconds(0)), std::future_status::timeout);
  EXPECT_TRUE(slow.get().ok());
}

TEST_F(PipeClientTest, CallTimeoutGivesTimeoutAndTheConnectionKeepsWorking) {
  Client client(options());
  // Connected first: the 100 ms are for the call, not for connecting to a
  // co-process that is still loading the certificate store at start-up.
  ASSERT_TRUE(client.call("sys.ping", "").ok());
  CallOptions co;
  co.timeout_ms = 100;
  CallResult r = client.call("debug.sleep", sleep_params(2000), co);
  EXPECT_EQ(r.status, COPROC_E_TIMEOUT);
  EXPECT_NE(r.error_message.find("no answer to debug.sleep within 100 ms"), std::string::npos)
      << r.error_message;
  CallResult after = client.call("debug.echo", echo_params("still here"));
  ASSERT_TRUE(after.ok()) << after.error_message;
  EXPECT_EQ(echoed(after), "still here");
}

TEST_F(PipeClientTest, RemoteErrorsKeepTheirCodeNameAndMessage) {
  Client client(options());
  CallResult r = client.call("no.such_method", "");
  EXPECT_EQ(r.status, COPROC_E_NOT_FOUND);
  EXPECT_EQ(r.error_name, "not_found");
  EXPECT_NE(r.error_message.find("unknown method 'no.such_method'"), std::string::npos);
}

TEST_F(PipeClientTest, JsonBridgeWorksOverThePipe) {
  Client client(options());
  CallResult r = client.call_json("debug.echo", R"({"data": "h\u00e9"})");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.result, "{\"data\":\"h\xc3\xa9\"}");
}

TEST_F(PipeClientTest, PassingDescriptorsIsAMisuseOnWindows) {
  Client client(options());
  CallOptions co;
  co.fds = {0};
  CallResult r = client.call("debug.read_fd", string_params({}).bytes, co);
  EXPECT_EQ(r.status, COPROC_E_MISUSE);
  EXPECT_NE(r.error_message.find("not available on Windows"), std::string::npos)
      << r.error_message;
  EXPECT_TRUE(client.call("sys.ping", "").ok());
}

TEST_F(PipeClientTest, ConnectedClientCallsANewCoprocessAfterTheOldOneIsKilled) {
  Client client(options());
  ASSERT_TRUE(client.call("sys.ping", "").ok());
  const auto first_pid = client.server_info().pid;
  kill_coprocess();
  start_coprocess({"--set", "debug.methods=true"});
  CallResult r = client.call("sys.ping", "");
  EXPECT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
  EXPECT_EQ(client.server_info().pid, static_cast<std::int64_t>(coprocess_.pid()));
  EXPECT_NE(client.server_info().pid, first_pid);
}

TEST_F(PipeClientTest, IdempotentCallWaitsForACoprocessThatStartsLate) {
  Client client(options());
  ASSERT_TRUE(client.call("sys.ping", "").ok());
  kill_coprocess();
  // While the pipe is absent (ERROR_FILE_NOT_FOUND) the resend backs off
  // and retries; the next co-process comes 1.5 s later.
  auto in_flight = std::async(std::launch::async, [&] { return client.call("sys.status", ""); });
  EXPECT_EQ(in_flight.wait_for(milliseconds(1500)), std::future_status::timeout);
  start_coprocess({"--set", "debug.methods=true"});
  CallResult r = in_flight.get();
  EXPECT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
  EXPECT_EQ(client.server_info().pid, static_cast<std::int64_t>(coprocess_.pid()));
}

TEST_F(PipeClientTest, NonIdempotentCallInFlightWhenTheCoprocessDiesReportsConnectionLost) {
  Client client(options());
  ASSERT_TRUE(client.call("sys.ping", "").ok());
  auto in_flight = std::async(std::launch::async,
                              [&] { return client.call("debug.sleep", sleep_params(30000)); });
  ASSERT_EQ(in_flight.wait_for(milliseconds(500)), std::future_status::timeout);
  kill_coprocess();
  CallResult r = in_flight.get();
  EXPECT_EQ(r.status, COPROC_E_CONNECTION_LOST) << r.error_message;
  EXPECT_EQ(r.error_name, "connection_lost");
}

class PipeClientNotRunningTest : public CoprocessWinFixture {};

TEST_F(PipeClientNotRunningTest, WithAutoLaunchOffTheStatusIsNotRunning) {
  ClientOptions o;
  o.endpoint = endpoint();
  o.auto_launch = false;
  Client client(o);
  EXPECT_EQ(client.connect(), COPROC_E_NOT_RUNNING);
  CallResult r = client.call("sys.ping", "");
  EXPECT_EQ(r.status, COPROC_E_NOT_RUNNING);
  EXPECT_NE(r.error_message.find(endpoint()), std::string::npos) << r.error_message;
}

TEST_F(PipeClientNotRunningTest, WithoutServiceTheStatusIsServiceNotRunning) {
  ClientOptions o;
  o.endpoint = endpoint();
  Client client(o);
  CallResult r = client.call("sys.ping", "");
  EXPECT_EQ(r.status, COPROC_E_SERVICE_NOT_RUNNING);
  EXPECT_NE(r.error_message.find(space() + "/control.sock"), std::string::npos)
      << r.error_message;
}

TEST_F(PipeClientNotRunningTest, TooLongPipeNameIsAMisuse) {
  ClientOptions o;
  o.endpoint = std::string(300, 'p');
  o.auto_launch = false;
  Client client(o);
  EXPECT_EQ(client.connect(), COPROC_E_MISUSE);
}

}  // namespace
}  // namespace coproc::test
