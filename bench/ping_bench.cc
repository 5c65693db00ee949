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

struct Summary {
  double p50 = 0, p99 = 0, min = 0;
};

Summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double p) { return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))]; };
  return Summary{at(0.50), at(0.99), v.front()};
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
};

PingBytes measure_ping_bytes(const std::string& endpoint) {
  PingBytes b;
  b.request = coproc::rpc::encode_request(7, coproc::rpc::method::kPing, coproc::rpc::empty_params());
  const int fd = connect_to(endpoint);
  if (fd < 0) die("cannot connect to " + endpoint);
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

/// Anchor 1: ping-pong with an echo process (forked from this program):
/// two processes and one Unix stream, like a client and the co-process, with
/// nothing but read/write on either side. (A thread of this program was the
/// anchor before; on an idle machine the wake-up of a thread of the same
/// process can be slower than another process's, and the anchor came out
/// slower than the real co-process.)
std::vector<double> raw_echo(const PingBytes& bytes, int calls) {
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
  std::vector<double> rtt;
  std::vector<char> in(resp);
  for (int i = 0; i < calls; ++i) {
    const auto t0 = Clock::now();
    write_all(sv[0], bytes.request.data(), req);
    read_exactly(sv[0], in.data(), resp);
    rtt.push_back(us_since(t0));
  }
  ::close(sv[0]);
  int status = 0;
  ::waitpid(echo, &status, 0);
  return rtt;
}

/// Anchor 2: sys.ping to the co-process on a blocking socket, no library.
std::vector<double> raw_coprocess(const std::string& endpoint, const PingBytes& bytes, int calls) {
  const int fd = connect_to(endpoint);
  if (fd < 0) die("cannot connect to " + endpoint);
  std::vector<double> rtt;
  std::vector<char> in(bytes.response_size);
  for (int i = 0; i < calls; ++i) {
    const auto t0 = Clock::now();
    write_all(fd, bytes.request.data(), bytes.request.size());
    read_exactly(fd, in.data(), in.size());  // same msgid, so the same size every time
    rtt.push_back(us_since(t0));
  }
  ::close(fd);
  return rtt;
}

/// libcoproc through its C ABI, as a legacy application calls it.
std::vector<double> libcoproc(const std::string& endpoint, int calls) {
  coproc_client* c = nullptr;
  if (coproc_client_new(&c) != COPROC_OK ||
      coproc_client_set_str(c, COPROC_OPT_ENDPOINT, endpoint.c_str()) != COPROC_OK ||
      coproc_client_connect(c) != COPROC_OK) {
    die(std::string("libcoproc cannot connect: ") + coproc_errmsg(c));
  }
  std::vector<double> rtt;
  static const char params[] = {'\x91', '\x80'};
  const std::string ping(coproc::rpc::method::kPing);
  for (int i = 0; i < calls; ++i) {
    void* result = nullptr;
    std::size_t len = 0;
    const auto t0 = Clock::now();
    if (coproc_call(c, ping.c_str(), params, sizeof params, &result, &len) != COPROC_OK) {
      die(std::string("sys.ping failed: ") + coproc_errmsg(c));
    }
    rtt.push_back(us_since(t0));
    coproc_free(result);
  }
  coproc_client_close(c);
  return rtt;
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
    const std::vector<double> rtt = only == "echo"  ? raw_echo(bytes, calls)
                                    : only == "raw" ? raw_coprocess(endpoint, bytes, calls)
                                                    : libcoproc(endpoint, calls);
    const Summary s = summarize(rtt);
    std::printf("%s: %d round trips, min %.1f us, p50 %.1f us, p99 %.1f us; load average %s\n",
                only.c_str(), calls, s.min, s.p50, s.p99, coproc::bench::load_average().c_str());
    return 0;
  }
  std::printf("sys.ping: request %zu bytes, response %zu bytes; %d round trips each\n",
              bytes.request.size(), bytes.response_size, calls);

  // Warm up every path, then measure them interleaved in rounds so that
  // background load on the machine hits all three alike.
  raw_echo(bytes, 1000);
  raw_coprocess(endpoint, bytes, 1000);
  libcoproc(endpoint, 1000);
  std::vector<double> echo, raw, lib;
  const int rounds = 5;
  for (int r = 0; r < rounds; ++r) {
    auto a = raw_echo(bytes, calls / rounds);
    auto b = raw_coprocess(endpoint, bytes, calls / rounds);
    auto c = libcoproc(endpoint, calls / rounds);
    echo.insert(echo.end(), a.begin(), a.end());
    raw.insert(raw.end(), b.begin(), b.end());
    lib.insert(lib.end(), c.begin(), c.end());
  }
  const Summary se = summarize(echo), sr = summarize(raw), sl = summarize(lib);
  std::printf("\n%-34s %10s %10s %10s\n", "round trip (us)", "min", "p50", "p99");
  std::printf("%-34s %10.1f %10.1f %10.1f\n", "raw echo (a forked echo process)", se.min, se.p50,
              se.p99);
  std::printf("%-34s %10.1f %10.1f %10.1f\n", "raw sys.ping to the coprocess", sr.min, sr.p50,
              sr.p99);
  std::printf("%-34s %10.1f %10.1f %10.1f\n", "libcoproc coproc_call(sys.ping)", sl.min, sl.p50,
              sl.p99);
  std::printf("\nratio p50 libcoproc / raw echo:          %.2fx\n", sl.p50 / se.p50);
  std::printf("ratio p50 raw coprocess / raw echo:      %.2fx\n", sr.p50 / se.p50);
  std::printf("ratio p50 libcoproc / raw coprocess:     %.2fx\n",
              sl.p50 / sr.p50);
  std::printf("ratio p99 libcoproc / raw coprocess:     %.2fx\n", sl.p99 / sr.p99);

  std::printf("\npipelined throughput, threads sharing one Client (%.1f s each):\n", seconds);
  for (int threads : {1, 8, 64}) {
    std::printf("  %2d thread(s): %10.0f calls/s\n", threads, throughput(endpoint, threads, seconds));
  }
  std::printf("load average %s\n", coproc::bench::load_average().c_str());
  coproc::bench::print_goal("ping_raw_coprocess_vs_echo_p50", sr.p50 / se.p50, 1.5, "x", false);
  coproc::bench::print_goal("ping_libcoproc_vs_raw_p50", sl.p50 / sr.p50, 1.2, "x", false);
  return 0;
}
