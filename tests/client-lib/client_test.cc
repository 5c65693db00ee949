// coproc::Client against the real coprocess on a temporary runtime dir:
// pipelining from many threads and clients, reconnect after kill -9,
// "connection lost, outcome unknown", timeouts, fd passing, and clear
// statuses when nothing runs or the peer misbehaves.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "coprocess_fixture.h"
#include "coproc/client.hpp"
#include "debug_calls.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Writer {
  std::string* out;
  void write(const char* d, std::size_t n) { out->append(d, n); }
};

class ClientTest : public CoprocessFixture {
 protected:
  void SetUp() override { start_coprocess({"--set", "debug.methods=true"}); }

  ClientOptions options() {
    ClientOptions o;
    o.endpoint = socket_path();
    o.control_endpoint = runtime_dir() + "/control.sock";  // no service here
    o.connect_timeout_ms = 20000;
    o.call_timeout_ms = 60000;
    return o;
  }

  /// SIGSTOP, and wait until the kernel shows the process stopped, so a
  /// request sent afterwards is certainly not answered.
  void freeze_coprocess() {
    coprocess_.signal(SIGSTOP);
    const std::string stat = "/proc/" + std::to_string(coprocess_.pid()) + "/stat";
    ASSERT_TRUE(wait_until(
        [&] {
          const std::string s = read_file(stat);
          const auto paren = s.rfind(')');
          return paren != std::string::npos && s.size() > paren + 2 && s[paren + 2] == 'T';
        },
        seconds(10)));
  }

  void kill_coprocess() {
    coprocess_.signal(SIGKILL);
    ASSERT_NE(coprocess_.wait(seconds(10)), -1);
  }
};

