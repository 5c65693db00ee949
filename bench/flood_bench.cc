// One user floods the co-process; how does another user's sys.ping fare?
//
// Anchor: the well-behaved client's ping latency on a quiet co-process,
// measured first in the same run. Then the same client pings while the flood
// runs: 5000 idle connections, 20 connections pipelining pings without ever
// reading an answer, and 4 connections sending 1 MiB requests in a loop.
// Prints p50/p99 of both, their ratio, and the co-process's RSS.
//
//   build/bench/flood_bench [pings] [senders of 1 MiB requests, default 4] [option=value ...]
//   FLOOD_BENCH_COPROCESS=/path/to/coprocess compares another build.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "methods.h"
#include "raw_client.h"
#include "sys_messages.h"
#include "temp_dir.h"
#include "process_limits.h"
#include "test_process.h"

using namespace coproc;
using namespace coproc::test;
using Clock = std::chrono::steady_clock;

namespace {

struct Summary {
  double p50_us, p99_us, max_us;
};

Summary ping_latency(RawClient& c, int count) {
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const auto t0 = Clock::now();
    auto r = c.call(std::string(rpc::method::kPing));
    if (r.error) {
      std::fprintf(stderr, "ping failed: %s\n", r.error->message.c_str());
      std::exit(1);
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100], us.back()};
}

}  // namespace

