// The gateway end to end: the real coprocess binary with HTTP(S) listeners
// on loopback, real worker processes (forked from the test, speaking
// MessagePack-RPC to the co-process's socket) and real HTTP clients (curl,
// Python's http.client, raw sockets for what a well-behaved client never
// sends).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "coprocess_fixture.h"
#include "coproc/coproc.h"
#include "coproc/gateway.h"
#include "gateway_messages.h"
#include "nginx_test_ca.h"
#include "raw_client.h"
#include "tcp_port.h"
#include "test_users.h"

namespace coproc::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct WorkerSpec {
  std::string queue;   // "" = the default queue
  int delay_ms = 0;    // work per request
};

rpc::Packed next_params(const std::string& queue, std::int64_t timeout_ms) {
  rpc::GatewayNextParams p;
  p.queue = queue;
  p.timeout_ms = timeout_ms;
  return rpc::pack_params(p);
}

std::string header_of(const rpc::GatewayRequest& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (strcasecmp(n.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

// The worker loop of a real worker process: take a request, work
// `delay_ms`, reply. Echoes a POST body; X-Want-Status picks the status.
[[noreturn]] void worker_main(const std::string& socket_path, const WorkerSpec& spec) {
  try {
    RawClient c(socket_path);
    c.call("sys.hello", hello_params("gateway-test-worker"));
    const std::string pid = std::to_string(::getpid());
    for (int i = 0; i < 600; ++i) {  // bounded: 600 polls of at most 1 s
      if (::getppid() == 1) ::_exit(0);
      auto r = c.call("gateway.next", next_params(spec.queue, 1000), 10s);
      if (r.error) {
        std::fprintf(stderr, "worker %s: %s\n", pid.c_str(), r.error->message.c_str());
        ::_exit(2);
      }
      rpc::GatewayRequest req;
      if (!rpc::read_result(r.result, &req)) continue;
      if (spec.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(spec.delay_ms));
      rpc::GatewayReplyParams reply;
      reply.request_id = req.request_id;
      const std::string want = header_of(req, "X-Want-Status");
      reply.status = want.empty() ? 200 : std::stoi(want);
      reply.headers = {{"X-Worker-Pid", pid},
                       {"Set-Cookie", "a=1"},
                       {"Set-Cookie", "b=2"},
                       {"X-Echo-Query", req.query},
                       {"X-Echo-Custom", header_of(req, "X-Custom")},
                       {"Content-Type", "text/plain"}};
      reply.body = req.method == "POST" ? req.body : "hello from " + pid + "\n";
      if (const std::string n = header_of(req, "X-Want-Bytes"); !n.empty()) {
        reply.body.resize(std::stoul(n));
        for (std::size_t b = 0; b < reply.body.size(); ++b)
          reply.body[b] = static_cast<char>('a' + b % 26);
      }
      c.call("gateway.reply", rpc::pack_params(reply), 10s);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "worker: %s\n", e.what());
  }
  ::_exit(0);
}

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// The value of `"key": ...` in the one-line JSON of http_client.py: the
// text up to the next ',' or '}' (quotes dropped); "" when absent.
std::string json_field(const std::string& json, const std::string& key) {
  const std::string tag = "\"" + key + "\": ";
  const auto at = json.find(tag);
  if (at == std::string::npos) return "";
  std::string value = json.substr(at + tag.size());
  value = value.substr(0, value.find_first_of(",}"));
  if (!value.empty() && value.front() == '"') value = value.substr(1, value.size() - 2);
  return value;
}

long json_int(const std::string& json, const std::string& key) {
  const std::string v = json_field(json, key);
  return v.empty() ? -1 : std::stol(v);
}

class GatewayTest : public CoprocessFixture {
 protected:
  void start(std::vector<std::string> extra = {}) {
    port_ = free_tcp_port();
    std::vector<std::string> args = {
        "--set", "gateway.listen=127.0.0.1:" + std::to_string(port_),
        "--set", "gateway.route=/slow=slow",
        "--set", "gateway.allow=default=root; slow=root"};
    args.insert(args.end(), extra.begin(), extra.end());
    start_coprocess(args);
    ASSERT_TRUE(wait_until([&] { return tcp_port_accepts(port_); }, 10s)) << log();
  }

  void TearDown() override {
    for (pid_t pid : workers_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    CoprocessFixture::TearDown();
  }

  pid_t worker(const WorkerSpec& spec = {}) {
    const std::string path = socket_path();
    pid_t pid = ::fork();
    if (pid == 0) worker_main(path, spec);
    workers_.push_back(pid);
    return pid;
  }

  // Waits until `n` workers wait in gateway.next (per gateway.status).
  bool workers_waiting(std::size_t n) { return queues_reach("waiting_workers", n); }

  // Waits until the sum of `key` over gateway.status's queues reaches `n`.
  bool queues_reach(const std::string& key, std::size_t n) {
    return wait_until(
        [&] {
          auto c = connect();
          auto r = c->call("gateway.status");
          if (r.error) return false;
          std::size_t total = 0;
          const auto* queues = map_get(r.result, "queues");
          for (std::uint32_t i = 0; i < queues->via.array.size; ++i) {
            total += map_get(queues->via.array.ptr[i], key)->as<std::size_t>();
          }
          return total >= n;
        },
        10s);
  }

  // The log line of a request is written right after its answer: wait.
  bool log_has(const std::string& text) {
    return wait_until([&] { return log().find(text) != std::string::npos; }, 5s);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string python(const std::string& args) {
    return run_command("/usr/bin/python3 " COPROC_SOURCE_DIR "/tests/gateway/http_client.py " +
                       args + " 2>&1");
  }
  std::string curl(const std::string& args) {
    return run_command("curl -s --max-time 30 " + args + " 2>&1");
  }

  int port_ = 0;
  std::vector<pid_t> workers_;
};

TEST_F(GatewayTest, EightWorkersServeEightConcurrentRequestsInAboutOneRequestTime) {
  start();
  for (int i = 0; i < 8; ++i) worker({"", 200});
  ASSERT_TRUE(workers_waiting(8));
  const std::string out = python("concurrent " + std::to_string(port_) + " 8 /hello");
  EXPECT_NE(out.find("\"statuses\": [200, 200, 200, 200, 200, 200, 200, 200]"), std::string::npos)
      << out;
  const long ms = json_int(out, "elapsed_ms");
  EXPECT_GE(ms, 200) << out;
  EXPECT_LT(ms, 1000) << out;  // 8 x 200 ms one by one would be 1600
  EXPECT_EQ(json_int(out, "workers"), 8) << out;
}

TEST_F(GatewayTest, OneWorkerServesConcurrentRequestsOneByOne) {
  start();
  worker({"", 200});
  ASSERT_TRUE(workers_waiting(1));
  const std::string out = python("concurrent " + std::to_string(port_) + " 8 /hello");
  EXPECT_NE(out.find("\"statuses\": [200, 200, 200, 200, 200, 200, 200, 200]"), std::string::npos)
      << out;
  EXPECT_GE(json_int(out, "elapsed_ms"), 1600) << out;
}

TEST_F(GatewayTest, HttpsListenerServesWithATestCa) {
  auto certs = make_test_certificates(dir_.path(), "gateway");
  port_ = free_tcp_port();
  start_coprocess({"--set", "gateway.listen=127.0.0.1:" + std::to_string(port_) + " tls", "--set",
                   "gateway.tls_cert=" + certs.cert_file, "--set",
                   "gateway.tls_key=" + certs.key_file, "--set", "gateway.allow=default=root"});
  ASSERT_TRUE(wait_until([&] { return tcp_port_accepts(port_); }, 10s)) << log();
  const pid_t w = worker();
  ASSERT_TRUE(workers_waiting(1));
  const std::string out =
      curl("--cacert " + certs.ca_file + " --resolve localhost:" + std::to_string(port_) +
           ":127.0.0.1 https://localhost:" + std::to_string(port_) + "/hello");
  EXPECT_EQ(out, "hello from " + std::to_string(w) + "\n");
  // Plain HTTP to the TLS port is not served.
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + url("/hello")), "000");
}

TEST_F(GatewayTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  worker();
  ASSERT_TRUE(workers_waiting(1));
  const std::string out = python("keepalive " + std::to_string(port_) + " 5 /hello");
  EXPECT_NE(out.find("\"statuses\": [200, 200, 200, 200, 200], \"connections\": 1"),
            std::string::npos)
      << out;
}

TEST_F(GatewayTest, PipelinedRequestsOnOneConnectionAreAllAnswered) {
  start();
  worker();
  ASSERT_TRUE(workers_waiting(1));
  const std::string out = python("pipelined " + std::to_string(port_) + " 3 /hello");
  EXPECT_NE(out.find("\"statuses\": [200, 200, 200]"), std::string::npos) << out;
}

TEST_F(GatewayTest, AnAnswerBiggerThanTheSocketTakesAtOnceArrivesWholeToASlowReader) {
  start();
  worker();
  ASSERT_TRUE(workers_waiting(1));
  const std::string out =
      python("slowread " + std::to_string(port_) + " /big " + std::to_string(12 << 20));
  EXPECT_NE(out.find("\"statuses\": [200, 200], \"intact\": [true, true], \"connections\": 1"),
            std::string::npos)
      << out;
  EXPECT_TRUE(log_has("GET /big status=200 ms=")) << log();
}

TEST_F(GatewayTest, AHeadAnswerHasNoBodyAndTheConnectionServesTheNextRequest) {
  start();
  const pid_t w = worker();
  ASSERT_TRUE(workers_waiting(1));
  const std::string out = python("headthenget " + std::to_string(port_) + " /hello");
  const std::string length = std::to_string(("hello from " + std::to_string(w) + "\n").size());
  EXPECT_NE(out.find("\"head\": [200, \"" + length + "\", 0]"), std::string::npos) << out;
  EXPECT_NE(out.find("\"get\": [200, \"" + length + "\", " + length + "]"), std::string::npos)
      << out;
  EXPECT_EQ(json_field(out, "get_body"), "hello from " + std::to_string(w)) << out;
}

TEST_F(GatewayTest, AnIdleKeptAliveConnectionIsClosedAfterTheKeepAliveTimeout) {
  start({"--set", "gateway.keepalive_timeout_ms=400"});
  worker();
  ASSERT_TRUE(workers_waiting(1));
  const std::string out = python("idle " + std::to_string(port_) + " /hello");
  EXPECT_EQ(json_int(out, "status"), 200) << out;
  EXPECT_EQ(json_field(out, "closed"), "true") << out;
  EXPECT_GE(json_int(out, "closed_after_ms"), 300) << out;
  EXPECT_LT(json_int(out, "closed_after_ms"), 5000) << out;
}

TEST_F(GatewayTest, APostBodyArrivesByteIdentical) {
  start();
  worker();
  ASSERT_TRUE(workers_waiting(1));
  std::string data(300 * 1024, '\0');
  std::mt19937 gen(7);
  for (auto& c : data) c = static_cast<char>(gen());
  const std::string file = dir_.file("body.bin");
  std::ofstream(file, std::ios::binary) << data;
  const std::string out = python("post " + std::to_string(port_) + " /upload " + file);
  EXPECT_NE(out.find("\"status\": 200"), std::string::npos) << out;
  EXPECT_EQ(json_field(out, "sha256").size(), 64u) << out;
  EXPECT_EQ(json_field(out, "sha256"), json_field(out, "sent_sha256")) << out;
  EXPECT_EQ(json_int(out, "length"), 300 * 1024);
}

TEST_F(GatewayTest, StatusHeadersAndQueryPassThrough) {
  start();
  const pid_t w = worker();
  ASSERT_TRUE(workers_waiting(1));
  const std::string out =
      curl("-i -H 'X-Want-Status: 201' -H 'X-Custom: caf\xc3\xa9 42' '" + url("/hello?a=1&b=%20") + "'");
  EXPECT_EQ(out.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Set-Cookie: a=1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Set-Cookie: b=2\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Echo-Query: a=1&b=%20\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Echo-Custom: caf\xc3\xa9 42\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Worker-Pid: " + std::to_string(w) + "\r\n"), std::string::npos) << out;
  EXPECT_TRUE(log_has("GET /hello status=201 ms=")) << log();
  EXPECT_TRUE(log_has("worker_pid=" + std::to_string(w)));
}

TEST_F(GatewayTest, NoWorkerIs503AfterTheQueueTimeout) {
  start({"--set", "gateway.queue_timeout_ms=300"});
  const auto t0 = Clock::now();
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + url("/hello")), "503");
  EXPECT_GE(Clock::now() - t0, 300ms);
  EXPECT_TRUE(log_has("gateway.queue_timeout_ms"));
}

TEST_F(GatewayTest, ASlowWorkerIs504) {
  start({"--set", "gateway.reply_timeout_ms=300"});
  worker({"slow", 1500});
  ASSERT_TRUE(workers_waiting(1));
  const auto t0 = Clock::now();
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + url("/slow/x")), "504");
  EXPECT_LT(Clock::now() - t0, 1400ms);
}

