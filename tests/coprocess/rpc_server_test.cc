// The real coprocess binary, driven by tests/support's RawClient (which
// shares no code with client-lib), on a temporary runtime dir.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "coprocess_fixture.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string error_name(const rpc::Response& r) { return r.error ? r.error->name : ""; }

rpc::Packed sleep_params(int ms) {
  std::vector<std::map<std::string, int>> p{{{"ms", ms}}};
  return rpc::pack_value(p);
}

// [0, id, "debug.echo", [{"data": data, "repeat": repeat}]]
std::string echo_request(rpc::MsgId id, const std::string& data, int repeat) {
  std::string out;
  struct Writer {
    std::string* o;
    void write(const char* d, std::size_t n) { o->append(d, n); }
  } w{&out};
  msgpack::packer<Writer> pk(w);
  pk.pack_array(4);
  pk.pack(0);
  pk.pack(id);
  pk.pack(std::string("debug.echo"));
  pk.pack_array(1);
  pk.pack_map(2);
  pk.pack(std::string("data"));
  pk.pack(data);
  pk.pack(std::string("repeat"));
  pk.pack(repeat);
  return out;
}

class RpcServerTest : public CoprocessFixture {
 protected:
  void SetUp() override { start_coprocess({"--set", "debug.methods=true"}); }

  std::int64_t status_field(const std::string& name) {
    auto c = connect();
    auto r = c->call("sys.status");
    const msgpack::object* v = map_get(r.result, name);
    return v ? v->as<std::int64_t>() : -1;
  }
};

