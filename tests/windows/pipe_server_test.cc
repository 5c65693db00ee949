// The real coprocess.exe on a named pipe, under Windows (or Wine): the
// handshake, many clients at once, pipelining, malformed and oversized
// input, the single-instance rule, the pipe's security descriptor and the
// caller's identity from its token.
#include <gtest/gtest.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "coprocess_win_fixture.h"
#include "peer_credentials_win32.h"
#include "win32_error.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

rpc::Packed sleep_params(int ms) {
  return rpc::pack_value(std::vector<std::map<std::string, int>>{{{"ms", ms}}});
}

std::vector<std::string> string_list(const msgpack::object* o) {
  std::vector<std::string> out;
  if (o && o->type == msgpack::type::ARRAY) {
    for (std::uint32_t i = 0; i < o->via.array.size; ++i) {
      out.push_back(o->via.array.ptr[i].as<std::string>());
    }
  }
  return out;
}

// The user SID of this test process, as the server should see it.
std::string own_user_sid() {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return {};
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<unsigned char> buffer(size);
  std::string sid;
  if (::GetTokenInformation(token, TokenUser, buffer.data(), size, &size)) {
    char* text = nullptr;
    if (::ConvertSidToStringSidA(reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid, &text)) {
      sid = text;
      ::LocalFree(text);
    }
  }
  ::CloseHandle(token);
  return sid;
}

class PipeServerTest : public CoprocessWinFixture {
 protected:
  void SetUp() override { start_coprocess({"--set", "debug.methods=true"}); }
};

TEST_F(PipeServerTest, HelloNamesTheServerAndOffersNoDescriptorPassing) {
  auto c = connect();
  auto r = c->call("sys.hello", rpc::pack_value(std::vector<std::map<std::string, int>>{
                                    {{"protocol", 1}}}));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(map_get(r.result, "server")->as<std::string>(), "coprocess");
  EXPECT_EQ(map_get(r.result, "pid")->as<long>(), static_cast<long>(coprocess_.pid()));
  const auto caps = string_list(map_get(r.result, "capabilities"));
  EXPECT_EQ(std::set<std::string>(caps.begin(), caps.end()).count("fd_passing"), 0u);
}

TEST_F(PipeServerTest, CallerIdentityComesFromTheClientsToken) {
  const std::string sid = own_user_sid();
  ASSERT_FALSE(sid.empty());
  auto c = connect();
  auto r = c->call("sys.status");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(map_get(r.result, "caller_uid")->as<std::uint32_t>(), uid_for_sid(sid));
  EXPECT_NE(log().find("user=" + sid), std::string::npos) << log();
}

TEST_F(PipeServerTest, ThirtyTwoClientsAtOnceGetEveryAnswer) {
  constexpr int kClients = 32;
  constexpr int kCalls = 50;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto c = connect_when_ready(pipe_path(), seconds(30));
      if (!c) return;
      for (int i = 0; i < kCalls; ++i) {
        const std::string data = std::to_string(t) + ":" + std::to_string(i);
        auto r = c->call("debug.echo", string_params({{"data", data}}));
        if (!r.error && map_get(r.result, "data")->as<std::string>() == data) ++answered;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(answered.load(), kClients * kCalls);
}

TEST_F(PipeServerTest, PipelinedRequestsAreAllAnsweredAndMatchedByMsgid) {
  constexpr int kRequests = 1000;
  auto c = connect();
  std::string batch;
  for (int i = 1; i <= kRequests; ++i) {
    batch += rpc::encode_request(static_cast<rpc::MsgId>(i), "debug.echo",
                                 string_params({{"data", "m" + std::to_string(i)}}));
  }
  c->send_bytes(batch);
  std::set<rpc::MsgId> seen;
  for (int i = 0; i < kRequests; ++i) {
    auto r = c->receive_response(seconds(60));
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(map_get(r.result, "data")->as<std::string>(), "m" + std::to_string(r.msgid));
    seen.insert(r.msgid);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kRequests));
}

TEST_F(PipeServerTest, SlowCallDoesNotHoldBackALaterFastOne) {
  auto c = connect();
  c->send_request(1, "debug.sleep", sleep_params(3000));
  c->send_request(2, "sys.ping", rpc::empty_params());
  auto first = c->receive_response(seconds(20));
  EXPECT_EQ(first.msgid, 2u);  // completion order, not request order
  auto second = c->receive_response(seconds(20));
  EXPECT_EQ(second.msgid, 1u);
  EXPECT_FALSE(second.error);
}

TEST_F(PipeServerTest, UnknownMethodGetsNotFoundAndTheConnectionStaysUsable) {
  auto c = connect();
  auto r = c->call("no.such_method");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->name, "not_found");
  EXPECT_NE(r.error->message.find("unknown method 'no.such_method'"), std::string::npos);
  EXPECT_FALSE(c->call("sys.ping").error);
}