TEST_F(GatewayTest, AWorkerKilledMidRequestIs502AndTheNextRequestGoesToAnother) {
  start();
  const pid_t first = worker({"", 5000});
  ASSERT_TRUE(workers_waiting(1));
  const pid_t second = worker();
  ASSERT_TRUE(workers_waiting(2));
  auto pending = std::async(std::launch::async, [&] {
    return curl("-o /dev/null -w '%{http_code}' " + url("/hello"));
  });
  // The first worker (first in line) holds the request: kill it.
  ASSERT_TRUE(queues_reach("in_progress", 1));
  ::kill(first, SIGKILL);
  EXPECT_EQ(pending.get(), "502");
  EXPECT_EQ(curl(url("/hello")), "hello from " + std::to_string(second) + "\n");
  EXPECT_TRUE(log_has("status=502"));
  EXPECT_TRUE(log_has("worker_pid=" + std::to_string(first)));
}

TEST_F(GatewayTest, BadRequestsGetTheirStatusWhileOthersAreServed) {
  start({"--set", "gateway.max_body_bytes=1000"});
  for (int i = 0; i < 4; ++i) worker({"", 300});
  ASSERT_TRUE(workers_waiting(4));
  auto good = std::async(std::launch::async, [&] {
    return python("concurrent " + std::to_string(port_) + " 4 /hello");
  });
  const std::string p = std::to_string(port_);
  auto hex = [](const std::string& s) {
    std::string out;
    char b[3];
    for (unsigned char c : s) {
      std::snprintf(b, sizeof b, "%02x", c);
      out += b;
    }
    return out;
  };
  const std::string malformed = python("raw " + p + " " + hex("GET /hello HTTP/1.1garbage\r\nHost: x\r\n\r\n"));
  EXPECT_NE(malformed.find("HTTP/1.1 400"), std::string::npos) << malformed;
  EXPECT_NE(python("raw " + p + " " + hex("GET http://elsewhere/ HTTP/1.1\r\nHost: x\r\n\r\n"))
                .find("HTTP/1.1 400"),
            std::string::npos);
  EXPECT_NE(python("bigheader " + p + " 100").find("HTTP/1.1 431"), std::string::npos);
  EXPECT_NE(python("manyheaders " + p + " 200").find("HTTP/1.1 431"), std::string::npos);
  const std::string big = dir_.file("big.bin");
  std::ofstream(big) << std::string(5000, 'x');
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' --data-binary @" + big + " " + url("/hello")),
            "413");
  const std::string out = good.get();
  EXPECT_NE(out.find("\"statuses\": [200, 200, 200, 200]"), std::string::npos) << out;
  EXPECT_LT(json_int(out, "elapsed_ms"), 1500) << out;
}

