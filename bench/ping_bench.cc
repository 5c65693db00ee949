// sys.ping round trip through libcoproc, against two anchors measured in
// the same run:
//   raw echo      — a blocking ping-pong over a Unix socket with an echo
//                   process forked by this program, same message sizes as
//                   sys.ping;
//   raw coprocess — the same sys.ping bytes written and read on a blocking
//                   Unix socket to the co-process, no library (same
//                   placement as libcoproc: the co-process serves both).
// Then pipelined throughput: 1, 8 and 64 threads sharing one Client.
//
// usage: ping_bench [--endpoint PATH] [--calls N] [--seconds S] [--only echo|raw|lib]
// Without --endpoint it starts the coprocess built in this tree on a
// temporary runtime dir. --only runs one path N times, without warm-up or
// throughput rounds, for counting what one call costs from outside
// (`strace -c -f`, `valgrind --tool=callgrind`, `perf stat`).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "coproc/client.hpp"
#include "coproc/coproc.h"
#include "methods.h"
#include "rpc_message.h"
#include "stream_decoder.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

/// One path's round trips, and how often a thread went to sleep and had to
/// be woken up for them (voluntary context switches, all threads): on this
/// side and on the serving side. Unlike times, these counts do not depend
/// on the machine's load.
struct Run {
  std::vector<double> rtt;
  long client_sleeps = 0;
  long server_sleeps = 0;
  void add(const Run& r) {
    rtt.insert(rtt.end(), r.rtt.begin(), r.rtt.end());
    client_sleeps += r.client_sleeps;
    server_sleeps += r.server_sleeps;
  }
};

long own_sleeps() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);  // every thread, finished ones included
  return ru.ru_nvcsw;
}

struct Summary {
  double p50 = 0, p99 = 0, min = 0, mean = 0;
};

Summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double p) { return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))]; };
  double sum = 0;
  for (double x : v) sum += x;
  return Summary{at(0.50), at(0.99), v.front(), sum / static_cast<double>(v.size())};
}

double per_call(long count, int calls) {
  return static_cast<double>(count) / static_cast<double>(calls);
}

/// The kernel's own ping-pong figure: `perf bench sched pipe` (two
/// processes, two pipes), mean microseconds per round trip; -1 without perf.
double kernel_pipe_round_trip_us(int loops) {
  const std::string cmd =
      "perf bench sched pipe -l " + std::to_string(loops) + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  double us = -1;
  char line[256];
  while (std::fgets(line, sizeof line, p)) {
    double v = 0;
    if (std::strstr(line, "usecs/op") && std::sscanf(line, " %lf", &v) == 1) us = v;
  }
  ::pclose(p);
  return us;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "ping_bench: %s\n", what.c_str());
  std::exit(1);
}

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) die("write failed");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void read_exactly(int fd, char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r <= 0) die("read failed");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

/// The process at the other end of a connected Unix socket.
pid_t peer_pid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) die("SO_PEERCRED failed");
  return cred.pid;
}

