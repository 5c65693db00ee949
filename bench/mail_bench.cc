// mail_bench: small mails into two real SMTP servers on loopback, in the
// same run, each the same way:
//   Postfix  — Debian's MTA, a private instance (its own config and queue,
//              discard transport; tests/support/postfix_test_server.h);
//              the goals are judged here, because it is what a relay is
//   aiosmtpd — the Python sink the tests use (replies with TCP_NODELAY)
// Per server:
//   curl       — `curl smtp://` spawned per message (what legacy apps do)
//   msmtp      — `msmtp` spawned per message (what many legacy scripts call)
//   persistent — one SMTP session from this program, MAIL/RCPT/DATA per
//                message, no pipelining (the naive limit of one session)
//   ceiling    — 4 and 8 such sessions in parallel (the best counts): the
//                server's own limit, which no client can pass
//   coproc     — mail.send through libcoproc (8 threads, one client); every
//                mail is written to the outbox and fsync'd before mail.send
//                answers; timed until the server has every message
// and an independent check of the anchors: Python's smtplib, persistent and
// one session per mail (bench/smtp_anchor_check.py), so that a server
// artifact (Nagle on EHLO replies once made curl look 5x slower) is seen.
// Ends with `GOAL <name> <measured> <target> met|missed` lines.
// Usage: mail_bench [N] (default 1000); MAIL_BENCH_SPAWN=N times the
// spawned anchors on N messages and scales (default min(N, 200)).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <msgpack.hpp>

#include "bench_report.h"
#include "coproc/client.hpp"
#include "mail_messages.h"
#include "methods.h"
#include "postfix_test_server.h"
#include "smtp_test_server.h"
#include "temp_dir.h"
#include "test_process.h"

using namespace coproc;
using Clock = std::chrono::steady_clock;

namespace {

const char* const kBody =
    "From: bench@example.org\r\nTo: sink@example.net\r\nSubject: bench\r\n\r\nsmall body\r\n";

/// One SMTP server under test: where it listens and how many messages it
/// has taken so far.
struct Server {
  std::string name;
  int port = 0;
  std::function<std::size_t()> count;
  bool wait_for(std::size_t n) const {
    return test::wait_until([&] { return count() >= n; }, std::chrono::seconds(300));
  }
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}


// Runs `argv` once per message with the message on stdin; seconds for all.
double run_spawned(const std::vector<std::string>& argv, int n, const std::string& body_file) {
  const auto start = Clock::now();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (int i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      FILE* in = std::freopen(body_file.c_str(), "rb", stdin);
      if (!in) _exit(126);
      execv(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::cerr << argv[0] << " failed (status " << status << ")\n";
      return -1;
    }
  }
  return seconds_since(start);
}

// Minimal SMTP client: one connection, replies read line by line.
class SmtpLine {
 public:
  explicit SmtpLine(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
  }
  ~SmtpLine() { ::close(fd_); }
  void send(const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
      ssize_t k = ::write(fd_, s.data() + done, s.size() - done);
      if (k <= 0) throw std::runtime_error("write");
      done += static_cast<std::size_t>(k);
    }
  }
  int reply() {  // status of a (multi-line) reply
    for (;;) {
      std::string line = next_line();
      if (line.size() < 4) throw std::runtime_error("short reply");
      if (line[3] == ' ') return std::stoi(line.substr(0, 3));
    }
  }

 private:
  std::string next_line() {
    for (;;) {
      std::size_t nl = buf_.find("\r\n");
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 2);
        return line;
      }
      char tmp[4096];
      ssize_t k = ::read(fd_, tmp, sizeof tmp);
      if (k <= 0) throw std::runtime_error("read");
      buf_.append(tmp, static_cast<std::size_t>(k));
    }
  }
  int fd_ = -1;
  std::string buf_;
};

double run_persistent(int port, int n) {
  const auto start = Clock::now();
  SmtpLine s(port);
  if (s.reply() != 220) return -1;
  s.send("EHLO bench\r\n");
  if (s.reply() != 250) return -1;
  for (int i = 0; i < n; ++i) {
    s.send("MAIL FROM:<bench@example.org>\r\n");
    if (s.reply() != 250) return -1;
    s.send("RCPT TO:<sink@example.net>\r\n");
    if (s.reply() != 250) return -1;
    s.send("DATA\r\n");
    if (s.reply() != 354) return -1;
    s.send(std::string(kBody) + ".\r\n");
    if (s.reply() != 250) return -1;
  }
  s.send("QUIT\r\n");
  s.reply();
  return seconds_since(start);
}