TEST_F(RpcServerTest, FiftyClientsPipeliningAThousandCallsEachGetEveryAnswerMatched) {
  constexpr int kClients = 50, kCalls = 1000, kWindow = 32;
  std::atomic<int> matched{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      RawClient c(socket_path());
      std::set<rpc::MsgId> outstanding;
      rpc::MsgId next = static_cast<rpc::MsgId>(t) * 100000 + 1;
      int sent = 0, received = 0;
      while (received < kCalls) {
        while (sent < kCalls && outstanding.size() < kWindow) {
          c.send_request(next, "sys.ping", rpc::empty_params());
          outstanding.insert(next++);
          ++sent;
        }
        auto r = c.receive_response(seconds(30));
        if (outstanding.erase(r.msgid) == 1 && !r.error) {
          matched++;
        } else {
          wrong++;
        }
        ++received;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(matched.load(), kClients * kCalls);
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(RpcServerTest, SlowCallDoesNotHoldBackALaterFastOne) {
  auto c = connect();
  c->send_request(1, "debug.sleep", sleep_params(400));
  c->send_request(2, "sys.ping", rpc::empty_params());
  auto first = c->receive_response();
  auto second = c->receive_response();
  EXPECT_EQ(first.msgid, 2u) << "responses come in completion order";
  EXPECT_EQ(second.msgid, 1u);
  EXPECT_FALSE(second.error);
}

TEST_F(RpcServerTest, GarbageFromOneClientClosesOnlyThatClient) {
  auto good = connect();
  auto bad = connect();
  ASSERT_FALSE(good->call("sys.ping").error);
  bad->send_bytes(std::string("\xc1garbage\xff\xff", 10));
  EXPECT_TRUE(bad->closed_by_peer());
  EXPECT_FALSE(good->call("sys.ping").error);
  EXPECT_GE(status_field("protocol_errors"), 1);
  EXPECT_NE(log().find("undecodable input"), std::string::npos);
}

TEST_F(RpcServerTest, InvalidRequestWithAMsgidIsAnsweredAndTheConnectionKept) {
  auto c = connect();
  // [0, 5, 123, []] : method is not a string
  c->send_bytes(std::string("\x94\x00\x05\x7b\x90", 5));
  auto r = c->receive_response();
  EXPECT_EQ(r.msgid, 5u);
  EXPECT_EQ(error_name(r), "bad_request");
  EXPECT_EQ(r.error->message, "method must be a string");
  EXPECT_FALSE(c->call("sys.ping").error) << "stream still in sync";
}

TEST_F(RpcServerTest, UnknownMethodAndBadParamsGetClearErrors) {
  auto c = connect();
  auto r = c->call("mail.sendd");
  EXPECT_EQ(error_name(r), "not_found");
  EXPECT_EQ(r.error->message, "unknown method 'mail.sendd'");
  r = c->call("sys.ping", rpc::pack_value(std::vector<int>{1, 2}));
  EXPECT_EQ(error_name(r), "bad_request");
  r = c->call("debug.sleep", string_params({{"ms", "soon"}}));
  EXPECT_EQ(error_name(r), "bad_request");
  EXPECT_EQ(r.error->message, "parameter 'ms' must be an integer, got string");
  EXPECT_FALSE(c->call("sys.ping").error);
}

TEST_F(RpcServerTest, HelloWithAnotherProtocolLevelIsRefusedClearly) {
  auto c = connect();
  std::vector<std::map<std::string, int>> p{{{"protocol", 99}}};
  auto r = c->call("sys.hello", rpc::pack_value(p));
  EXPECT_EQ(error_name(r), "protocol_mismatch");
  EXPECT_NE(r.error->message.find("protocol 99"), std::string::npos);
  auto ok = c->call("sys.hello", hello_params());
  ASSERT_FALSE(ok.error);
  EXPECT_EQ(map_get(ok.result, "protocol")->as<int>(), 1);
  EXPECT_EQ(map_get(ok.result, "pid")->as<int>(), coprocess_.pid());
}

TEST_F(RpcServerTest, EveryReadableRequestIsAnsweredAndTheConnectionStaysOpen) {
  // Issue 13: a 5-element request and a malformed notification used to
  // close the connection, taking the requests pipelined behind them along.
  auto c = connect();
  std::string bytes;
  bytes += rpc::pack_value(std::make_tuple(0, 11, "sys.ping", std::vector<int>{}, 5)).bytes;
  bytes += rpc::pack_value(std::make_tuple(0, 12, "sys.ping")).bytes;
  bytes += rpc::pack_value(std::make_tuple(0, 13, 42, std::vector<int>{})).bytes;
  bytes += rpc::pack_value(std::make_tuple(2, "mail.send", "x")).bytes;
  bytes += rpc::pack_value(std::make_tuple(2, 7)).bytes;
  bytes += rpc::encode_request(14, "sys.ping", rpc::empty_params());
  c->send_bytes(bytes);
  std::map<rpc::MsgId, rpc::Response> got;
  for (int i = 0; i < 4; ++i) {
    rpc::Response r = c->receive_response(std::chrono::seconds(5));
    got[r.msgid] = r;
  }
  for (rpc::MsgId id : {11u, 12u, 13u}) {
    ASSERT_TRUE(got.count(id)) << id;
    EXPECT_EQ(error_name(got[id]), "bad_request") << id;
  }
  EXPECT_NE(got[11].error->message.find("got 5 elements"), std::string::npos)
      << got[11].error->message;
  ASSERT_TRUE(got.count(14));
  EXPECT_FALSE(got[14].error);
  EXPECT_FALSE(c->closed_by_peer(std::chrono::milliseconds(200)));
  EXPECT_FALSE(c->call("sys.ping").error) << "still open and in sync";
  EXPECT_NE(log().find("(notification, dropped)"), std::string::npos);
}

TEST_F(RpcServerTest, PingAndHelloValidateTheirParamsLikeEveryMethod) {
  auto c = connect();
  auto r = c->call("sys.ping", string_params({{"bogus", "1"}}));
  EXPECT_EQ(error_name(r), "bad_request");
  EXPECT_NE(r.error->message.find("bogus"), std::string::npos) << r.error->message;
  r = c->call("sys.hello", string_params({{"client", "t"}}));
  EXPECT_EQ(error_name(r), "bad_request");
  EXPECT_NE(r.error->message.find("'protocol' is required"), std::string::npos)
      << r.error->message;
  r = c->call("sys.hello", string_params({{"protocol", "1"}}));
  EXPECT_EQ(error_name(r), "bad_request") << "protocol must be an integer";
  r = c->call("sys.hello", hello_params());
  EXPECT_FALSE(r.error);
}

TEST_F(RpcServerTest, CallerIdentityComesFromTheKernel) {
  auto c = connect();
  auto r = c->call("sys.status");
  EXPECT_EQ(map_get(r.result, "caller_uid")->as<std::uint32_t>(), ::getuid());
  EXPECT_NE(log().find("uid=" + std::to_string(::getuid()) + " pid=" + std::to_string(::getpid())),
            std::string::npos);
}

TEST_F(RpcServerTest, PassedFileDescriptorReachesTheHandler) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "through the socket", 18), 18);
  ::close(fds[1]);
  auto c = connect();
  std::vector<std::map<std::string, int>> p{{{"fd", 0}}};
  c->send_bytes(rpc::encode_request(1, "debug.read_fd", rpc::pack_value(p)), {fds[0]});
  ::close(fds[0]);
  auto r = c->receive_response();
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(map_get(r.result, "data")->as<std::string>(), "through the socket");
  // A request that names a descriptor it did not carry is a bad_request.
  auto missing = c->call("debug.read_fd", rpc::pack_value(p));
  EXPECT_EQ(error_name(missing), "bad_request");
}

