// HTTP figures (issue 5): 1000 GETs of a 1 KB file from a local nginx
//   - through the co-process (libcoproc C++ client, one connection),
//   - with `curl` spawned per request (what a legacy app does today),
//   - with one in-process libcurl handle and keep-alive (the limit),
// all in the same run, printed with ratios; then 64 concurrent clients'
// aggregate requests per second through the co-process.
//
// The co-process's own cost per request is counted too, independent of the
// machine's load: CPU time and context switches of all its threads (from
// /proc), for http.request and for sys.ping.
//
// usage: http_bench [requests] [concurrent-clients]
//        http_bench --calls N   only N http.request calls after a warm-up
//                               (run under HTTP_BENCH_WRAP, see below)
// HTTP_BENCH_WRAP="strace -f -c -o FILE" (or "valgrind --tool=callgrind ...")
// starts the co-process under that command: counts per request are the
// difference between --calls N and --calls 0, divided by N.
// HTTP_BENCH_SET="name=value ..." passes options to the co-process (--set).
#include <curl/curl.h>
#include <dirent.h>
#include <spawn.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <msgpack.hpp>

#include "bench_report.h"
#include "coproc/client.hpp"
#include "http_messages.h"
#include "methods.h"
#include "msgpack_writer.h"
#include "nginx_server.h"
#include "temp_dir.h"
#include "test_process.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace coproc;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string get_params(const std::string& url) {
  rpc::HttpRequestParams p;
  p.url = url;
  return rpc::pack_params(p).bytes;
}

// Status and body size of an http.request result.
void check_result(const CallResult& r, std::size_t expect_size) {
  if (!r.ok()) throw std::runtime_error("http.request failed: " + r.error_name + ": " + r.error_message);
  rpc::HttpResponseResult response;
  if (!rpc::read_result(r.result, &response)) throw std::runtime_error("unexpected result shape");
  const int status = response.status;
  const std::size_t size = response.body ? response.body->size() : 0;
  if (status != 200 || size != expect_size) {
    throw std::runtime_error("unexpected answer: status " + std::to_string(status) + ", " +
                             std::to_string(size) + " bytes");
  }
}

// CPU time and context switches of every thread of a process, so far.
struct ProcessCounts {
  double cpu_us = 0;
  double switches = 0;  // voluntary context switches (blocked, woken again)
};

ProcessCounts process_counts(pid_t pid) {
  ProcessCounts c;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (!dir) return c;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const std::string task = tasks + "/" + e->d_name;
    std::ifstream sched(task + "/schedstat");
    double on_cpu_ns = 0;
    if (sched >> on_cpu_ns) c.cpu_us += on_cpu_ns / 1000;
    std::ifstream status(task + "/status");
    std::string line;
    while (std::getline(status, line)) {
      // Voluntary only: a thread that blocked and had to be woken (the
      // involuntary ones count the other processes on the machine).
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
        c.switches += std::atof(line.c_str() + line.find(':') + 1);
      }
    }
  }
  ::closedir(dir);
  return c;
}

double run_coproc(const std::string& socket, const std::string& url, int n) {
  ClientOptions o;
  o.endpoint = socket;
  o.auto_launch = false;
  Client client(o);
  const std::string params = get_params(url);
  check_result(client.call(rpc::method::kHttpRequest, params), 1024);  // connect + warm the pool
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) check_result(client.call(rpc::method::kHttpRequest, params), 1024);
  return seconds_since(t0);
}

// Anchors: the RPC round trip alone (sys.ping, answered on the event loop)
// and with the hop to a worker thread (debug.sleep ms=0), the part of every
// http.request that is not HTTP.
double run_rpc(const std::string& socket, const std::string& method, const std::string& params,
               int n) {
  ClientOptions o;
  o.endpoint = socket;
  o.auto_launch = false;
  Client client(o);
  if (!client.call(method, params).ok()) throw std::runtime_error(method + " failed");
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (!client.call(method, params).ok()) throw std::runtime_error(method + " failed");
  }
  return seconds_since(t0);
}