// The server's own ceiling: `sessions` persistent sessions in parallel,
// n mails in all; seconds until the server has every one. Postfix commits
// (fsyncs) each queue file, and several sessions' commits overlap, so one
// session is not the server's limit.
double run_parallel_sessions(const Server& server, int n, int sessions) {
  const std::size_t base = server.count();
  const auto start = Clock::now();
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int k = 0; k < sessions; ++k) {
    const int share = n / sessions + (k < n % sessions ? 1 : 0);
    threads.emplace_back([&, share] {
      if (run_persistent(server.port, share) < 0) failed = true;
    });
  }
  for (auto& t : threads) t.join();
  if (failed || !server.wait_for(base + static_cast<std::size_t>(n))) return -1;
  return seconds_since(start);
}

std::string send_params(int run, int i) {
  rpc::MailSendParams p;
  p.from = "bench@example.org";
  p.to = {"sink@example.net"};
  p.subject = "bench";
  p.text = "small body\n";
  p.idempotency_key = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(run) + "-" +
                      std::to_string(i);
  return rpc::pack_params(p).bytes;
}

double run_coproc(Client& client, const Server& server, int n, std::size_t base) {
  static int run = 0;
  ++run;
  const auto start = Clock::now();
  std::atomic<int> next{0}, errors{0};
  std::vector<std::thread> threads;
  // MAIL_BENCH_THREADS: submitting threads sharing the one client (default 8).
  const int nthreads = std::getenv("MAIL_BENCH_THREADS") ? std::atoi(std::getenv("MAIL_BENCH_THREADS")) : 8;
  for (int t = 0; t < nthreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        CallOptions o;
        o.idempotent = 1;
        CallResult r = client.call(coproc::rpc::method::kMailSend, send_params(run, i), o);
        if (!r.ok()) {
          if (errors++ == 0) std::cerr << "mail.send: " << r.error_name << ": " << r.error_message << "\n";
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double accepted = seconds_since(start);
  if (errors) return -1;
  if (!server.wait_for(base + static_cast<std::size_t>(n))) return -1;
  const double all = seconds_since(start);
  std::printf("    coproc: all %d accepted (durably queued) after %.3f s (%.3f ms/mail), all at the "
              "server after %.3f s\n", n, accepted, accepted * 1000 / n, all);
  return all;
}


/// A co-process of its own for one server, on a temporary runtime dir.
class Coprocess {
 public:
  Coprocess(const test::TempDir& dir, const std::string& tag, int smtp_port) {
    const std::string run = dir.file("run-" + tag), state = dir.file("state-" + tag);
    ::mkdir(run.c_str(), 0755);
    ::mkdir(state.c_str(), 0755);
    log_ = dir.file("coprocess-" + tag + ".log");
    test::TestProcess::Options po;
    po.argv = {std::string(COPROC_BIN_DIR) + "/coprocess/coprocess", "--runtime-dir", run,
               "--state-dir", state, "--config", "/dev/null", "--log-level", "warn",
               "--set", "smtp.host=127.0.0.1", "--set", "smtp.port=" + std::to_string(smtp_port),
               "--set", "smtp.security=none", "--set", "mail.per_uid_per_minute=1000000",
               "--set", "mail.batch=1000"};
    // MAIL_BENCH_SET="name=value" adds one --set (e.g. mail.workers=2) to compare settings.
    if (const char* extra = std::getenv("MAIL_BENCH_SET")) {
      po.argv.push_back("--set");
      po.argv.push_back(extra);
    }
    po.output_path = log_;
    process_ = test::TestProcess(po);
    ClientOptions co;
    co.endpoint = run + "/coproc.sock";
    co.auto_launch = false;
    client_ = std::make_unique<Client>(co);
    up_ = test::wait_until([&] { return client_->connect() == COPROC_OK; }, std::chrono::seconds(20));
  }
  bool up() const { return up_; }
  Client& client() { return *client_; }
  std::string log() const { return test::read_file(log_); }

 private:
  std::string log_;
  test::TestProcess process_;
  std::unique_ptr<Client> client_;
  bool up_ = false;
};

struct Figures {
  double curl = -1, msmtp = -1, persistent = -1, coproc = -1;  // seconds for n mails
  double ceiling = -1;       // seconds for n mails over the best of 4 or 8 parallel sessions
  int ceiling_sessions = 0;
  double py_persistent_ms = -1, py_session_ms = -1;
  bool ok = false;
};

bool anchor_check(const Server& server, int n, Figures& f) {
  const std::string cmd = "/usr/bin/python3 " + std::string(COPROC_SOURCE_DIR) +
                          "/bench/smtp_anchor_check.py 127.0.0.1 " + std::to_string(server.port) +
                          " " + std::to_string(n);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return false;
  char line[256] = {0};
  const bool read = std::fgets(line, sizeof line, p) != nullptr;
  ::pclose(p);
  return read && std::sscanf(line, "persistent_ms=%lf per_session_ms=%lf", &f.py_persistent_ms,
                             &f.py_session_ms) == 2;
}

Figures measure(const test::TempDir& dir, const Server& server, int n, int n_spawn,
                const std::string& body_file) {
  Figures f;
  std::printf("== %s on 127.0.0.1:%d\n", server.name.c_str(), server.port);
  const std::size_t check_base = server.count();
  if (!anchor_check(server, 100, f) || !server.wait_for(check_base + 200)) {
    std::cerr << "the smtplib anchor check failed against " << server.name << "\n";
    return f;
  }
  std::printf("  independent check (python smtplib): %.3f ms/mail persistent, %.3f ms/mail with a "
              "new session each\n", f.py_persistent_ms, f.py_session_ms);

  Coprocess coprocess(dir, server.name, server.port);
  if (!coprocess.up()) {
    std::cerr << "coprocess did not come up:\n" << coprocess.log();
    return f;
  }
  // Warm-up (first connections, page cache), not counted.
  std::size_t base = server.count();
  run_persistent(server.port, 20);
  run_coproc(coprocess.client(), server, 20, base + 20);

  const double scale = static_cast<double>(n) / n_spawn;
  const std::string url = "smtp://127.0.0.1:" + std::to_string(server.port);
  base = server.count();
  double t = run_spawned({"/usr/bin/curl", "-s", "--url", url, "--mail-from", "bench@example.org",
                          "--mail-rcpt", "sink@example.net", "-T", "-"},
                         n_spawn, body_file);
  if (t < 0 || !server.wait_for(base + static_cast<std::size_t>(n_spawn))) return f;
  f.curl = t * scale;

  base = server.count();
  t = run_spawned({"/usr/bin/msmtp", "-C", "/dev/null", "--host=127.0.0.1",
                   "--port=" + std::to_string(server.port), "--from=bench@example.org", "--auth=off",
                   "--tls=off", "sink@example.net"},
                  n_spawn, body_file);
  if (t < 0 || !server.wait_for(base + static_cast<std::size_t>(n_spawn))) return f;
  f.msmtp = t * scale;

  base = server.count();
  const auto start = Clock::now();
  if (run_persistent(server.port, n) < 0 || !server.wait_for(base + static_cast<std::size_t>(n))) {
    return f;
  }
  f.persistent = seconds_since(start);

  for (int sessions : {4, 8}) {
    const double t_par = run_parallel_sessions(server, n, sessions);
    if (t_par < 0) return f;
    if (f.ceiling < 0 || t_par < f.ceiling) {
      f.ceiling = t_par;
      f.ceiling_sessions = sessions;
    }
  }

  base = server.count();
  f.coproc = run_coproc(coprocess.client(), server, n, base);
  if (f.coproc < 0) {
    std::cerr << "coproc run failed; log:\n" << coprocess.log();
    return f;
  }
  if (n_spawn != n) std::printf("  (spawned clients timed on %d messages, scaled to %d)\n", n_spawn, n);
  auto row = [&](const char* what, double secs) {
    std::printf("  %-34s %8.3f s %8.0f mails/s %8.3f ms/mail\n", what, secs, n / secs, secs * 1000 / n);
  };
  row("curl spawned per message", f.curl);
  row("msmtp spawned per message", f.msmtp);
  row("one persistent session", f.persistent);
  const std::string ceiling_row =
      "server ceiling: " + std::to_string(f.ceiling_sessions) + " parallel sessions";
  row(ceiling_row.c_str(), f.ceiling);
  row("coproc (until the server has all)", f.coproc);
  std::printf("  coproc / curl %.1fx, / msmtp %.1fx, / persistent session %.2fx, / server ceiling "
              "%.2fx\n", f.curl / f.coproc, f.msmtp / f.coproc, f.persistent / f.coproc,
              f.ceiling / f.coproc);
  // No client can beat the server's ceiling: against it, curl / ceiling is
  // the highest ratio to curl there is.
  std::printf("  the most any client can reach here: %.1fx curl, %.2fx one persistent session%s\n",
              f.curl / f.ceiling, f.persistent / f.ceiling,
              f.coproc <= f.ceiling * 1.25 ? " — coproc is at the server's ceiling" : "");
  // The anchors against the independent client: our persistent session
  // should cost what smtplib's does (same server, same work), and a spawned
  // client cannot be faster than a new smtplib session.
  const double persistent_ms = f.persistent * 1000 / n;
  const double spread = persistent_ms / f.py_persistent_ms;
  std::printf("  anchor check: persistent session %.3f ms/mail vs smtplib %.3f ms/mail (%.2fx) — %s\n",
              persistent_ms, f.py_persistent_ms, spread,
              spread > 0.33 && spread < 3 ? "consistent" : "SUSPECT");
  std::printf("  anchor check: curl %.3f ms/mail vs a new smtplib session %.3f ms/mail — %s\n",
              f.curl * 1000 / n, f.py_session_ms,
              f.curl * 1000 / n >= f.py_session_ms * 0.5 ? "consistent" : "SUSPECT");
  f.ok = true;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int n_spawn = std::getenv("MAIL_BENCH_SPAWN") ? std::atoi(std::getenv("MAIL_BENCH_SPAWN"))
                                                      : std::min(n, 200);
  std::printf("mail_bench: %d small mails per method; load average %s at start\n", n,
              coproc::bench::load_average().c_str());
  test::TempDir dir;
  const std::string body_file = dir.file("body.eml");
  test::write_file(body_file, kBody);

  if (const std::string why = test::PostfixTestServer::unavailable_reason(); !why.empty()) {
    std::cerr << "mail_bench needs Postfix: " << why << "\n";
    return 1;
  }
  test::PostfixTestServer postfix;
  postfix.start();
  const Figures pf = measure(dir, Server{"postfix", postfix.port(), [&] { return postfix.delivered(); }},
                             n, n_spawn, body_file);
  postfix.stop();

  test::SmtpTestServer::Options so;
  so.sink = true;
  test::SmtpTestServer sink(so);
  sink.start();
  const Figures ai = measure(dir, Server{"aiosmtpd", sink.port(), [&] { return sink.count(); }}, n,
                             n_spawn, body_file);
  if (!pf.ok || !ai.ok) return 1;

  // A server artifact in session set-up (Nagle + delayed ACK: about 40 ms
  // per new session) shows as set-up time far above a loopback round trip.
  for (const auto& [name, f] : {std::pair<const char*, const Figures&>{"postfix", pf}, {"aiosmtpd", ai}}) {
    const double setup_ms = f.py_session_ms - f.py_persistent_ms;
    std::printf("== %s: a new session costs %.3f ms of set-up — %s\n", name, setup_ms,
                setup_ms < 35 ? "no delayed-ACK stall" : "STALLS new sessions: anchors inflated");
  }
  std::printf("load average %s at the end\n", coproc::bench::load_average().c_str());
  // When Postfix is the limit, the first two goals measure Postfix: the
  // third says whether coproc got what the server can give.
  std::printf("Postfix's ceiling (%d parallel sessions): %.0f mails/s; bound on the curl ratio "
              "%.1fx\n", pf.ceiling_sessions, n / pf.ceiling, pf.curl / pf.ceiling);
  coproc::bench::print_goal("mail_postfix_vs_curl", pf.curl / pf.coproc, 20, "x", true);
  coproc::bench::print_goal("mail_postfix_vs_persistent_session", pf.persistent / pf.coproc, 1.0, "x", true);
  coproc::bench::print_goal("mail_postfix_vs_server_ceiling", pf.ceiling / pf.coproc, 0.8, "x", true);
  return 0;
}