int main(int argc, char** argv) {
  const int pings = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int big_senders = argc > 2 ? std::atoi(argv[2]) : 4;
  coproc::raise_open_files_limit(24000);

  TempDir dir;
  const std::string run = dir.file("run");
  TestProcess::Options o;
  o.argv = {bin_path("coprocess"), "--runtime-dir", run, "--state-dir", dir.file("state"),
            "--config", "/dev/null", "--set", "server.max_connections=20000", "--set",
            "server.max_connections_per_uid=20000", "--set", "server.handshake_timeout_ms=0",
            "--log-level", "warn"};
  // Further options to compare settings, e.g. server.worker_threads=2,
  // from the command line after the two numbers.
  for (int i = 3; i < argc; ++i) {
    o.argv.push_back("--set");
    o.argv.push_back(argv[i]);
  }
  // FLOOD_BENCH_COPROCESS: another co-process binary, to compare builds.
  if (const char* other = std::getenv("FLOOD_BENCH_COPROCESS")) o.argv[0] = other;
  o.output_path = dir.file("log");
  TestProcess coprocess(o);
  const std::string sock = run + "/coproc.sock";
  wait_until([&] {
    try {
      RawClient probe(sock);
      return true;
    } catch (...) {
      return false;
    }
  }, std::chrono::seconds(20));

  RawClient good(sock);
  ping_latency(good, 200);  // warm-up
  const Summary quiet = ping_latency(good, pings);
  const long rss_quiet = rss_kib(coprocess.pid());

  // 1000 clients that said hello and now wait, as the sessions of a busy
  // terminal server do: what they cost the co-process.
  std::vector<std::unique_ptr<RawClient>> idle;
  const auto hello =
      rpc::pack_value(std::vector<rpc::HelloParams>{{rpc::kProtocolLevel, "flood_bench"}});
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<RawClient>(sock));
    if (idle.back()->call(std::string(rpc::method::kHello), hello).error) {
      std::fprintf(stderr, "sys.hello failed on idle client %d\n", i);
      return 1;
    }
  }
  const long rss_idle_1000 = rss_kib(coprocess.pid());
  while (idle.size() < 5000) idle.push_back(std::make_unique<RawClient>(sock));
  std::atomic<bool> stop{false};
  std::vector<std::thread> flood;
  std::string burst;
  for (rpc::MsgId id = 1; id <= 1000; ++id) burst += rpc::encode_request(id, rpc::method::kPing, rpc::empty_params());
  std::vector<std::unique_ptr<RawClient>> hogs;
  for (int i = 0; i < 20; ++i) {
    hogs.push_back(std::make_unique<RawClient>(sock));
    const int fd = hogs.back()->fd();
    flood.emplace_back([fd, &burst, &stop] {
      timeval tv{0, 100000};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      // A send cut short by the timeout goes on where it stopped: the
      // stream stays valid pipelined requests, never garbage.
      std::size_t off = 0;
      while (!stop) {
        const ssize_t n = send(fd, burst.data() + off, burst.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;  // closed
          continue;
        }
        off = (off + static_cast<std::size_t>(n)) % burst.size();
      }
    });
  }
  std::vector<std::map<std::string, std::string>> big{{{"pad", std::string(1 << 20, 'x')}}};
  const std::string big_request = rpc::encode_request(1, rpc::method::kPing, rpc::pack_value(big));
  std::atomic<long> big_answered{0};
  for (int i = 0; i < big_senders; ++i) {
    flood.emplace_back([&sock, &big_request, &stop, &big_answered] {
      while (!stop) {
        try {
          RawClient c(sock);
          c.send_bytes(big_request);
          c.receive_response(std::chrono::seconds(5));
          big_answered++;
        } catch (...) {
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // What the co-process spends while the victim pings: CPU and fresh pages,
  // load-independent next to the latencies, per 1 MiB request answered.
  const double cpu0 = coproc::bench::cpu_seconds(coprocess.pid());
  const long faults0 = coproc::bench::minor_faults(coprocess.pid());
  const long big0 = big_answered.load();
  const auto window0 = Clock::now();
  const Summary loaded = ping_latency(good, pings);
  const double window_s = std::chrono::duration<double>(Clock::now() - window0).count();
  const double cpu_s = coproc::bench::cpu_seconds(coprocess.pid()) - cpu0;
  const long faults = coproc::bench::minor_faults(coprocess.pid()) - faults0;
  const long big_done = big_answered.load() - big0;
  const long rss_flood = rss_kib(coprocess.pid());
  stop = true;
  for (auto& t : flood) t.join();

  std::printf("flood_bench: %d pings of a well-behaved client\n", pings);
  std::printf("  quiet (anchor)  p50 %8.1f us  p99 %8.1f us  max %8.1f us  rss %6ld KiB\n",
              quiet.p50_us, quiet.p99_us, quiet.max_us, rss_quiet);
  std::printf("  under flood     p50 %8.1f us  p99 %8.1f us  max %8.1f us  rss %6ld KiB\n",
              loaded.p50_us, loaded.p99_us, loaded.max_us, rss_flood);
  std::printf("  flood: 5000 idle connections, 20 pipelining without reading, %d sending 1 MiB requests\n",
              big_senders);
  std::printf("  ratio under flood / quiet: p50 %.2fx  p99 %.2fx\n", loaded.p50_us / quiet.p50_us,
              loaded.p99_us / quiet.p99_us);
  std::printf("  co-process while pinged under flood: %.0f ms CPU in %.0f ms (%.0f%% of a core), "
              "%ld minor faults, %ld 1 MiB requests answered",
              cpu_s * 1000, window_s * 1000, 100 * cpu_s / window_s, faults, big_done);
  if (big_done > 0) {
    std::printf(" (%.0f us CPU and %.0f faults per 1 MiB request)", cpu_s * 1e6 / big_done,
                static_cast<double>(faults) / big_done);
  }
  std::printf("\n");
  std::printf("  1000 idle clients after sys.hello: rss %ld KiB (%ld KiB quiet)\n", rss_idle_1000,
              rss_quiet);
  std::printf("  load average %s\n", coproc::bench::load_average().c_str());
  // Another user's ping under the flood stays "within a few ms" (0.8 ms on
  // a quiet machine on 2026-11-23); the wait for a CPU on a loaded one
  // counts too, so judge it where the load average is low.
  coproc::bench::print_goal("flood_victim_ping_p99_ms", loaded.p99_us / 1000, 3, "ms", false);
  coproc::bench::print_goal("idle_1000_clients_rss_mb", static_cast<double>(rss_idle_1000) / 1024, 40, "MB",
                    false);
  return 0;
}