std::string sleep0_params() {
  std::string out;
  coproc::rpc::StringWriter w{&out};
  coproc::rpc::Packer pk(w);
  pk.pack_array(1);
  pk.pack_map(1);
  coproc::rpc::pack_entry(pk, "ms", 0);
  return out;
}

double run_curl_per_request(const std::string& url, int n) {
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> args = {"/usr/bin/curl", "-sS", "-f", "-o", "/dev/null", url};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot spawn curl");
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("curl failed");
  }
  return seconds_since(t0);
}

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

double run_libcurl(const std::string& url, int n) {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(curl);  // warm: connection kept alive
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    body.clear();
    if (curl_easy_perform(curl) != CURLE_OK || body.size() != 1024) {
      throw std::runtime_error("libcurl request failed");
    }
  }
  const double s = seconds_since(t0);
  curl_easy_cleanup(curl);
  return s;
}

// An independent check of the libcurl anchor: the curl program's own
// per-transfer time (--write-out %{time_total}) for `n` requests on one
// kept-alive connection (one curl process, the URL repeated); the median,
// in seconds. The first transfer (connect) is left out.
double curl_write_out_median(const std::string& url, int n) {
  std::string command = "/usr/bin/curl -s -w '%{time_total}\\n'";
  for (int i = 0; i < n + 1; ++i) command += " -o /dev/null '" + url + "'";
  FILE* out = ::popen(command.c_str(), "r");
  if (!out) throw std::runtime_error("cannot run curl");
  std::vector<double> times;
  char line[64];
  while (std::fgets(line, sizeof line, out)) times.push_back(std::atof(line));
  if (::pclose(out) != 0 || times.size() != static_cast<std::size_t>(n) + 1) {
    throw std::runtime_error("curl --write-out check failed");
  }
  times.erase(times.begin());
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double run_concurrent(const std::string& socket, const std::string& url, int clients,
                      int per_client, std::atomic<int>* failures) {
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point t0;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      ClientOptions o;
      o.endpoint = socket;
      o.auto_launch = false;
      Client client(o);
      const std::string params = get_params(url);
      try {
        check_result(client.call(rpc::method::kHttpRequest, params), 1024);
      } catch (const std::exception&) {
        ++*failures;
      }
      ++ready;
      while (!go) std::this_thread::yield();
      for (int i = 0; i < per_client; ++i) {
        try {
          check_result(client.call(rpc::method::kHttpRequest, params), 1024);
        } catch (const std::exception&) {
          ++*failures;
        }
      }
    });
  }
  while (ready < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  t0 = Clock::now();
  go = true;
  for (auto& t : threads) t.join();
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  const bool calls_only = argc > 2 && std::strcmp(argv[1], "--calls") == 0;
  const int n = calls_only ? std::atoi(argv[2]) : argc > 1 ? std::atoi(argv[1]) : 1000;
  const int clients = !calls_only && argc > 2 ? std::atoi(argv[2]) : 64;
  try {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test::NginxServer nginx;
    std::string file(1024, 'x');
    for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>('a' + i % 26);
    test::write_file(nginx.www_dir() + "/files/1k.bin", file);
    const std::string url = nginx.http_url("/files/1k.bin");

    test::TempDir dir;
    ::mkdir(dir.file("run").c_str(), 0755);
    ::mkdir(dir.file("state").c_str(), 0755);
    test::TestProcess::Options o;
    if (const char* wrap = std::getenv("HTTP_BENCH_WRAP")) {
      std::istringstream words(wrap);
      for (std::string w; words >> w;) o.argv.push_back(w);
    }
    const std::vector<std::string> coprocess_argv = {COPROC_BIN_DIR "/coprocess/coprocess", "--runtime-dir", dir.file("run"), "--state-dir",
              dir.file("state"), "--config", "/dev/null", "--log-level", "warn", "--set",
              "debug.methods=true"};
    o.argv.insert(o.argv.end(), coprocess_argv.begin(), coprocess_argv.end());
    if (const char* extra = std::getenv("HTTP_BENCH_SET")) {  // e.g. "server.io_threads=1"
      std::istringstream words(extra);
      for (std::string w; words >> w;) o.argv.insert(o.argv.end(), {"--set", w});
    }
    o.output_path = dir.file("coprocess.log");
    test::TestProcess coprocess(o);
    const std::string socket = dir.file("run") + "/coproc.sock";
    if (!test::wait_until(
            [&] {
              ClientOptions co;
              co.endpoint = socket;
              co.auto_launch = false;
              co.connect_timeout_ms = 200;
              Client probe(co);
              return probe.connect() == COPROC_OK;
            },
            std::chrono::seconds(60))) {
      throw std::runtime_error("coprocess did not come up:\n" + test::read_file(o.output_path));
    }
    if (calls_only) {
      std::printf("http_bench: %.3f s for %d http.request calls\n", run_coproc(socket, url, n), n);
      // Under a wrapper such as strace the co-process is its child: it gets
      // the SIGTERM, so the wrapper can write its summary.
      pid_t target = coprocess.pid();
      std::ifstream children("/proc/" + std::to_string(target) + "/task/" +
                             std::to_string(target) + "/children");
      pid_t child = 0;
      if (children >> child) target = child;
      ::kill(target, SIGTERM);
      return coprocess.wait(std::chrono::seconds(60)) == 0 ? 0 : 1;
    }

    std::printf("http_bench: %d sequential GETs of a 1 KB file from nginx on 127.0.0.1\n", n);
    // The machine is shared: coproc and libcurl alternate over 9 rounds of
    // n/9 requests and each keeps its median round, so a burst of someone
    // else's load hits both alike.
    constexpr int kRounds = 9;
    const int per_round = std::max(1, n / kRounds);
    std::vector<double> coproc_rounds, libcurl_rounds, ping_rounds;
    for (int round = 0; round < kRounds; ++round) {
      coproc_rounds.push_back(run_coproc(socket, url, per_round) * n / per_round);
      libcurl_rounds.push_back(run_libcurl(url, per_round) * n / per_round);
      ping_rounds.push_back(run_rpc(socket, std::string(rpc::method::kPing), "", per_round) * n / per_round);
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const double t_coproc = median(coproc_rounds);
    const double t_libcurl = median(libcurl_rounds);
    const double t_ping = median(ping_rounds);
    // The floor's HTTP part checked by another client: if libcurl here were
    // slowed by something of this program's, the floor would be too slow and
    // the ratio flattered. The faster of the two counts.
    const double curl_check = curl_write_out_median(url, 200) * n;
    const double t_http = std::min(t_libcurl, curl_check);
    // What any design that does the request in another process pays at
    // least: one local RPC round trip plus the request itself.
    const double t_floor = t_ping + t_http;
    const double t_curl = run_curl_per_request(url, n);
    auto line = [&](const char* what, double s) {
      std::printf("  %-34s %8.3f s  %8.1f us/request  %9.0f requests/s\n", what, s, s / n * 1e6,
                  n / s);
    };
    line("coproc (libcoproc -> co-process)*", t_coproc);
    line("curl spawned per request", t_curl);
    line("libcurl, one handle, keep-alive*", t_libcurl);
    line("anchor: sys.ping (RPC only)*", t_ping);
    line("anchor: debug.sleep 0 (RPC+worker)", run_rpc(socket, std::string(rpc::method::kDebugSleep), sleep0_params(), n));
    line("floor: sys.ping + the faster HTTP", t_floor);
    std::printf("  (* median of %d alternating rounds, scaled to %d requests)\n", kRounds, n);
    std::vector<double> rounds = libcurl_rounds;
    std::sort(rounds.begin(), rounds.end());
    std::printf("  floor check: the curl program on one keep-alive connection, --write-out "
                "time_total median %.1f us/request (libcurl rounds here: %.1f-%.1f us); the "
                "floor counts %s\n",
                curl_check / n * 1e6, rounds.front() / n * 1e6, rounds.back() / n * 1e6,
                t_http < t_libcurl ? "curl's" : "libcurl's");
    if (std::max(t_libcurl, curl_check) > 1.25 * t_http) {
      std::printf("  floor check DISAGREE: libcurl's median and curl's own time differ by more "
                  "than 25%% (%.1f vs %.1f us); the faster is the floor\n",
                  t_libcurl / n * 1e6, curl_check / n * 1e6);
    }
    std::printf("  coproc is %.1fx faster than curl per request (goal >= 30x)\n", t_curl / t_coproc);
    std::printf("  coproc reaches %.2fx of in-process libcurl's rate (goal >= 0.7x)\n",
                t_libcurl / t_coproc);
    std::printf("  coproc reaches %.2fx of the floor's rate (HTTP / floor = %.2fx is the best "
                "any co-process can do here)\n",
                t_floor / t_coproc, t_http / t_floor);
    // Each path's best round: what it costs when someone else's load
    // spared it (on a loaded machine the medians move with that load).
    const double best_coproc = *std::min_element(coproc_rounds.begin(), coproc_rounds.end());
    const double best_floor =
        *std::min_element(ping_rounds.begin(), ping_rounds.end()) +
        std::min(*std::min_element(libcurl_rounds.begin(), libcurl_rounds.end()), curl_check);
    std::printf("  best rounds: coproc %.1f us, floor %.1f us per request: %.2fx of the floor\n",
                best_coproc / n * 1e6, best_floor / n * 1e6, best_floor / best_coproc);
    std::printf("  load average %s\n", coproc::bench::load_average().c_str());
    coproc::bench::print_goal("http_vs_curl_per_request", t_curl / t_coproc, 30, "x", true);
    coproc::bench::print_goal("http_vs_floor", t_floor / t_coproc, 0.9, "x", true);

    // What the co-process itself spends per call, whatever the load.
    auto per_call = [&](const char* what, const std::function<void()>& calls) {
      const ProcessCounts before = process_counts(coprocess.pid());
      calls();
      const ProcessCounts after = process_counts(coprocess.pid());
      std::printf("  co-process per %-13s %6.1f us CPU  %5.2f voluntary context switches\n", what,
                  (after.cpu_us - before.cpu_us) / n, (after.switches - before.switches) / n);
    };
    per_call("http.request:", [&] { run_coproc(socket, url, n); });
    per_call("sys.ping:", [&] { run_rpc(socket, std::string(rpc::method::kPing), "", n); });
    {
      // The same for the floor's HTTP part: libcurl's thread in this process.
      rusage before{}, after{};
      ::getrusage(RUSAGE_THREAD, &before);
      run_libcurl(url, n);
      ::getrusage(RUSAGE_THREAD, &after);
      auto us = [](const timeval& t) { return t.tv_sec * 1e6 + t.tv_usec; };
      const double cpu = us(after.ru_utime) + us(after.ru_stime) - us(before.ru_utime) -
                         us(before.ru_stime);
      std::printf("  libcurl thread per request:  %6.1f us CPU  %5.2f voluntary context switches\n",
                  cpu / n, static_cast<double>(after.ru_nvcsw - before.ru_nvcsw) / n);
    }

    std::atomic<int> failures{0};
    const int per_client = std::max(1, n / 4);
    const double t_conc = run_concurrent(socket, url, clients, per_client, &failures);
    const double total = static_cast<double>(clients) * per_client;
    std::printf("  %d concurrent clients x %d GETs: %.3f s, %.0f requests/s aggregate, %d failed\n",
                clients, per_client, t_conc, total / t_conc, failures.load());
    std::printf("  (sequential single client: %.0f requests/s; aggregate/sequential = %.2fx)\n",
                n / t_coproc, (total / t_conc) / (n / t_coproc));
    curl_global_cleanup();
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_bench: %s\n", e.what());
    return 1;
  }
}