class RpcServerLimitsTest : public CoprocessFixture {};

TEST_F(RpcServerLimitsTest, OversizedMessageGetsTooLargeForItsMsgidAndOthersGoOn) {
  start_coprocess({"--set", "debug.methods=true", "--set", "limits.max_message_bytes=65536"});
  auto good = connect();
  auto big = connect();
  std::vector<std::map<std::string, std::string>> p{{{"data", std::string(200000, 'x')}}};
  big->send_bytes(rpc::encode_request(77, "debug.echo", rpc::pack_value(p)).substr(0, 70000));
  auto r = big->receive_response();
  EXPECT_EQ(r.msgid, 77u);
  EXPECT_EQ(error_name(r), "too_large");
  EXPECT_NE(r.error->message.find("65536"), std::string::npos);
  EXPECT_TRUE(big->closed_by_peer());
  EXPECT_FALSE(good->call("sys.ping").error);
}

TEST_F(RpcServerLimitsTest, DeepNestingAndHugeHeadersAreRefusedWithoutHarm) {
  start_coprocess({"--set", "debug.methods=true"});
  auto good = connect();
  {
    auto c = connect();
    std::string deep("\x94\x00\x01\xa8sys.ping", 12);
    deep += std::string(200000, '\x91');
    c->send_bytes(deep);
    auto r = c->receive_response();
    EXPECT_EQ(error_name(r), "too_large");
  }
  {
    auto c = connect();
    c->send_bytes(std::string("\x94\x00\x02\xa8sys.ping\xdd\xff\xff\xff\xff", 17));
    auto r = c->receive_response();
    EXPECT_EQ(r.msgid, 2u);
    EXPECT_EQ(error_name(r), "too_large");
  }
  EXPECT_FALSE(good->call("sys.ping").error);
  EXPECT_LT(rss_kib(coprocess_.pid()), 200 * 1024 * kMemoryBoundFactor);
}

TEST_F(RpcServerLimitsTest, DeclaredOversizeStringIsRefusedAtItsHeaderBeforeItsBytes) {
  // Issue 13: a 17 MiB string announced and then trickled used to be held
  // until 16 MiB had arrived. Now the header alone earns the answer.
  start_coprocess();
  auto c = connect();
  c->send_bytes(std::string("\x94\x00\x0d\xa8sys.ping\x91\xdb\x01\x10\x00\x00", 18));
  auto r = c->receive_response(std::chrono::seconds(3));
  EXPECT_EQ(r.msgid, 13u);
  EXPECT_EQ(error_name(r), "too_large");
  EXPECT_NE(r.error->message.find("declares 17825792"), std::string::npos) << r.error->message;
  EXPECT_TRUE(c->closed_by_peer());
}

TEST_F(RpcServerLimitsTest, SilentConnectionIsClosedAfterTheHandshakeTimeout) {
  start_coprocess({"--set", "server.handshake_timeout_ms=300"});
  auto silent = connect();
  auto active = connect();
  EXPECT_FALSE(active->call("sys.ping").error);
  EXPECT_TRUE(silent->closed_by_peer(seconds(5)));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_FALSE(active->call("sys.ping").error) << "a client that spoke stays connected";
}

TEST_F(RpcServerLimitsTest, ConnectionLimitPerUserAnswersRateLimited) {
  start_coprocess({"--set", "server.max_connections_per_uid=3"});
  auto a = connect(), b = connect(), c = connect();
  ASSERT_FALSE(a->call("sys.ping").error);
  auto d = connect();
  auto r = d->call("sys.ping");
  EXPECT_EQ(error_name(r), "rate_limited");
  EXPECT_NE(r.error->message.find("too many connections for uid"), std::string::npos);
  EXPECT_TRUE(d->closed_by_peer());
  EXPECT_FALSE(b->call("sys.ping").error);
}