TEST_F(PipeServerTest, RequestWithANonStringMethodGetsBadRequestWithItsMsgid) {
  auto c = connect();
  // [0, 7, 5, []]: a request whose method is an integer.
  c->send_bytes(std::string("\x94\x00\x07\x05\x90", 5));
  auto r = c->receive_response(seconds(20));
  EXPECT_EQ(r.msgid, 7u);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->name, "bad_request");
  EXPECT_FALSE(c->call("sys.ping").error);
}

TEST_F(PipeServerTest, GarbageBytesCloseThatConnectionWhileOthersKeepWorking) {
  auto other = connect();
  auto bad = connect();
  bad->send_bytes(std::string("\xc1\xc1\xc1\xc1", 4));  // 0xc1 is never valid MessagePack
  EXPECT_TRUE(bad->closed_by_peer(seconds(20)));
  EXPECT_FALSE(other->call("sys.ping").error);
  EXPECT_FALSE(connect()->call("sys.ping").error);
  EXPECT_NE(log().find("undecodable input"), std::string::npos) << log();
}

TEST_F(PipeServerTest, ClientVanishingMidRequestLeavesTheServerServing) {
  {
    auto c = connect();
    c->send_bytes(rpc::encode_request(1, "debug.echo", string_params({{"data", "x"}})).substr(0, 6));
  }  // closed with half a request sent
  EXPECT_FALSE(connect()->call("sys.ping").error);
}

class PipeServerLimitsTest : public CoprocessWinFixture {
 protected:
  void SetUp() override {
    start_coprocess({"--set", "limits.max_message_bytes=1024", "--set", "debug.methods=true"});
  }
};

TEST_F(PipeServerLimitsTest, OversizedRequestGetsTooLargeWithItsMsgidThenTheConnectionCloses) {
  auto c = connect();
  c->send_request(9, "debug.echo", string_params({{"data", std::string(4096, 'x')}}));
  auto r = c->receive_response(seconds(20));
  EXPECT_EQ(r.msgid, 9u);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->name, "too_large");
  EXPECT_TRUE(c->closed_by_peer(seconds(20)));
  EXPECT_FALSE(connect()->call("sys.ping").error);
}

class PipeServerSettingsTest : public CoprocessWinFixture {};

TEST_F(PipeServerSettingsTest, SilentConnectionIsClosedAfterTheHandshakeTimeout) {
  start_coprocess({"--set", "server.handshake_timeout_ms=300"});
  auto silent = connect();
  auto active = connect();
  EXPECT_FALSE(active->call("sys.ping").error);
  EXPECT_TRUE(silent->closed_by_peer(seconds(10)));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_FALSE(active->call("sys.ping").error) << "a client that spoke stays connected";
}

TEST_F(PipeServerSettingsTest, ConnectionLimitPerUserCountsTheWindowsUser) {
  start_coprocess({"--set", "server.max_connections_per_uid=3"});
  auto a = connect();
  // Wait until the fixture's probe connection is gone: only `a` counts.
  for (int i = 0; i < 200; ++i) {
    auto st = a->call("sys.status");
    if (!st.error && map_get(st.result, "connections")->as<int>() == 1) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto b = connect(), c = connect();
  ASSERT_FALSE(b->call("sys.ping").error);
  ASSERT_FALSE(c->call("sys.ping").error);
  auto d = connect();
  auto r = d->call("sys.ping");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->name, "rate_limited");
  EXPECT_NE(r.error->message.find("too many connections for uid " +
                                  std::to_string(uid_for_sid(own_user_sid()))),
            std::string::npos)
      << r.error->message;
  EXPECT_TRUE(d->closed_by_peer());
  EXPECT_FALSE(a->call("sys.ping").error);
}

TEST_F(PipeServerSettingsTest, StopEventEndsTheCoprocessAfterItsCallInFlightIsAnswered) {
  start_coprocess({"--set", "debug.methods=true"});
  auto c = connect();
  c->send_request(1, "debug.sleep", sleep_params(1500));
  std::this_thread::sleep_for(milliseconds(300));  // the call is running
  const std::string name = "coproc-stop-" + std::to_string(coprocess_.pid());
  HANDLE stop = ::OpenEventW(EVENT_MODIFY_STATE, FALSE, widen(name).c_str());
  ASSERT_NE(stop, nullptr) << win32_message(::GetLastError());
  ASSERT_TRUE(::SetEvent(stop));
  ::CloseHandle(stop);
  auto r = c->receive_response(seconds(20));
  EXPECT_EQ(r.msgid, 1u);
  EXPECT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(coprocess_.wait(seconds(20)), 0) << log();
  EXPECT_NE(log().find("stop event " + name + " received; stopping (in flight: 1)"),
            std::string::npos)
      << log();
  EXPECT_NE(log().find("stopped"), std::string::npos) << log();
}

class PipeSingleInstanceTest : public CoprocessWinFixture {};

