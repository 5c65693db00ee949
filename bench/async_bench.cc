// Asynchronous calls (issue 14): ONE thread fetches N URLs from an nginx
// location that answers after 50 ms —
//   - blocking: coproc_http_perform-style calls one after the other (the
//     anchor, measured in the same run: N x 50 ms plus the overheads),
//   - async: coproc_call_async for all N, then coproc_wait_any until all
//     are collected,
// and prints the ratio. The co-process runs with enough workers for one
// user to have every request in flight (server.worker_threads and
// server.worker_threads_per_uid = N): the ratio measures the library and
// the co-process, not a worker limit.
//
// usage: async_bench [requests]        (default 100)
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_report.h"
#include "coproc/coproc.h"
#include "http_test_params.h"
#include "nginx_server.h"
#include "temp_dir.h"
#include "test_process.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void check(coproc_client* c, coproc_status st, const char* what) {
  if (st != COPROC_OK) {
    throw std::runtime_error(std::string(what) + ": " + coproc_status_str(st) + ": " +
                             coproc_errmsg(c));
  }
}

double run_blocking(coproc_client* c, const std::string& params, int n) {
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    void* result = nullptr;
    std::size_t len = 0;
    check(c, coproc_call(c, "http.request", params.data(), params.size(), &result, &len),
          "coproc_call");
    coproc_free(result);
  }
  return seconds_since(t0);
}

double run_async(coproc_client* c, const std::string& params, int n) {
  std::vector<coproc_pending*> p(static_cast<std::size_t>(n), nullptr);
  const auto t0 = Clock::now();
  for (auto& slot : p) {
    check(c, coproc_call_async(c, "http.request", params.data(), params.size(), &slot),
          "coproc_call_async");
  }
  for (int left = n; left > 0; --left) {
    std::size_t i = 0;
    check(c, coproc_wait_any(p.data(), p.size(), 30000, &i), "coproc_wait_any");
    void* result = nullptr;
    std::size_t len = 0;
    check(c, coproc_pending_result(p[i], &result, &len), "coproc_pending_result");
    coproc_free(result);
    coproc_pending_free(p[i]);
    p[i] = nullptr;
  }
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 100;
  coproc_client* client = nullptr;
  try {
    coproc::test::NginxServer nginx;
    const std::string params = coproc::test::HttpParams(nginx.http_url("/slow50ms")).packed().bytes;

    coproc::test::TempDir dir;
    ::mkdir(dir.file("run").c_str(), 0755);
    ::mkdir(dir.file("state").c_str(), 0755);
    const std::string workers = std::to_string(std::min(n, 256));
    coproc::test::TestProcess::Options o;
    o.argv = {COPROC_BIN_DIR "/coprocess/coprocess", "--runtime-dir", dir.file("run"),
              "--state-dir", dir.file("state"), "--config", "/dev/null", "--log-level", "warn",
              "--set", "server.worker_threads=" + workers, "--set",
              "server.worker_threads_per_uid=" + workers};
    o.output_path = dir.file("coprocess.log");
    coproc::test::TestProcess coprocess(o);
    const std::string socket = dir.file("run") + "/coproc.sock";
    if (coproc_client_new(&client) != COPROC_OK) throw std::runtime_error("coproc_client_new");
    check(client, coproc_client_set_str(client, COPROC_OPT_ENDPOINT, socket.c_str()), "endpoint");
    check(client, coproc_client_set_int(client, COPROC_OPT_AUTO_LAUNCH, 0), "auto-launch");
    if (!coproc::test::wait_until([&] { return coproc_client_connect(client) == COPROC_OK; },
                                  std::chrono::seconds(20))) {
      throw std::runtime_error("coprocess did not come up:\n" +
                               coproc::test::read_file(o.output_path));
    }
    run_blocking(client, params, 2);  // warm: connection, pool, TLS-free path

    std::printf("async_bench: %d GETs of a location answering after 50 ms, one thread\n", n);
    // The machine is shared: the two forms alternate over 3 rounds and each
    // keeps its best round.
    double t_blocking = 1e9, t_async = 1e9;
    for (int round = 0; round < 3; ++round) {
      t_blocking = std::min(t_blocking, run_blocking(client, params, n));
      t_async = std::min(t_async, run_async(client, params, n));
    }
    auto line = [&](const char* what, double s) {
      std::printf("  %-40s %8.3f s  %8.1f ms/request\n", what, s, s / n * 1e3);
    };
    line("blocking coproc_call, one after another", t_blocking);
    line("coproc_call_async + coproc_wait_any", t_async);
    line("floor of the blocking form: n x 50 ms", n * 0.05);
    std::printf("  async is %.1fx faster than blocking (goal >= 20x; best of 3 rounds each)\n",
                t_blocking / t_async);
    std::printf("  load average %s\n", coproc::bench::load_average().c_str());
    coproc::bench::print_goal("async_vs_blocking_100_gets", t_blocking / t_async, 20, "x", true);
    coproc_client_close(client);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "async_bench: %s\n", e.what());
    coproc_client_close(client);
    return 1;
  }
}
