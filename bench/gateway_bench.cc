// The HTTP gateway (issue 15): requests per second and p50/p99 latency of
// GET /hello through the gateway with N C workers that do no work, and two
// anchors measured in the same run:
//   - nginx serving a static file of the same body (the limit: a C server
//     answering from its own event loop),
//   - a fork+exec of a tiny program per request (the CGI / Pick BASIC FORK
//     way): an accept loop that forks, hands the socket to the program as
//     stdin/stdout and execs it (bench/gateway_cgi_hello.c).
// The same load generator drives all three: C concurrent clients, each on
// its own connection (kept alive where the server allows: nginx and the
// gateway; the per-request process closes it), for R requests in total.
//
// The workers answer with coproc_gateway_reply_next (reply and take the next
// request in one round trip); the plain reply-then-next loop is measured too.
//
// usage: gateway_bench [requests] [workers] [clients]   (defaults 3000 4 4)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "coproc/coproc.h"
#include "coproc/gateway.h"
#include "nginx_server.h"
#include "tcp_port.h"
#include "temp_dir.h"
#include "test_process.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
  double requests_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  long context_switches = 0;  // voluntary ones of the client threads, all together
  double cpu_s = 0;           // CPU time of the client threads, all together
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("connect to port " + std::to_string(port) + ": " + std::strerror(errno));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One GET on `*fd` (connecting first when -1); reads the answer to the end
// of its Content-Length body. Returns the status; closes the connection
// when the server said so.
int get(int port, const std::string& request, int* fd) {
  if (*fd < 0) *fd = connect_to(port);
  if (::send(*fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    throw std::runtime_error("send failed");
  }
  std::string in;
  char buf[8192];
  std::size_t header_end = std::string::npos, need = 0;
  while (true) {
    const ssize_t n = ::recv(*fd, buf, sizeof buf, 0);
    if (n <= 0) throw std::runtime_error("connection closed before the answer ended");
    in.append(buf, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = in.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      const auto cl = in.find("Content-Length: ");
      if (cl == std::string::npos || cl > header_end) throw std::runtime_error("no Content-Length");
      need = header_end + 4 + std::strtoul(in.c_str() + cl + 16, nullptr, 10);
    }
    if (in.size() >= need) break;
  }
  const int status = std::atoi(in.c_str() + 9);
  if (in.find("Connection: close") < header_end) {
    ::close(*fd);
    *fd = -1;
  }
  return status;
}

Figures drive(int port, const std::string& path, int requests, int clients) {
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
  std::atomic<int> left{requests};
  std::atomic<int> failures{0};
  std::atomic<long> switches{0};
  std::atomic<long> cpu_us{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      int fd = -1;
      try {
        while (left.fetch_sub(1) > 0) {
          const auto s = Clock::now();
          if (get(port, request, &fd) != 200) failures++;
          latencies[static_cast<std::size_t>(c)].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "client: %s\n", e.what());
        failures++;
      }
      if (fd >= 0) ::close(fd);
      rusage ru{};
      ::getrusage(RUSAGE_THREAD, &ru);
      switches += ru.ru_nvcsw;
      cpu_us += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec +
                ru.ru_stime.tv_usec;
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  if (failures) throw std::runtime_error(std::to_string(failures.load()) + " requests failed");
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Figures f;
  f.requests_per_s = static_cast<double>(all.size()) / elapsed;
  f.p50_ms = all[all.size() / 2];
  f.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  f.context_switches = switches.load();
  f.cpu_s = static_cast<double>(cpu_us.load()) / 1e6;
  return f;
}

// The C worker: take a request, answer it at once and take the next in the
// same round trip (coproc_gateway_reply_next), or with the two plain calls.
[[noreturn]] void worker_main(const std::string& socket, const char* queue, bool combined) {
  coproc_client* c = nullptr;
  if (coproc_client_new(&c) != COPROC_OK) ::_exit(2);
  coproc_client_set_str(c, COPROC_OPT_ENDPOINT, socket.c_str());
  coproc_client_set_int(c, COPROC_OPT_AUTO_LAUNCH, 0);
  coproc_gateway_request* req = nullptr;
  for (int idle = 0; idle < 600 && ::getppid() != 1;) {  // bounded: 600 idle seconds
    coproc_status st = COPROC_OK;
    if (!req) st = coproc_gateway_next(c, queue, 1000, &req);
    if (st == COPROC_E_TIMEOUT) {
      ++idle;
      continue;
    }
    if (st != COPROC_OK) break;
    coproc_gateway_request* next = nullptr;
    if (combined) {
      st = coproc_gateway_reply_next(c, req, 200, "Content-Type: text/plain", "Hello, world!\n",
                                     14, queue, 1000, &next);
    } else {
      st = coproc_gateway_reply(c, req, 200, "Content-Type: text/plain", "Hello, world!\n", 14);
    }
    coproc_gateway_request_free(req);
    req = next;
    if (st != COPROC_OK && st != COPROC_E_TIMEOUT && st != COPROC_E_NOT_FOUND) break;
  }
  coproc_gateway_request_free(req);
  coproc_client_close(c);
  ::_exit(0);
}

// The fork+exec anchor's server: accept, fork, exec the program with the
// connection as stdin/stdout. Runs in its own process until killed.
[[noreturn]] void fork_server_main(int listen_fd, const char* program) {
  ::signal(SIGCHLD, SIG_IGN);  // children reaped by the kernel
  while (::getppid() != 1) {
    const int conn = ::accept(listen_fd, nullptr, nullptr);
    if (conn < 0) continue;
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(conn, 0);
      ::dup2(conn, 1);
      ::close(conn);
      ::close(listen_fd);
      ::execl(program, program, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(conn);
  }
  ::_exit(0);
}

int listen_on(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 512) != 0) {
    throw std::runtime_error("cannot listen for the fork+exec anchor");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// What the threads of some processes have cost so far (from /proc).
struct Cost {
  long switches = 0;  // voluntary context switches: a thread slept and was woken
  double cpu_s = 0;
  Cost operator-(const Cost& o) const { return Cost{switches - o.switches, cpu_s - o.cpu_s}; }
  Cost& operator+=(const Cost& o) {
    switches += o.switches;
    cpu_s += o.cpu_s;
    return *this;
  }
};

Cost cost_of(const std::vector<pid_t>& pids) {
  Cost c;
  for (pid_t p : pids) c += Cost{coproc::bench::context_switches(p, true), coproc::bench::cpu_seconds(p)};
  return c;
}

// nginx's master (from its pid file) and its worker (the master's child).
std::vector<pid_t> nginx_pids(const std::string& www_dir) {
  std::vector<pid_t> pids;
  std::ifstream pid_file(www_dir + "/../nginx.pid");
  pid_t master = 0;
  if (!(pid_file >> master)) return pids;
  pids.push_back(master);
  std::ifstream children("/proc/" + std::to_string(master) + "/task/" + std::to_string(master) +
                         "/children");
  pid_t child = 0;
  while (children >> child) pids.push_back(child);
  return pids;
}

// The independent load generator: Debian's wrk (C threads with one
// keep-alive connection each, like ours, so that both get the same share of
// a busy machine; it reconnects where the server closes) for
// `seconds` against the same URL. requests_per_s is 0 when wrk is missing
// or failed; `note` says why.
Figures run_wrk(int port, const std::string& path, int clients, int seconds, std::string* note) {
  Figures f;
  const std::string command = "wrk --latency -t" + std::to_string(clients) + " -c" +
                              std::to_string(clients) + " -d" +
                              std::to_string(seconds) + "s http://127.0.0.1:" +
                              std::to_string(port) + path + " 2>&1";
  FILE* out = ::popen(command.c_str(), "r");
  if (!out) {
    *note = "cannot run wrk";
    return f;
  }
  auto ms = [](double value, const char* unit) {
    const std::string u(unit);
    return u == "us" ? value / 1000 : u == "s" ? value * 1000 : value;
  };
  std::string all;
  char line[512];
  while (std::fgets(line, sizeof line, out)) {
    all += line;
    double value = 0;
    char unit[8] = "";
    if (std::sscanf(line, " 50%% %lf%7[a-z]", &value, unit) == 2) f.p50_ms = ms(value, unit);
    if (std::sscanf(line, " 99%% %lf%7[a-z]", &value, unit) == 2) f.p99_ms = ms(value, unit);
    if (std::sscanf(line, "Requests/sec: %lf", &value) == 1) f.requests_per_s = value;
    if (std::strstr(line, "Non-2xx") || std::strstr(line, "Socket errors")) {
      *note += std::string(line, std::strcspn(line, "\n")) + "; ";
    }
  }
  const int status = ::pclose(out);
  if (status != 0 || f.requests_per_s == 0) {
    *note = status == 127 * 256 || all.find("not found") != std::string::npos
                ? "wrk is not installed (scripts/install-deps --bench installs it)"
                : "wrk failed: " + all.substr(0, 200);
    f.requests_per_s = 0;
  }
  return f;
}

void print_line(const char* what, const Figures& f) {
  std::printf("  %-44s %9.0f req/s   p50 %7.3f ms   p99 %7.3f ms\n", what, f.requests_per_s,
              f.p50_ms, f.p99_ms);
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = argc > 1 ? std::max(100, std::atoi(argv[1])) : 3000;
  const int workers = argc > 2 ? std::max(1, std::atoi(argv[2])) : 4;
  const int clients = argc > 3 ? std::max(1, std::atoi(argv[3])) : 4;
  std::vector<pid_t> children;
  auto stop_children = [&] {
    for (pid_t p : children) ::kill(p, SIGKILL);
    for (pid_t p : children) ::waitpid(p, nullptr, 0);
    children.clear();
  };
  try {
    coproc::test::TempDir dir;
    const std::string socket = dir.file("run") + "/coproc.sock";
    // Children first, before any thread exists in this process.
    int cgi_port = 0;
    const int cgi_fd = listen_on(&cgi_port);
    pid_t pid = ::fork();
    if (pid == 0) fork_server_main(cgi_fd, COPROC_BENCH_CGI_PROGRAM);
    children.push_back(pid);
    ::close(cgi_fd);
    ::mkdir(dir.file("run").c_str(), 0755);
    ::mkdir(dir.file("state").c_str(), 0755);
    const int gw_port = coproc::test::free_tcp_port();
    coproc::test::TestProcess::Options o;
    o.argv = {COPROC_BIN_DIR "/coprocess/coprocess", "--runtime-dir", dir.file("run"),
              "--state-dir", dir.file("state"), "--config", "/dev/null", "--log-level", "warn",
              "--set", "gateway.listen=127.0.0.1:" + std::to_string(gw_port), "--set",
              "gateway.route=/plain=plain", "--set",
              "gateway.allow=default=" + std::to_string(::getuid()) +
                  "; plain=" + std::to_string(::getuid())};
    o.output_path = dir.file("coprocess.log");
    coproc::test::TestProcess coprocess(o);
    if (!coproc::test::wait_until([&] { return coproc::test::tcp_port_accepts(gw_port); },
                                  std::chrono::seconds(20))) {
      throw std::runtime_error("coprocess did not come up:\n" + coproc::test::read_file(o.output_path));
    }
    // Two gateways' worth of workers on one co-process would compete for
    // requests: the plain-loop workers serve their own queue (/plain).
    for (int i = 0; i < 2 * workers; ++i) {
      pid = ::fork();
      if (pid == 0) worker_main(socket, i < workers ? "" : "plain", i < workers);
      children.push_back(pid);
    }
    coproc::test::NginxServer nginx;
    ::mkdir((nginx.www_dir() + "/files").c_str(), 0755);
    std::ofstream(nginx.www_dir() + "/files/hello.txt") << "Hello, world!\n";

    std::printf(
        "gateway_bench: %d GETs of a 14-byte answer, %d concurrent clients, %d gateway workers\n",
        requests, clients, workers);
    const int warm = std::min(requests, 200);
    drive(nginx.http_port(), "/files/hello.txt", warm, clients);
    drive(gw_port, "/hello", warm, clients);
    drive(gw_port, "/plain", warm, clients);
    drive(cgi_port, "/hello", warm / 4, clients);
    // The machine is shared: the three alternate over 3 rounds and each
    // keeps its best round.
    Figures f_nginx, f_gateway, f_plain, f_fork;
    auto best = [](Figures& b, const Figures& f) {
      if (f.requests_per_s > b.requests_per_s) b = f;
    };
    // What a request costs, summed over the rounds (context switches and
    // CPU time, from /proc): nginx and this load generator for the static
    // file; the co-process (every thread), its reply_next workers and the
    // load generator for the gateway.
    const std::vector<pid_t> reply_next_workers(children.begin() + 1,
                                                children.begin() + 1 + workers);
    const std::vector<pid_t> nginx_processes = nginx_pids(nginx.www_dir());
    Cost cost_nginx, cost_nginx_generator, cost_coprocess, cost_workers, cost_generator;
    for (int round = 0; round < 3; ++round) {
      const Cost n0 = cost_of(nginx_processes);
      const Figures fn = drive(nginx.http_port(), "/files/hello.txt", requests, clients);
      cost_nginx += cost_of(nginx_processes) - n0;
      cost_nginx_generator += Cost{fn.context_switches, fn.cpu_s};
      best(f_nginx, fn);
      const Cost c0 = cost_of({coprocess.pid()}), w0 = cost_of(reply_next_workers);
      const Figures g = drive(gw_port, "/hello", requests, clients);
      cost_coprocess += cost_of({coprocess.pid()}) - c0;
      cost_workers += cost_of(reply_next_workers) - w0;
      cost_generator += Cost{g.context_switches, g.cpu_s};
      best(f_gateway, g);
      best(f_plain, drive(gw_port, "/plain", requests, clients));
      best(f_fork, drive(cgi_port, "/hello", requests, clients));
    }
    print_line("nginx, static file (the limit)", f_nginx);
    print_line(("gateway, " + std::to_string(workers) + " C workers (reply_next)").c_str(),
               f_gateway);
    print_line(("gateway, " + std::to_string(workers) + " C workers (reply, next)").c_str(),
               f_plain);
    print_line("fork+exec of a tiny program per request", f_fork);
    // Per request, over all rounds. Context switches hardly depend on the
    // machine's load; CPU time does a little (caches, preemption). With 2
    // cores, 2 s of CPU per second bound the requests/s of everything that
    // runs for a request, whatever the wall clock says.
    const double n = 3.0 * requests;
    auto print_cost = [n](const char* what, const Cost& c) {
      std::printf("    %-36s %6.2f context switches %7.1f us CPU\n", what, c.switches / n,
                  c.cpu_s / n * 1e6);
    };
    std::printf("  per request (all rounds; /proc and getrusage; voluntary context switches):\n");
    print_cost("nginx (master + worker)", cost_nginx);
    print_cost("load generator, on nginx", cost_nginx_generator);
    print_cost("co-process, every thread (reply_next)", cost_coprocess);
    print_cost("its workers", cost_workers);
    print_cost("load generator, on the gateway", cost_generator);
    const double gateway_cpu = (cost_coprocess.cpu_s + cost_workers.cpu_s) / n;
    const double nginx_cpu = cost_nginx.cpu_s / n;
    std::printf("  CPU bound on 2 cores, load generator left out: gateway %.0f req/s, nginx %.0f "
                "req/s\n",
                gateway_cpu > 0 ? 2 / gateway_cpu : 0, nginx_cpu > 0 ? 2 / nginx_cpu : 0);
    const double vs_fork = f_gateway.requests_per_s / f_fork.requests_per_s;
    const double of_nginx = f_gateway.requests_per_s / f_nginx.requests_per_s;
    std::printf("  gateway: %.1fx the requests/s of a process per request (goal >= 10x), "
                "%.0f%% of nginx's static file (best of 3 rounds each)\n",
                vs_fork, of_nginx * 100);
    std::printf("  load average %s\n", coproc::bench::load_average().c_str());

    // The independent check of every figure: wrk against the same three
    // servers, alternating over 3 rounds, best round each. Where the two
    // generators disagree by more than a quarter, a figure above is not to
    // be trusted.
    constexpr int kWrkSeconds = 1;
    std::string note_nginx, note_gateway, note_fork;
    Figures w_nginx, w_gateway, w_fork;
    for (int round = 0; round < 3; ++round) {
      best(w_nginx, run_wrk(nginx.http_port(), "/files/hello.txt", clients, kWrkSeconds, &note_nginx));
      best(w_gateway, run_wrk(gw_port, "/hello", clients, kWrkSeconds, &note_gateway));
      best(w_fork, run_wrk(cgi_port, "/hello", clients, kWrkSeconds, &note_fork));
    }
    std::printf("  independent check: wrk --latency -t%d -c%d -d%ds, best of 3 alternating rounds "
                "(load average %s)\n",
                clients, clients, kWrkSeconds, coproc::bench::load_average().c_str());
    bool agree = true;
    auto check = [&agree](const char* what, const Figures& ours, const Figures& wrk,
                          const std::string& note) {
      if (wrk.requests_per_s <= 0) {
        std::printf("    %-36s no figure: %s\n", what, note.c_str());
        agree = false;
        return;
      }
      const double ratio = ours.requests_per_s / wrk.requests_per_s;
      const bool off = ratio < 0.75 || ratio > 1.0 / 0.75;
      agree = agree && !off;
      std::printf("    %-36s %9.0f req/s   p50 %7.3f ms   p99 %7.3f ms   ours/wrk %.2f%s%s\n",
                  what, wrk.requests_per_s, wrk.p50_ms, wrk.p99_ms, ratio,
                  off ? "  DISAGREE (more than 25%)" : "", note.empty() ? "" : ("  " + note).c_str());
    };
    check("nginx, static file", f_nginx, w_nginx, note_nginx);
    check("gateway (reply_next)", f_gateway, w_gateway, note_gateway);
    check("fork+exec per request", f_fork, w_fork, note_fork);
    if (w_gateway.requests_per_s > 0 && w_fork.requests_per_s > 0) {
      std::printf("    gateway vs fork+exec by wrk: %.1fx; our load generator and wrk %s\n",
                  w_gateway.requests_per_s / w_fork.requests_per_s,
                  agree ? "agree within 25% on every figure" : "DISAGREE: see above");
    }
    coproc::bench::print_goal("gateway_vs_fork_exec", vs_fork, 10, "x", true);
    stop_children();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gateway_bench: %s\n", e.what());
    stop_children();
    return 1;
  }
}