TEST_F(GatewayTest, ASlowlorisClientGets408WhileOthersAreServed) {
  start({"--set", "gateway.request_timeout_ms=3000"});
  worker();
  ASSERT_TRUE(workers_waiting(1));
  auto slow = std::async(std::launch::async,
                         [&] { return python("slowloris " + std::to_string(port_) + " 100"); });
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + url("/hello")), "200");
    EXPECT_LT(Clock::now() - t0, 1500ms);  // the slow client's deadline is 3 s
  }
  const std::string out = slow.get();
  EXPECT_NE(out.find("HTTP/1.1 408"), std::string::npos) << out;
  const long after = json_int(out, "after_ms");
  EXPECT_GE(after, 2700) << out;
  EXPECT_LT(after, 6000) << out;
}

TEST_F(GatewayTest, AUidNotAllowedOnAQueueGetsPermissionDenied) {
  const TestUser member = ensure_user("coproc-gw-member", "coproc-gw-workers");
  const TestUser other = ensure_user("coproc-gw-other");
  start({"--set", "gateway.allow=default=@coproc-gw-workers; slow=root"});
  const std::string path = socket_path();
  auto try_next = [&path](const std::string& queue) {
    RawClient c(path);
    c.call("sys.hello", hello_params());
    auto r = c.call("gateway.next", next_params(queue, 0));
    return r.error ? r.error->name + ": " + r.error->message : std::string("ok");
  };
  const std::string denied = run_as(other, [&] { return try_next(""); });
  EXPECT_EQ(denied.rfind("permission_denied", 0), 0u) << denied;
  EXPECT_NE(denied.find("gateway.allow"), std::string::npos) << denied;
  EXPECT_EQ(run_as(member, [&] { return try_next(""); }), "ok");
  EXPECT_EQ(run_as(member, [&] { return try_next("slow"); }).rfind("permission_denied", 0), 0u);
  EXPECT_EQ(run_as(member, [&] { return try_next("nosuch"); }).rfind("not_found", 0), 0u);
}