TEST_F(ClientTest, FiftyConcurrentClientsTimesThousandCallsAreAllMatched) {
  constexpr int kClients = 50, kCalls = 1000;
  std::atomic<int> matched{0}, failed{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Client client(options());
      for (int i = 0; i < kCalls; ++i) {
        const std::string data = "client " + std::to_string(c) + " call " + std::to_string(i);
        CallResult r = client.call("debug.echo", echo_params(data));
        if (r.ok() && echoed(r) == data) {
          ++matched;
        } else {
          ++failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(matched.load(), kClients * kCalls);
}

TEST_F(ClientTest, ManyThreadsPipelineOnOneClientAndEveryAnswerIsMatched) {
  Client client(options());
  EXPECT_EQ(echoes_matched_from_threads(client, 16, 500), 16 * 500);
}

TEST_F(ClientTest, SlowCallDoesNotHoldBackFastCallsOnTheSameClient) {
  Client client(options());
  auto slow = std::async(std::launch::async,
                         [&] { return client.call("debug.sleep", sleep_params(3000)); });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(client.call("sys.ping", "").ok());
  // All pings were answered while the sleep is still running.
  EXPECT_EQ(slow.wait_for(milliseconds(0)), std::future_status::timeout);
  EXPECT_TRUE(slow.get().ok());
}

TEST_F(ClientTest, ReadingPassesToTheOtherCallersWhenTheReaderTimesOut) {
  Client client(options());
  ASSERT_EQ(client.connect(), COPROC_OK);
  // The first caller reads the socket for everyone, then gives up at its
  // deadline; the others' answers arrive later and must still be read.
  CallOptions short_wait;
  short_wait.timeout_ms = 200;
  auto reader = std::async(std::launch::async, [&] {
    return client.call("debug.sleep", sleep_params(5000), short_wait);
  });
  std::this_thread::sleep_for(milliseconds(50));
  std::vector<std::future<CallResult>> others;
  for (int i = 0; i < 4; ++i) {
    others.push_back(std::async(std::launch::async, [&] {
      return client.call("debug.sleep", sleep_params(800));
    }));
  }
  EXPECT_EQ(reader.get().status, COPROC_E_TIMEOUT);
  for (auto& o : others) {
    CallResult r = o.get();
    EXPECT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
  }
}

TEST_F(ClientTest, AnswersArriveInCompletionOrderOnOneClient) {
  Client client(options());
  std::atomic<int> order{0};
  int slow_rank = -1, fast_rank = -1;
  auto slow = std::async(std::launch::async, [&] {
    CallResult r = client.call("debug.sleep", sleep_params(1500));
    slow_rank = order++;
    return r.ok();
  });
  std::this_thread::sleep_for(milliseconds(100));
  auto fast = std::async(std::launch::async, [&] {
    CallResult r = client.call("debug.sleep", sleep_params(10));
    fast_rank = order++;
    return r.ok();
  });
  EXPECT_TRUE(fast.get());
  EXPECT_TRUE(slow.get());
  EXPECT_EQ(fast_rank, 0);
  EXPECT_EQ(slow_rank, 1);
}

TEST_F(ClientTest, HandshakeReportsTheServerAndItsPid) {
  Client client(options());
  ASSERT_EQ(client.connect(), COPROC_OK);
  const ServerInfo info = client.server_info();
  EXPECT_EQ(info.protocol, 1);
  EXPECT_EQ(info.server, "coprocess");
  EXPECT_EQ(info.pid, coprocess_.pid());
  EXPECT_FALSE(info.launched);
}

TEST_F(ClientTest, ConnectedClientCallsANewCoprocessAfterKillNineWithoutAnError) {
  Client client(options());
  ASSERT_TRUE(client.call("sys.ping", "").ok());
  const auto first_pid = client.server_info().pid;
  kill_coprocess();
  start_coprocess({"--set", "debug.methods=true"});
  CallResult r = client.call("sys.ping", "");
  EXPECT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
  EXPECT_EQ(client.server_info().pid, coprocess_.pid());
  EXPECT_NE(client.server_info().pid, first_pid);
}

TEST_F(ClientTest, IdempotentCallInFlightDuringKillNineIsResentToTheNextCoprocess) {
  Client client(options());
  ASSERT_TRUE(client.call("sys.ping", "").ok());
  freeze_coprocess();  // the request is written but never answered
  auto in_flight = std::async(std::launch::async, [&] { return client.call("sys.status", ""); });
  ASSERT_EQ(in_flight.wait_for(milliseconds(300)), std::future_status::timeout);
  kill_coprocess();
  start_coprocess({"--set", "debug.methods=true"});
  CallResult r = in_flight.get();
  EXPECT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
  EXPECT_EQ(client.server_info().pid, coprocess_.pid());
}

TEST_F(ClientTest, NonIdempotentCallInFlightDuringKillNineReportsConnectionLost) {
  Client client(options());
  ASSERT_TRUE(client.call("sys.ping", "").ok());
  // debug.sleep is not idempotent; the server is busy with it when killed.
  auto in_flight = std::async(std::launch::async,
                              [&] { return client.call("debug.sleep", sleep_params(30000)); });
  ASSERT_EQ(in_flight.wait_for(milliseconds(300)), std::future_status::timeout);
  kill_coprocess();
  CallResult r = in_flight.get();
  EXPECT_EQ(r.status, COPROC_E_CONNECTION_LOST) << r.error_message;
  EXPECT_EQ(r.error_name, "connection_lost");
  EXPECT_NE(r.error_message.find("may or may not have been carried out"), std::string::npos)
      << r.error_message;
}

TEST_F(ClientTest, CallMarkedIdempotentIsResentEvenUnderAnUnknownName) {
  Client client(options());
  ASSERT_TRUE(client.call("sys.ping", "").ok());
  freeze_coprocess();
  CallOptions co;
  co.idempotent = 1;
  auto in_flight = std::async(std::launch::async,
                              [&] { return client.call("debug.echo", echo_params("again"), co); });
  ASSERT_EQ(in_flight.wait_for(milliseconds(300)), std::future_status::timeout);
  kill_coprocess();
  start_coprocess({"--set", "debug.methods=true"});
  CallResult r = in_flight.get();
  ASSERT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
  EXPECT_EQ(echoed(r), "again");
}

TEST_F(ClientTest, CallTimeoutGivesTimeoutAndTheConnectionKeepsWorking) {
  Client client(options());
  ASSERT_EQ(client.connect(), COPROC_OK);  // the 100 ms below are for the call alone
  CallOptions co;
  co.timeout_ms = 100;
  CallResult r = client.call("debug.sleep", sleep_params(2000), co);
  EXPECT_EQ(r.status, COPROC_E_TIMEOUT);
  EXPECT_NE(r.error_message.find("no answer to debug.sleep within 100 ms"), std::string::npos)
      << r.error_message;
  CallResult after = client.call("debug.echo", echo_params("still here"));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(echoed(after), "still here");
}

TEST_F(ClientTest, FileDescriptorsTravelWithTheirRequest) {
  Client client(options());
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const std::string text = "through SCM_RIGHTS";
  ASSERT_EQ(::write(p[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(p[1]);
  CallOptions co;
  co.fds = {p[0]};
  CallResult r = client.call_json("debug.read_fd", "{\"fd\": 0}", co);
  ::close(p[0]);
  ASSERT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
  EXPECT_EQ(r.result, "{\"data\":\"through SCM_RIGHTS\"}");
}

TEST_F(ClientTest, LargeRequestsFromManyThreadsAreWrittenWhole) {
  Client client(options());
  std::vector<std::future<bool>> calls;
  for (int t = 0; t < 4; ++t) {
    calls.push_back(std::async(std::launch::async, [&, t] {
      const std::string data(3u << 20, static_cast<char>('a' + t));
      CallResult r = client.call("debug.echo", echo_params(data));
      return r.ok() && echoed(r) == data;
    }));
  }
  for (auto& c : calls) EXPECT_TRUE(c.get());
}

TEST_F(ClientTest, ClientWithAHalfWrittenRequestClosesCleanly) {
  freeze_coprocess();  // nobody reads: the socket buffer fills up
  {
    Client client(options());
    CallOptions co;
    co.timeout_ms = 300;
    CallResult r = client.call("debug.echo", echo_params(std::string(8u << 20, 'x')), co);
    EXPECT_EQ(r.status, COPROC_E_TIMEOUT);
  }  // destroyed while the rest of the request still waits to be written
  coprocess_.signal(SIGCONT);
  Client fresh(options());
  EXPECT_TRUE(fresh.call("sys.ping", "").ok());
}

TEST_F(ClientTest, RemoteErrorsKeepTheirCodeNameAndMessage) {
  Client client(options());
  CallResult r = client.call_json("no.such_method", "{}");
  EXPECT_EQ(r.status, COPROC_E_NOT_FOUND);
  EXPECT_EQ(r.error_name, "not_found");
  EXPECT_NE(r.error_message.find("no.such_method"), std::string::npos);
  r = client.call_json("debug.sleep", "{\"ms\": \"long\"}");
  EXPECT_EQ(r.status, COPROC_E_BAD_REQUEST);
  EXPECT_TRUE(client.call("sys.ping", "").ok());
}

TEST_F(ClientTest, MalformedParamsAreRefusedLocallyAndTheConnectionStaysUsable) {
  Client client(options());
  ASSERT_TRUE(client.call("sys.ping", "").ok());
  CallResult r = client.call("sys.ping", std::string("\xc1", 1));
  EXPECT_EQ(r.status, COPROC_E_MISUSE);
  r = client.call("sys.ping", std::string("\x01", 1));
  EXPECT_EQ(r.status, COPROC_E_MISUSE);
  EXPECT_NE(r.error_message.find("array"), std::string::npos);
  r = client.call("sys.ping", std::string("\x90\x90", 2));
  EXPECT_EQ(r.status, COPROC_E_MISUSE);
  EXPECT_TRUE(client.call("sys.ping", "").ok());
}

TEST_F(ClientTest, BadJsonGivesJsonStatusWithoutTouchingTheConnection) {
  Client client(options());
  CallResult r = client.call_json("sys.ping", "{\"a\":");
  EXPECT_EQ(r.status, COPROC_E_JSON);
  EXPECT_NE(r.error_message.find("invalid JSON at byte"), std::string::npos);
  EXPECT_TRUE(client.call_json("sys.ping", "").ok());
}

TEST_F(ClientTest, ByteValuesCrossTheJsonBridgeAsBase64) {
  Client client(options());
  CallResult r = client.call_json("debug.echo", "{\"data\": {\"$base64\": \"AAEC/w==\"}}");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.result, "{\"data\":{\"$base64\":\"AAEC/w==\"}}");
}

class ClientNotRunningTest : public ::testing::Test {
 protected:
  TempDir dir_;
  ClientOptions options(bool auto_launch) {
    ClientOptions o;
    o.endpoint = dir_.file("coproc.sock");
    o.auto_launch = auto_launch;
    o.connect_timeout_ms = 600000;  // must fail at once, not at the deadline
    return o;
  }
};

TEST_F(ClientNotRunningTest, WithoutServiceTheStatusIsServiceNotRunning) {
  Client client(options(true));
  CallResult r = client.call("sys.ping", "");
  EXPECT_EQ(r.status, COPROC_E_SERVICE_NOT_RUNNING);
  EXPECT_NE(r.error_message.find("control.sock"), std::string::npos) << r.error_message;
  // Decided at once, not by waiting for the 10-minute connect deadline.
  EXPECT_EQ(r.error_message.find("deadline"), std::string::npos) << r.error_message;
}

TEST_F(ClientNotRunningTest, WithAutoLaunchOffTheStatusIsNotRunning) {
  Client client(options(false));
  std::string message;
  EXPECT_EQ(client.connect(&message), COPROC_E_NOT_RUNNING);
  EXPECT_NE(message.find("auto-launch is off"), std::string::npos) << message;
  EXPECT_FALSE(client.connected());
}

TEST_F(ClientNotRunningTest, StaleSocketFileCountsAsNotRunning) {
  // A socket file nobody listens on (a killed co-process leaves one).
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = dir_.file("coproc.sock");
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  Client client(options(false));
  EXPECT_EQ(client.call("sys.ping", "").status, COPROC_E_NOT_RUNNING);
}

TEST_F(ClientNotRunningTest, TooLongEndpointPathIsAMisuse) {
  ClientOptions o = options(false);
  o.endpoint = "/tmp/" + std::string(200, 'x');
  Client client(o);
  CallResult r = client.call("sys.ping", "");
  EXPECT_EQ(r.status, COPROC_E_MISUSE);
  EXPECT_NE(r.error_message.find("too long"), std::string::npos);
}

/// A deliberately wrong peer on a socket: it answers every request with
/// fixed bytes, so the client's handling of bad servers can be checked.
class FakePeer {
 public:
  FakePeer(const std::string& path, std::string reply) : reply_(std::move(reply)) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 8) != 0) {
      throw std::runtime_error("FakePeer cannot listen on " + path);
    }
    thread_ = std::thread([this] {
      const int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      if (::read(c, buf, sizeof buf) > 0) {
        (void)!::write(c, reply_.data(), reply_.size());
      }
      char rest;
      (void)!::read(c, &rest, 1);  // until the client closes
      ::close(c);
    });
  }
  ~FakePeer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }

 private:
  int listen_fd_;
  std::string reply_;
  std::thread thread_;
};

std::string hello_reply(int protocol) {
  std::string out;
  Writer w{&out};
  msgpack::packer<Writer> pk(w);
  pk.pack_array(4);
  pk.pack(1);
  pk.pack(1);  // the first msgid a Client uses
  pk.pack_nil();
  pk.pack_map(2);
  pk.pack(std::string("protocol"));
  pk.pack(protocol);
  pk.pack(std::string("server"));
  pk.pack(std::string("fake"));
  return out;
}

TEST_F(ClientNotRunningTest, ServerOfAnotherProtocolLevelGivesProtocolMismatch) {
  FakePeer peer(dir_.file("coproc.sock"), hello_reply(2));
  Client client(options(false));
  std::string message;
  EXPECT_EQ(client.connect(&message), COPROC_E_PROTOCOL_MISMATCH);
  EXPECT_NE(message.find("protocol level 2"), std::string::npos) << message;
}

TEST_F(ClientNotRunningTest, PeerSendingGarbageGivesProtocolError) {
  FakePeer peer(dir_.file("coproc.sock"), std::string("\xc1\xc1\xc1", 3));
  Client client(options(false));
  std::string message;
  EXPECT_EQ(client.connect(&message), COPROC_E_PROTOCOL);
  EXPECT_NE(message.find("sys.hello"), std::string::npos) << message;
}

TEST_F(ClientNotRunningTest, PeerThatNeverAnswersTheHandshakeGivesTimeout) {
  FakePeer peer(dir_.file("coproc.sock"), "");
  ClientOptions o = options(false);
  o.connect_timeout_ms = 300;
  Client client(o);
  EXPECT_EQ(client.call("sys.ping", "").status, COPROC_E_TIMEOUT);
}

}  // namespace
}  // namespace coproc::test