TEST_F(RpcServerLimitsTest, FullWorkerQueueAnswersUnavailable) {
  start_coprocess({"--set", "debug.methods=true", "--set", "server.worker_threads=1", "--set",
                   "server.worker_queue=1"});
  auto c = connect();
  auto observer = connect();
  c->send_request(1, "debug.sleep", sleep_params(500));
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = observer->call("sys.status");
        return map_get(*map_get(s.result, "workers"), "busy")->as<int>() == 1;
      },
      seconds(5)))
      << "the only worker is taken";
  for (rpc::MsgId id = 2; id <= 5; ++id) c->send_request(id, "debug.sleep", sleep_params(300));
  int ok = 0, unavailable = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = c->receive_response();
    if (!r.error) ok++;
    if (error_name(r) == "unavailable") unavailable++;
  }
  EXPECT_EQ(ok, 2) << "one running, one queued";
  EXPECT_EQ(unavailable, 3);
  EXPECT_FALSE(c->call("sys.ping").error);
}

TEST_F(RpcServerLimitsTest, PerConnectionInFlightCapHoldsRequestsUnreadButAnswersAll) {
  start_coprocess({"--set", "debug.methods=true", "--set", "server.max_in_flight_per_connection=4"});
  auto c = connect();
  for (rpc::MsgId id = 1; id <= 40; ++id) c->send_request(id, "debug.sleep", sleep_params(50));
  auto observer = connect();
  std::int64_t max_seen = 0;
  std::set<rpc::MsgId> answered;
  std::thread watch([&] {
    for (int i = 0; i < 20; ++i) {
      auto s = observer->call("sys.status");
      max_seen = std::max(max_seen, map_get(s.result, "requests_in_flight")->as<std::int64_t>());
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  for (int i = 0; i < 40; ++i) answered.insert(c->receive_response(seconds(30)).msgid);
  watch.join();
  EXPECT_EQ(answered.size(), 40u);
  EXPECT_LE(max_seen, 4 + 1) << "at most 4 of the connection + the observer's own status call";
}

TEST_F(RpcServerLimitsTest, ClientThatNeverReadsCannotGrowServerMemory) {
  start_coprocess({"--set", "debug.methods=true", "--set", "server.max_output_bytes=1M"});
  const long rss_before = rss_kib(coprocess_.pid());
  auto hog = connect();
  // Each answer is 256 KiB; 2000 of them would be 500 MiB if buffered.
  std::atomic<int> sent{0};
  std::thread writer([&] {
    timeval tv{0, 200000};  // the send blocks once the server stops reading
    ::setsockopt(hog->fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    for (rpc::MsgId id = 1; id <= 2000; ++id) {
      const std::string r = echo_request(id, std::string(1024, 'y'), 256);
      if (::send(hog->fd(), r.data(), r.size(), MSG_NOSIGNAL) < 0) break;
      sent++;
    }
  });
  writer.join();
  EXPECT_LT(sent.load(), 2000) << "the server must stop reading a client that does not read";
  auto good = connect();
  EXPECT_FALSE(good->call("sys.ping").error);
  const long rss_after = rss_kib(coprocess_.pid());
  EXPECT_LT(rss_after - rss_before, 64 * 1024 * kMemoryBoundFactor)
      << "KiB grown while a client refused to read";
}

TEST_F(RpcServerLimitsTest, PipelinedRequestsAreReadNoFasterThanTheyAreDecoded) {
  // A client that pipelines cheap calls faster than one turn decodes them
  // (32 per turn) and reads its answers: the server may hold one read chunk
  // of its requests, not everything the client manages to send. (An answer
  // completed inside a turn used to re-arm the read, so each read of 64 KiB
  // met a decode of 32 requests and the buffer grew by megabytes.)
  start_coprocess({});
  constexpr int kBursts = 200;
  constexpr int kPerBurst = 1000;
  auto client = connect();
  std::string burst;
  for (rpc::MsgId id = 1; id <= kPerBurst; ++id) {
    burst += rpc::encode_request(id, "sys.ping", rpc::empty_params());
  }
  std::thread sender([&] {
    for (int i = 0; i < kBursts; ++i) {
      for (std::size_t off = 0; off < burst.size();) {
        const ssize_t n = ::send(client->fd(), burst.data() + off, burst.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
      }
    }
  });
  std::atomic<bool> done{false};
  std::int64_t held_max = 0;
  std::thread watch([&] {
    auto observer = connect();
    while (!done) {
      const auto r = observer->call("sys.status");
      if (r.error) break;
      held_max = std::max(held_max, map_get(r.result, "memory_held")->as<std::int64_t>());
      std::this_thread::sleep_for(milliseconds(2));
    }
  });
  int answered = 0;
  for (; answered < kBursts * kPerBurst; ++answered) {
    const auto r = client->receive(seconds(10));
    if (!r) break;
  }
  done = true;
  sender.join();
  watch.join();
  EXPECT_EQ(answered, kBursts * kPerBurst);
  std::printf("%d pipelined pings: memory_held at most %lld bytes\n", answered,
              static_cast<long long>(held_max));
  EXPECT_LT(held_max, 1 << 20) << "bytes held while a client pipelined (read chunks are 64 KiB)";
}

TEST_F(RpcServerLimitsTest, HundredsOfSlowBigMessagesStayUnderTheMemoryBudget) {
  // Issue 13: 300 connections each declare a 15 MiB string (under every
  // per-message limit) and trickle 1 MiB of it: 300 MiB offered. The budget
  // (32 MiB) closes the biggest holders; RSS stays near baseline + budget and
  // another connection's pings are all answered meanwhile.
  constexpr int kConnections = 300;
  constexpr std::size_t kChunk = 64 * 1024;
  constexpr int kRounds = 16;  // 1 MiB per connection
  start_coprocess({"--set", "limits.memory_budget=32M", "--set", "server.handshake_timeout_ms=0"});
  const long rss_before = rss_kib(coprocess_.pid());
  auto good = connect();
  std::vector<std::unique_ptr<RawClient>> slow;
  const std::string header("\x94\x00\x01\xa8sys.ping\x91\x81\xa4" "data\xdb\x00\xf0\x00\x00", 21);
  for (int i = 0; i < kConnections; ++i) {
    slow.push_back(connect());
    ::send(slow.back()->fd(), header.data(), header.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  const std::string chunk(kChunk, 'z');
  long rss_max = 0;
  int pings = 0;
  // Each ping queues behind the round's 19 MiB (one 64 KiB read per slow
  // connection), so its wait measures the machine's decoding speed, not the
  // server: the slowest of 16 pings took 2-8 s at load 17-19, and a 5 s
  // bound failed. What must hold is that the pinging connection is never
  // closed and every ping is answered; a wedged server still misses this.
  constexpr auto kPingDeadline = std::chrono::seconds(60);
  auto slowest = std::chrono::steady_clock::duration::zero();
  for (int round = 0; round < kRounds; ++round) {
    for (auto& c : slow) ::send(c->fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    const auto sent = std::chrono::steady_clock::now();
    rpc::Response r;
    try {
      r = good->call("sys.ping", rpc::empty_params(), kPingDeadline);
    } catch (const std::exception& e) {
      FAIL() << "round " << round << ": " << e.what()
             << " (the pinging connection was closed, or not answered within 60 s)";
    }
    slowest = std::max(slowest, std::chrono::steady_clock::now() - sent);
    EXPECT_FALSE(r.error) << "round " << round;
    if (!r.error) ++pings;
    rss_max = std::max(rss_max, rss_kib(coprocess_.pid()));
  }
  EXPECT_EQ(pings, kRounds);
  const long grown_kib = rss_max - rss_before;
  std::printf("memory budget 32 MiB, %d connections x 1 MiB offered: RSS %ld KiB before, "
              "%ld KiB at most (+%ld KiB); slowest ping %lld ms\n",
              kConnections, rss_before, rss_max, grown_kib,
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count()));
  EXPECT_LT(grown_kib, (32 + 32) * 1024 * kMemoryBoundFactor) << "KiB grown";
  const auto status = good->call("sys.status");
  ASSERT_FALSE(status.error);
  EXPECT_GT(map_get(status.result, "evictions")->as<std::uint64_t>(), 0u);
  EXPECT_LE(map_get(status.result, "memory_held")->as<std::uint64_t>(), 32u << 20);
  EXPECT_NE(log().find("over limits.memory_budget=33554432"), std::string::npos);
}

}  // namespace
}  // namespace coproc::test