TEST_F(GatewayTest, StatusCountsRequestsForAdminsOnly) {
  start({"--set", "gateway.queue_timeout_ms=100"});
  worker();
  ASSERT_TRUE(workers_waiting(1));
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + url("/hello")), "200");
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + url("/slow")), "503");
  auto c = connect();
  rpc::Response r;
  // Counted right after the answer is written: wait for the second.
  ASSERT_TRUE(wait_until(
      [&] {
        r = c->call("gateway.status");
        return !r.error && map_get(r.result, "requests")->as<int>() == 2;
      },
      5s));
  EXPECT_EQ(map_get(r.result, "status_2xx")->as<int>(), 1);
  EXPECT_EQ(map_get(r.result, "status_5xx")->as<int>(), 1);
  EXPECT_EQ(map_get(r.result, "requests")->as<int>(), 2);
  EXPECT_GT(map_get(r.result, "p99_ms")->as<double>(), 0.0);
  EXPECT_EQ(map_get(r.result, "listeners")->via.array.size, 1u);
  const TestUser other = ensure_user("coproc-gw-other");
  const std::string path = socket_path();
  const std::string denied = run_as(other, [&path] {
    RawClient u(path);
    auto res = u.call("gateway.status");
    return res.error ? res.error->name : std::string("ok");
  });
  EXPECT_EQ(denied, "permission_denied");
}

