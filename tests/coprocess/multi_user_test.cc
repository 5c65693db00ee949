// Many users in one process: identity from the kernel, socket permissions,
// what one user may see of others, and floods that must not starve anyone.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "coprocess_fixture.h"
#include "process_limits.h"
#include "test_users.h"

namespace coproc::test {
namespace {

using std::chrono::seconds;

std::string users_keys(const rpc::Response& r) {
  std::string keys;
  const msgpack::object* users = map_get(r.result, "users");
  if (!users) return "<no users section>";
  for (std::uint32_t i = 0; i < users->via.map.size; ++i) {
    keys += users->via.map.ptr[i].key.as<std::string>() + ",";
  }
  return keys;
}

class MultiUserTest : public CoprocessFixture {};

TEST_F(MultiUserTest, AUserSeesOnlyTheirOwnUsageWhileRootSeesEveryone) {
  start_coprocess();
  const TestUser bob = ensure_user("coproc-t-bob");
  auto root_conn = connect();
  const std::string seen_by_bob = run_as(bob, [&] {
    RawClient c(socket_path());
    auto r = c.call("sys.status");
    return std::to_string(map_get(r.result, "caller_uid")->as<std::uint32_t>()) + "|" +
           users_keys(r);
  });
  EXPECT_EQ(seen_by_bob, std::to_string(bob.uid) + "|" + std::to_string(bob.uid) + ",")
      << "bob must see himself only, not root's open connection";
  auto mine = root_conn->call("sys.status");
  EXPECT_NE(users_keys(mine).find("0,"), std::string::npos) << users_keys(mine);
}

TEST_F(MultiUserTest, AllowedGroupLetsMembersInAndRefusesOthersAtConnect) {
  const TestUser alice = ensure_user("coproc-t-alice", "coproc-t-grp");
  const TestUser bob = ensure_user("coproc-t-bob");
  start_coprocess({"--set", "server.socket_mode=0660", "--set", "server.allowed_group=coproc-t-grp"});
  const std::string alice_result = run_as(alice, [&] {
    RawClient c(socket_path());
    return c.call("sys.ping").error ? std::string("error") : std::string("ok");
  });
  EXPECT_EQ(alice_result, "ok");
  const std::string bob_result = run_as(bob, [&] {
    RawClient c(socket_path());
    return std::string("connected");
  });
  EXPECT_NE(bob_result.find("Permission denied"), std::string::npos) << bob_result;
  EXPECT_FALSE(connect()->call("sys.ping").error) << "root is not in the group but owns the socket";
}

TEST_F(MultiUserTest, UnsafeRuntimeDirIsRefused) {
  ::mkdir(runtime_dir().c_str(), 0777);
  ::chmod(runtime_dir().c_str(), 0777);
  TestProcess::Options o;
  o.argv = {bin_path("coprocess"), "--runtime-dir", runtime_dir(), "--state-dir", state_dir(),
            "--config", "/dev/null"};
  o.output_path = log_path();
  TestProcess p(o);
  const int status = p.wait(seconds(20));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_NE(log().find("writable by group or others (mode 0777)"), std::string::npos) << log();
}

// The issue asks for 5000 connections. The test process and the co-process
// each hold one descriptor per connection (plus a few hundred of their own),
// so both need RLIMIT_NOFILE above 5000. Root raises its hard limit; where
// that is not permitted (no CAP_SYS_RESOURCE) and the hard limit is lower,
// the flood uses as many connections as the limit allows and says so.
constexpr int kFloodConnections = 5000;
constexpr int kDescriptorHeadroom = 256;
constexpr int kMinimumFlood = 500;

class FloodTest : public CoprocessFixture {
 protected:
  void SetUp() override {
    const long limit = coproc::raise_open_files_limit(kFloodConnections + kDescriptorHeadroom);
    idle_connections_ = static_cast<int>(
        std::min<long>(kFloodConnections, limit - kDescriptorHeadroom));
    if (idle_connections_ < kFloodConnections) {
      std::cout << "[ flood ] RLIMIT_NOFILE is " << limit
                << " and the hard limit cannot be raised here: flooding with "
                << idle_connections_ << " idle connections instead of " << kFloodConnections
                << "\n";
      RecordProperty("idle_connections", idle_connections_);
    }
    ASSERT_GE(idle_connections_, kMinimumFlood)
        << "RLIMIT_NOFILE " << limit << " is too low for a flood test";
  }
  int idle_connections_ = 0;
};

TEST_F(FloodTest, FiveThousandConnectionsAndPipeliningHogsLeaveAWellBehavedClientServed) {
  // Silent connections are the point here (legacy sessions that connect and
  // wait), so the handshake timeout is off; it has its own test.
  start_coprocess({"--set", "server.max_connections=10000", "--set",
                   "server.max_connections_per_uid=10000", "--set",
                   "server.max_output_bytes=256K", "--set", "server.handshake_timeout_ms=0"});
  const long rss_start = rss_kib(coprocess_.pid());
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < idle_connections_; ++i) idle.push_back(connect());