/// Runs the coprocess of this build tree on a temp dir for the benchmark.
class Coprocess {
 public:
  Coprocess() {
    char tmpl[] = "/tmp/pingbench.XXXXXX";
    if (!::mkdtemp(tmpl)) die("mkdtemp failed");
    dir_ = tmpl;
    const std::string bin = std::string(COPROC_BIN_DIR) + "/coprocess/coprocess";
    std::vector<std::string> args = {bin, "--runtime-dir", dir_, "--state-dir", dir_,
                                     "--config", "/dev/null", "--log-level", "warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, bin.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      die("cannot start " + bin);
    }
    for (int i = 0; i < 400; ++i) {
      const int fd = connect_to(endpoint());
      if (fd >= 0) {
        ::close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    die("coprocess did not start");
  }
  ~Coprocess() {
    ::kill(pid_, SIGTERM);
    int status;
    ::waitpid(pid_, &status, 0);
    std::string cmd = "rm -rf '" + dir_ + "'";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir_.c_str());
  }
  std::string endpoint() const { return dir_ + "/coproc.sock"; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

/// The exact bytes of a sys.ping exchange.
struct PingBytes {
  std::string request;
  std::size_t response_size = 0;
  pid_t server = 0;  // the co-process
};

PingBytes measure_ping_bytes(const std::string& endpoint) {
  PingBytes b;
  b.request = coproc::rpc::encode_request(7, coproc::rpc::method::kPing, coproc::rpc::empty_params());
  const int fd = connect_to(endpoint);
  if (fd < 0) die("cannot connect to " + endpoint);
  b.server = peer_pid(fd);
  write_all(fd, b.request.data(), b.request.size());
  coproc::rpc::StreamDecoder dec{coproc::rpc::DecodeLimits{}};
  for (;;) {
    msgpack::object_handle oh;
    if (dec.next(oh) == coproc::rpc::StreamDecoder::Status::message) break;
    auto buf = dec.prepare();
    const ssize_t n = ::read(fd, buf.data, buf.size);
    if (n <= 0) die("no answer to sys.ping");
    dec.commit(static_cast<std::size_t>(n));
    b.response_size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return b;
}

/// Writes the request and reads an answer of the same size as sys.ping's,
/// `calls` times, on a blocking socket.
Run ping_pong(int fd, const PingBytes& bytes, int calls) {
  Run run;
  run.rtt.reserve(static_cast<std::size_t>(calls));
  std::vector<char> in(bytes.response_size);
  const long sleeps = own_sleeps();
  for (int i = 0; i < calls; ++i) {
    const auto t0 = Clock::now();
    write_all(fd, bytes.request.data(), bytes.request.size());
    read_exactly(fd, in.data(), in.size());
    run.rtt.push_back(us_since(t0));
  }
  run.client_sleeps = own_sleeps() - sleeps;
  return run;
}

/// ping_pong() with an echo child on `fd`, which is closed after it; the
/// child's sleeps come from its resource usage when it has exited.
Run ping_pong_with_child(int fd, pid_t child, const PingBytes& bytes, int calls) {
  Run run = ping_pong(fd, bytes, calls);
  ::close(fd);
  int status = 0;
  rusage ru{};
  ::wait4(child, &status, 0, &ru);
  run.server_sleeps = ru.ru_nvcsw;
  return run;
}

/// Anchor 1: ping-pong with an echo process (forked from this program):
/// two processes and one Unix stream, like a client and the co-process, with
/// nothing but read/write on either side. (A thread of this program was the
/// anchor before; on an idle machine the wake-up of a thread of the same
/// process can be slower than another process's, and the anchor came out
/// slower than the real co-process.)
Run raw_echo(const PingBytes& bytes, int calls) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair failed");
  const std::size_t req = bytes.request.size(), resp = bytes.response_size;
  std::fflush(stdout);
  const pid_t echo = ::fork();
  if (echo < 0) die("fork failed");
  if (echo == 0) {
    ::close(sv[0]);
    std::vector<char> in(req), out(resp, 'x');
    for (int i = 0; i < calls; ++i) {
      read_exactly(sv[1], in.data(), req);
      write_all(sv[1], out.data(), resp);
    }
    ::_exit(0);
  }
  ::close(sv[1]);
  return ping_pong_with_child(sv[0], echo, bytes, calls);
}

/// An independent check of anchor 1: the same ping-pong with an echo
/// written in Python (another runtime, its own read and write loop). Python
/// spends more per message, so this is an upper bound: an anchor slower than
/// it would be broken.
Run python_echo(const PingBytes& bytes, int calls) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair failed");
  static const char script[] =
      "import socket, sys\n"
      "s = socket.socket(fileno=3)\n"
      "req, resp, n = map(int, sys.argv[1:4])\n"
      "out = b'x' * resp\n"
      "for _ in range(n):\n"
      "    got = 0\n"
      "    while got < req:\n"
      "        b = s.recv(req - got)\n"
      "        if not b: sys.exit(1)\n"
      "        got += len(b)\n"
      "    s.sendall(out)\n";
  std::vector<std::string> args = {"python3", "-c", script, std::to_string(bytes.request.size()),
                                   std::to_string(bytes.response_size), std::to_string(calls)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawn_file_actions_adddup2(&fa, sv[1], 3);  // dup2 clears close-on-exec
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "python3", &fa, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&fa);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    return Run{};
  }
  return ping_pong_with_child(sv[0], pid, bytes, calls);
}

/// Anchor 2: sys.ping to the co-process on a blocking socket, no library.
/// (Same msgid every time, so the answer has the same size every time.)
Run raw_coprocess(const std::string& endpoint, const PingBytes& bytes, int calls) {
  const int fd = connect_to(endpoint);
  if (fd < 0) die("cannot connect to " + endpoint);
  const long server = coproc::bench::context_switches(bytes.server, true);
  Run run = ping_pong(fd, bytes, calls);
  run.server_sleeps = coproc::bench::context_switches(bytes.server, true) - server;
  ::close(fd);
  return run;
}

/// libcoproc through its C ABI, as a legacy application calls it.
Run libcoproc(const std::string& endpoint, const PingBytes& bytes, int calls) {
  coproc_client* c = nullptr;
  if (coproc_client_new(&c) != COPROC_OK ||
      coproc_client_set_str(c, COPROC_OPT_ENDPOINT, endpoint.c_str()) != COPROC_OK ||
      coproc_client_connect(c) != COPROC_OK) {
    die(std::string("libcoproc cannot connect: ") + coproc_errmsg(c));
  }
  Run run;
  run.rtt.reserve(static_cast<std::size_t>(calls));
  static const char params[] = {'\x91', '\x80'};
  const std::string ping(coproc::rpc::method::kPing);
  const long sleeps = own_sleeps();
  const long server = coproc::bench::context_switches(bytes.server, true);
  for (int i = 0; i < calls; ++i) {
    void* result = nullptr;
    std::size_t len = 0;
    const auto t0 = Clock::now();
    if (coproc_call(c, ping.c_str(), params, sizeof params, &result, &len) != COPROC_OK) {
      die(std::string("sys.ping failed: ") + coproc_errmsg(c));
    }
    run.rtt.push_back(us_since(t0));
    coproc_free(result);
  }
  run.client_sleeps = own_sleeps() - sleeps;
  run.server_sleeps = coproc::bench::context_switches(bytes.server, true) - server;
  coproc_client_close(c);
  return run;
}

double throughput(const std::string& endpoint, int threads, double seconds) {
  coproc::ClientOptions o;
  o.endpoint = endpoint;
  coproc::Client client(o);
  if (client.connect() != COPROC_OK) die("cannot connect");
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!client.call(coproc::rpc::method::kPing, "").ok()) die("sys.ping failed under load");
        ++n;
      }
      done += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  return static_cast<double>(done.load()) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  std::string endpoint;
  int calls = 20000;
  double seconds = 2.0;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--endpoint" && i + 1 < argc) {
      endpoint = argv[++i];
    } else if (a == "--calls" && i + 1 < argc) {
      calls = std::max(100, std::atoi(argv[++i]));
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::max(0.2, std::atof(argv[++i]));
    } else if (a == "--only" && i + 1 < argc &&
               (std::strcmp(argv[i + 1], "echo") == 0 || std::strcmp(argv[i + 1], "raw") == 0 ||
                std::strcmp(argv[i + 1], "lib") == 0)) {
      only = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: ping_bench [--endpoint PATH] [--calls N] [--seconds S] "
                   "[--only echo|raw|lib]\n");
      return 2;
    }
  }
  std::unique_ptr<Coprocess> own;
  if (endpoint.empty()) {
    own = std::make_unique<Coprocess>();
    endpoint = own->endpoint();
  }
  const PingBytes bytes = measure_ping_bytes(endpoint);
  if (!only.empty()) {
    const Run run = only == "echo"  ? raw_echo(bytes, calls)
                    : only == "raw" ? raw_coprocess(endpoint, bytes, calls)
                                    : libcoproc(endpoint, bytes, calls);
    const Summary s = summarize(run.rtt);
    std::printf("%s: %d round trips, min %.1f us, p50 %.1f us, p99 %.1f us; sleeps per call: "
                "client %.2f, server %.2f; load average %s\n",
                only.c_str(), calls, s.min, s.p50, s.p99, per_call(run.client_sleeps, calls),
                per_call(run.server_sleeps, calls), coproc::bench::load_average().c_str());
    return 0;
  }
  std::printf("sys.ping: request %zu bytes, response %zu bytes; %d round trips each\n",
              bytes.request.size(), bytes.response_size, calls);

  // Warm up every path, then measure them interleaved in rounds so that
  // background load on the machine hits all three alike.
  raw_echo(bytes, 1000);
  raw_coprocess(endpoint, bytes, 1000);
  libcoproc(endpoint, bytes, 1000);
  Run echo, raw, lib;
  const int rounds = 5;
  for (int r = 0; r < rounds; ++r) {
    echo.add(raw_echo(bytes, calls / rounds));
    raw.add(raw_coprocess(endpoint, bytes, calls / rounds));
    lib.add(libcoproc(endpoint, bytes, calls / rounds));
  }
  const int n = rounds * (calls / rounds);
  const Summary se = summarize(echo.rtt), sr = summarize(raw.rtt), sl = summarize(lib.rtt);
  std::printf("\n%-34s %8s %8s %8s %14s %14s\n", "round trip (us)", "min", "p50", "p99",
              "client sleeps", "server sleeps");
  auto line = [&](const char* what, const Summary& s, const Run& r) {
    std::printf("%-34s %8.1f %8.1f %8.1f %14.2f %14.2f\n", what, s.min, s.p50, s.p99,
                per_call(r.client_sleeps, n), per_call(r.server_sleeps, n));
  };
  line("raw echo (a forked echo process)", se, echo);
  line("raw sys.ping to the coprocess", sr, raw);
  line("libcoproc coproc_call(sys.ping)", sl, lib);
  std::printf("(sleeps: voluntary context switches per call, all threads of each side)\n");
  std::printf("\nratio p50 libcoproc / raw echo:          %.2fx\n", sl.p50 / se.p50);
  std::printf("ratio p50 raw coprocess / raw echo:      %.2fx\n", sr.p50 / se.p50);
  std::printf("ratio p50 libcoproc / raw coprocess:     %.2fx\n",
              sl.p50 / sr.p50);
  std::printf("ratio p99 libcoproc / raw coprocess:     %.2fx\n", sl.p99 / sr.p99);

  // The anchor checked against measurements that share none of its code.
  const Run py = python_echo(bytes, 5000);
  const double pipe_us = kernel_pipe_round_trip_us(20000);
  std::printf("\nanchor check (p50 unless said):\n");
  std::printf("  raw echo, this program's echo process  %8.1f us (mean %.1f)\n", se.p50, se.mean);
  if (py.rtt.empty()) {
    std::printf("  the same with a Python echo process    not run (no python3)\n");
  } else {
    std::printf("  the same with a Python echo process    %8.1f us (an upper bound)\n",
                summarize(py.rtt).p50);
  }
  if (pipe_us < 0) {
    std::printf("  perf bench sched pipe, round trip      not run (no perf)\n");
  } else {
    std::printf("  perf bench sched pipe, round trip      %8.1f us mean (the kernel's own "
                "figure, pipes)\n", pipe_us);
  }
  const bool sound = py.rtt.empty() || se.p50 <= summarize(py.rtt).p50 * 1.1;
  std::printf("  anchor %s\n", sound ? "sound: not slower than the independent echo"
                                      : "SUSPECT: slower than the Python echo");

  std::printf("\npipelined throughput, threads sharing one Client (%.1f s each):\n", seconds);
  for (int threads : {1, 8, 64}) {
    std::printf("  %2d thread(s): %10.0f calls/s\n", threads, throughput(endpoint, threads, seconds));
  }
  std::printf("load average %s\n", coproc::bench::load_average().c_str());
  coproc::bench::print_goal("ping_raw_coprocess_vs_echo_p50", sr.p50 / se.p50, 1.5, "x", false);
  coproc::bench::print_goal("ping_libcoproc_vs_raw_p50", sl.p50 / sr.p50, 1.2, "x", false);
  return 0;
}