TEST_F(GatewayTest, TheGatewayIsOffByDefault) {
  start_coprocess();
  auto c = connect();
  auto r = c->call("gateway.next", next_params("", 0));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->name, "unavailable");
  EXPECT_NE(r.error->message.find("gateway.listen"), std::string::npos);
}

// ---- the worker C ABI and the examples built on it

class GatewayWorkerTest : public GatewayTest {
 protected:
  TestProcess example(const std::string& binary, const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {}) {
    TestProcess::Options o;
    o.argv = {binary};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = {"COPROC_ENDPOINT=" + socket_path(), "LD_LIBRARY_PATH=" COPROC_LIBRARY_DIR};
    o.env.insert(o.env.end(), env.begin(), env.end());
    o.output_path = dir_.file("example." + std::to_string(++runs_) + ".out");
    return TestProcess(o);
  }
  int runs_ = 0;
};

#ifdef COPROC_GATEWAY_C_EXAMPLE
TEST_F(GatewayWorkerTest, TheCWorkerExampleServesHello) {
  start();
  TestProcess worker = example(COPROC_GATEWAY_C_EXAMPLE, {"", "3"});
  ASSERT_TRUE(workers_waiting(1));
  EXPECT_EQ(curl(url("/hello?name=Ann")), "Hello, Ann!\n");
  EXPECT_EQ(curl("--data-binary 'posted bytes' " + url("/hello")), "posted bytes");
  EXPECT_EQ(curl("-w ' %{http_code}' " + url("/elsewhere")), "not here\n 404");
  EXPECT_EQ(WEXITSTATUS(worker.wait(10s)), 0);  // served its 3 requests
}

