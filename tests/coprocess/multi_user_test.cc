// Many users in one process: identity from the kernel, socket permissions,
// what one user may see of others, and floods that must not starve anyone.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <thread>
#include <vector>

#include "coprocess_fixture.h"
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

class FloodTest : public CoprocessFixture {
 protected:
  void SetUp() override {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = std::max<rlim_t>(lim.rlim_cur, std::min<rlim_t>(lim.rlim_max, 20000));
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ASSERT_GE(lim.rlim_cur, 12000u) << "need about 11000 descriptors for 5000 connections";
  }
};

TEST_F(FloodTest, FiveThousandConnectionsAndPipeliningHogsLeaveAWellBehavedClientServed) {
  start_coprocess({"--set", "server.max_connections=10000", "--set",
                   "server.max_connections_per_uid=10000", "--set",
                   "server.max_output_bytes=256K"});
  const long rss_start = rss_kib(coprocess_.pid());
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 5000; ++i) idle.push_back(connect());

  // 20 clients pipeline pings as fast as they can and never read an answer.
  std::vector<std::unique_ptr<RawClient>> hogs;
  std::string burst;
  for (rpc::MsgId id = 1; id <= 2000; ++id) burst += rpc::encode_request(id, "sys.ping", rpc::empty_params());
  std::vector<std::thread> hog_threads;
  for (int i = 0; i < 20; ++i) {
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
      if (!good->call("sys.ping", rpc::empty_params(), seconds(10)).error) ok++;
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  for (auto& t : hog_threads) t.join();
  ASSERT_EQ(failure, "");
  auto good = connect();
  EXPECT_EQ(ok, 500);
  auto status = good->call("sys.status");
  EXPECT_GE(map_get(status.result, "connections")->as<int>(), 5021);
  const long rss_end = rss_kib(coprocess_.pid());
  std::cout << "[ flood ] rss start " << rss_start << " KiB, with 5021 connections and 20 hogs "
            << rss_end << " KiB\n";
  EXPECT_LT(rss_end, 256 * 1024 * kMemoryBoundFactor) << "stated bound: 256 MiB";
}

}  // namespace
}  // namespace coproc::test