TEST_F(PipeSingleInstanceTest, SecondCoprocessOnTheSamePipeFailsClearlyAndTheFirstServesOn) {
  start_coprocess();
  ChildProcess second;
  const std::string second_log = log_path() + ".second";
  launch_coprocess(&second, second_log);
  EXPECT_EQ(second.wait(seconds(60)), 1);
  EXPECT_NE(read_file(second_log).find("another process already serves " + pipe_path()),
            std::string::npos)
      << read_file(second_log);
  EXPECT_FALSE(connect()->call("sys.ping").error);
}

TEST_F(PipeSingleInstanceTest, PipeNameIsFreeAgainOnceTheHolderIsKilled) {
  start_coprocess();
  const unsigned long first = coprocess_.pid();
  kill_coprocess();
  start_coprocess();
  auto r = connect()->call("sys.status");
  ASSERT_FALSE(r.error);
  EXPECT_NE(map_get(r.result, "pid")->as<unsigned long>(), first);
}

TEST_F(PipeSingleInstanceTest, InvalidSecurityDescriptorStopsStartupWithAClearMessage) {
  ChildProcess p;
  launch_coprocess(&p, log_path(), {"--set", "server.pipe_sddl=not a descriptor"});
  EXPECT_EQ(p.wait(seconds(60)), 1);
  EXPECT_NE(log().find("server.pipe_sddl is not a valid security descriptor"), std::string::npos)
      << log();
}

TEST_F(PipeSingleInstanceTest, PipeNameWithABackslashIsRefusedAtStartup) {
  ChildProcess p;
  std::vector<std::string> argv{bin_path("coprocess/coprocess.exe"), "--set",
                                R"(server.pipe_name=\\.\pipe\a\b)"};
  p.start(argv, log_path());
  EXPECT_EQ(p.wait(seconds(60)), 2);
  EXPECT_NE(log().find("may not contain a backslash"), std::string::npos) << log();
}

struct Ace {
  std::string sid;
  ACCESS_MASK mask;
};

// The allow-ACEs of the pipe's DACL, as a client reads them.
std::vector<Ace> pipe_dacl(const std::string& pipe) {
  const std::wstring name = widen(pipe);
  HANDLE h = INVALID_HANDLE_VALUE;
  for (int attempt = 0; attempt < 100 && h == INVALID_HANDLE_VALUE; ++attempt) {
    h = ::CreateFileW(name.c_str(), GENERIC_READ | READ_CONTROL, 0, nullptr, OPEN_EXISTING, 0,
                      nullptr);
    if (h == INVALID_HANDLE_VALUE && ::GetLastError() == ERROR_PIPE_BUSY) {
      ::WaitNamedPipeW(name.c_str(), 100);
    }
  }
  std::vector<Ace> out;
  if (h == INVALID_HANDLE_VALUE) {
    ADD_FAILURE() << "cannot open " << pipe << ": " << win32_message(::GetLastError());
    return out;
  }
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (::GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl,
                        nullptr, &sd) == ERROR_SUCCESS &&
      dacl) {
    for (DWORD i = 0; i < dacl->AceCount; ++i) {
      ACCESS_ALLOWED_ACE* ace = nullptr;
      if (!::GetAce(dacl, i, reinterpret_cast<void**>(&ace)) ||
          ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE) {
        continue;
      }
      char* text = nullptr;
      if (::ConvertSidToStringSidA(&ace->SidStart, &text)) {
        out.push_back(Ace{text, ace->Mask});
        ::LocalFree(text);
      }
    }
  }
  if (sd) ::LocalFree(sd);
  ::CloseHandle(h);
  return out;
}

TEST_F(PipeSingleInstanceTest, PipeCarriesTheConfiguredDacl) {
  // Everyone may read and write, nobody else is named: a DACL the default
  // descriptor would never produce.
  start_coprocess({"--set", "server.pipe_sddl=D:P(A;;GRGW;;;WD)"});
  const auto aces = pipe_dacl(pipe_path());
  ASSERT_EQ(aces.size(), 1u);
  EXPECT_EQ(aces[0].sid, "S-1-1-0");  // Everyone
}

TEST_F(PipeSingleInstanceTest, AuthenticatedUsersMayReadAndWriteButNotCreateInstancesByDefault) {
  start_coprocess();
  const auto aces = pipe_dacl(pipe_path());
  ASSERT_EQ(aces.size(), 3u);
  EXPECT_EQ(aces[0].sid, "S-1-5-18");      // SYSTEM
  EXPECT_EQ(aces[1].sid, "S-1-5-32-544");  // Administrators
  EXPECT_EQ(aces[2].sid, "S-1-5-11");      // Authenticated Users
  const ACCESS_MASK users = aces[2].mask;
  EXPECT_EQ(users & (FILE_READ_DATA | FILE_WRITE_DATA), FILE_READ_DATA | FILE_WRITE_DATA);
  EXPECT_EQ(users & FILE_CREATE_PIPE_INSTANCE, 0u);
  EXPECT_EQ(users & WRITE_DAC, 0u);
}

}  // namespace
}  // namespace coproc::test