TEST_F(GatewayWorkerTest, TheCApiHandsOverEveryFieldAndReportsMisuse) {
  start();
  coproc_client* client = nullptr;
  ASSERT_EQ(coproc_client_new(&client), COPROC_OK);
  ASSERT_EQ(coproc_client_set_str(client, COPROC_OPT_ENDPOINT, socket_path().c_str()), COPROC_OK);
  coproc_gateway_request* req = nullptr;
  EXPECT_EQ(coproc_gateway_next(client, nullptr, 0, &req), COPROC_E_TIMEOUT);
  EXPECT_EQ(req, nullptr);
  EXPECT_EQ(coproc_gateway_next(client, "nosuch", 0, &req), COPROC_E_NOT_FOUND);
  EXPECT_EQ(coproc_gateway_next(client, "", -1, &req), COPROC_E_MISUSE);
  auto answer = std::async(std::launch::async, [&] {
    return curl("-i -X PUT -H 'X-Custom: one' -H 'X-Custom: two' --data-binary 'a\x01b' '" +
                url("/slow/item?id=7") + "'");
  });
  ASSERT_EQ(coproc_gateway_next(client, "slow", 10000, &req), COPROC_OK) << coproc_errmsg(client);
  EXPECT_STREQ(coproc_gateway_request_method(req), "PUT");
  EXPECT_STREQ(coproc_gateway_request_path(req), "/slow/item");
  EXPECT_STREQ(coproc_gateway_request_query(req), "id=7");
  EXPECT_STREQ(coproc_gateway_request_queue(req), "slow");
  EXPECT_EQ(std::string(coproc_gateway_request_remote_addr(req)).rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(std::strlen(coproc_gateway_request_id(req)), 16u);
  EXPECT_STREQ(coproc_gateway_request_header(req, "x-custom"), "one");
  EXPECT_EQ(coproc_gateway_request_header(req, "X-Absent"), nullptr);
  std::size_t customs = 0;
  for (std::size_t i = 0; i < coproc_gateway_request_header_count(req); ++i) {
    const char* name = nullptr;
    const char* value = nullptr;
    ASSERT_EQ(coproc_gateway_request_header_at(req, i, &name, &value), COPROC_OK);
    customs += std::string(name) == "X-Custom";
  }
  EXPECT_EQ(customs, 2u);
  const char* name = "x";
  EXPECT_EQ(coproc_gateway_request_header_at(req, 99, &name, &name), COPROC_E_MISUSE);
  EXPECT_EQ(name, nullptr);
  std::size_t len = 0;
  const void* body = coproc_gateway_request_body(req, &len);
  EXPECT_EQ(std::string(static_cast<const char*>(body), len), std::string("a\x01b"));
  EXPECT_EQ(coproc_gateway_reply(client, req, 200, "no colon", "", 0), COPROC_E_MISUSE);
  EXPECT_NE(std::string(coproc_errmsg(client)).find("no colon"), std::string::npos);
  EXPECT_EQ(coproc_gateway_reply(client, req, 99, nullptr, nullptr, 0), COPROC_E_MISUSE);
  EXPECT_EQ(coproc_gateway_reply(client, req, 202,
                                 "X-One: 1   \r\n  X-Two:2\n\nContent-Type: text/plain   ",
                                 "done", 4),
            COPROC_OK)
      << coproc_errmsg(client);
  EXPECT_EQ(coproc_gateway_reply(client, req, 200, nullptr, nullptr, 0), COPROC_E_NOT_FOUND);
  coproc_gateway_request_free(req);
  coproc_gateway_request_free(nullptr);
  coproc_client_close(client);
  const std::string out = answer.get();
  EXPECT_EQ(out.rfind("HTTP/1.1 202 Accepted\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("X-One: 1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Two: 2\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Content-Type: text/plain\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "done");
}

TEST_F(GatewayWorkerTest, ReplyNextAnswersAndTakesTheNextRequestInOneCall) {
  start();
  coproc_client* client = nullptr;
  ASSERT_EQ(coproc_client_new(&client), COPROC_OK);
  ASSERT_EQ(coproc_client_set_str(client, COPROC_OPT_ENDPOINT, socket_path().c_str()), COPROC_OK);
  auto first = std::async(std::launch::async, [&] { return curl(url("/hello?n=1")); });
  coproc_gateway_request* req = nullptr;
  ASSERT_EQ(coproc_gateway_next(client, "", 10000, &req), COPROC_OK) << coproc_errmsg(client);
  auto second = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(200ms);  // arrives while the worker is in reply_next
    return curl(url("/hello?n=2"));
  });
  coproc_gateway_request* next = nullptr;
  // A queue this user may not take fails the call before the reply is made.
  EXPECT_EQ(coproc_gateway_reply_next(client, req, 200, nullptr, "one", 3, "nosuch", 1000, &next),
            COPROC_E_NOT_FOUND);
  ASSERT_EQ(coproc_gateway_reply_next(client, req, 200, nullptr, "one", 3, "", 10000, &next),
            COPROC_OK)
      << coproc_errmsg(client);
  EXPECT_EQ(first.get(), "one");
  ASSERT_NE(next, nullptr);
  EXPECT_STREQ(coproc_gateway_request_query(next), "n=2");
  coproc_gateway_request* after = nullptr;
  EXPECT_EQ(coproc_gateway_reply_next(client, next, 200, nullptr, "two", 3, "", 0, &after),
            COPROC_E_TIMEOUT);  // replied; nothing else waiting
  EXPECT_EQ(after, nullptr);
  EXPECT_EQ(second.get(), "two");
  // The reply's own failure: the request was answered already.
  EXPECT_EQ(coproc_gateway_reply_next(client, next, 200, nullptr, "x", 1, "", 0, &after),
            COPROC_E_NOT_FOUND);
  coproc_gateway_request_free(req);
  coproc_gateway_request_free(next);
  coproc_client_close(client);
}

#endif

#ifdef COPROC_GATEWAY_COBOL_EXAMPLE
TEST_F(GatewayWorkerTest, TheGnuCobolWorkerExampleServesHello) {
  start({"--set", "gateway.allow=default=root; slow=root"});
  TestProcess worker =
      example(COPROC_GATEWAY_COBOL_EXAMPLE, {}, {"COPROC_GATEWAY_MAX=2"});
  ASSERT_TRUE(workers_waiting(1)) << read_file(dir_.file("example.1.out"));
  EXPECT_EQ(curl(url("/hello?name=Grace")), "Hello, Grace! (GnuCOBOL)\n");
  EXPECT_EQ(curl("-w ' %{http_code}' " + url("/other")), "not here\n 404");
  EXPECT_EQ(WEXITSTATUS(worker.wait(10s)), 0) << read_file(dir_.file("example.1.out"));
}
#endif

}  // namespace
}  // namespace coproc::test