  // 20 clients pipeline pings as fast as they can and never read an answer.
  constexpr int kHogs = 20;
  std::vector<std::unique_ptr<RawClient>> hogs;
  std::string burst;
  for (rpc::MsgId id = 1; id <= 2000; ++id) burst += rpc::encode_request(id, "sys.ping", rpc::empty_params());
  std::vector<std::thread> hog_threads;
  for (int i = 0; i < kHogs; ++i) {
    hogs.push_back(connect());
    int fd = hogs.back()->fd();
    hog_threads.emplace_back([fd, &burst] {
      timeval tv{0, 300000};
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      for (int round = 0; round < 50; ++round) {
        if (::send(fd, burst.data(), burst.size(), MSG_NOSIGNAL) < 0) return;  // server stopped reading
      }
    });
  }
  int ok = 0;
  std::string failure;
  try {
    auto good = connect();
    for (int i = 0; i < 500; ++i) {
      auto r = good->call("sys.ping", rpc::empty_params(), seconds(10));
      if (r.error) {
        failure = "ping " + std::to_string(i) + " failed: " + r.error->message;
        break;
      }
      ok++;
    }
  } catch (const std::exception& e) {
    failure = "after " + std::to_string(ok) + " pings: " + e.what();
  }
  for (auto& t : hog_threads) t.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(ok, 500);
  auto good = connect();
  auto status = good->call("sys.status");
  ASSERT_FALSE(status.error) << status.error->message;
  EXPECT_GE(map_get(status.result, "connections")->as<int>(), idle_connections_ + kHogs + 1);
  const long rss_end = rss_kib(coprocess_.pid());
  std::cout << "[ flood ] rss start " << rss_start << " KiB, with " << idle_connections_ + kHogs + 1
            << " connections and " << kHogs << " hogs " << rss_end << " KiB\n";
  EXPECT_LT(rss_end, 256 * 1024 * kMemoryBoundFactor) << "stated bound: 256 MiB";
}

// At its descriptor limit the co-process cannot accept; the connected
// clients keep being served, the waiting ones stay in the listen backlog
// (not refused) and are served as soon as descriptors free up.
class DescriptorLimitTest : public CoprocessFixture {};

TEST_F(DescriptorLimitTest, OutOfDescriptorsKeepsServingAndAcceptsWaitingClientsLater) {
  start_coprocess({"--set", "server.io_threads=1"});
  auto first = connect();
  ASSERT_FALSE(first->call("sys.ping").error);
  // Leave room for about ten more connections.
  const int open_now = count_open_fds(coprocess_.pid());
  ASSERT_GT(open_now, 0);
  const rlimit tight{static_cast<rlim_t>(open_now + 10), static_cast<rlim_t>(open_now + 10)};
  ASSERT_EQ(::prlimit(coprocess_.pid(), RLIMIT_NOFILE, &tight, nullptr), 0) << std::strerror(errno);

  std::vector<std::unique_ptr<RawClient>> crowd;
  for (int i = 0; i < 40; ++i) crowd.push_back(connect());  // connect() succeeds: backlog
  const rpc::MsgId waiting_id = 7;
  crowd.back()->send_request(waiting_id, "sys.ping", rpc::empty_params());

  EXPECT_TRUE(wait_until([&] { return log().find("accept failed: Too many open files") !=
                                      std::string::npos; },
                         seconds(10)))
      << log();
  for (int i = 0; i < 20; ++i) {
    auto r = first->call("sys.ping", rpc::empty_params(), seconds(10));
    ASSERT_FALSE(r.error) << "a connected client must keep being served";
  }
  // Free descriptors: the last client, still in the backlog, gets accepted.
  crowd.erase(crowd.begin(), crowd.end() - 1);
  const rpc::Response answer = crowd.back()->receive_response(seconds(10));
  EXPECT_EQ(answer.msgid, waiting_id);
  EXPECT_FALSE(answer.error);
}

}  // namespace
}  // namespace coproc::test
