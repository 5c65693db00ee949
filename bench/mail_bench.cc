// mail_bench: 1000 small mails into one local SMTP sink (aiosmtpd), three
// ways, in the same run:
//   curl       — `curl smtp://` spawned per message (what legacy apps do today)
//   persistent — one SMTP session from this program, MAIL/RCPT/DATA per
//                message, no pipelining (the limit of a single session)
//   coproc     — mail.send through libcoproc (pipelined from 8 threads),
//                every mail stored durably (fsync) before it is accepted,
//                timed until the sink has received every message
// Prints messages/s and the ratios coproc/curl (goal >= 20) and
// coproc/persistent (goal >= 0.8). Usage: mail_bench [N] (default 1000).
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
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <msgpack.hpp>

#include "coproc/client.hpp"
#include "smtp_test_server.h"
#include "temp_dir.h"
#include "test_process.h"

using namespace coproc;
using Clock = std::chrono::steady_clock;

namespace {

const char* const kBody =
    "From: bench@example.org\r\nTo: sink@example.net\r\nSubject: bench\r\n\r\nsmall body\r\n";

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool wait_count(const test::SmtpTestServer& sink, std::size_t n) {
  return sink.wait_for_count(n, std::chrono::seconds(300));
}

double run_curl(int port, int n, const std::string& body_file) {
  const auto start = Clock::now();
  const std::string url = "smtp://127.0.0.1:" + std::to_string(port);
  for (int i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      execl("/usr/bin/curl", "curl", "-s", "--url", url.c_str(), "--mail-from", "bench@example.org",
            "--mail-rcpt", "sink@example.net", "-T", body_file.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::cerr << "curl failed (status " << status << ")\n";
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

struct Buffer {
  std::string bytes;
  void write(const char* d, std::size_t k) { bytes.append(d, k); }
};

std::string send_params(int run, int i) {
  Buffer b;
  msgpack::packer<Buffer> pk(b);
  pk.pack_array(1);
  pk.pack_map(5);
  pk.pack(std::string("from"));
  pk.pack(std::string("bench@example.org"));
  pk.pack(std::string("to"));
  pk.pack(std::string("sink@example.net"));
  pk.pack(std::string("subject"));
  pk.pack(std::string("bench"));
  pk.pack(std::string("text"));
  pk.pack(std::string("small body\n"));
  pk.pack(std::string("idempotency_key"));
  pk.pack("bench-" + std::to_string(::getpid()) + "-" + std::to_string(run) + "-" +
          std::to_string(i));
  return b.bytes;
}

double run_coproc(Client& client, const test::SmtpTestServer& sink, int n, std::size_t base) {
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
        CallResult r = client.call("mail.send", send_params(run, i), o);
        if (!r.ok()) {
          if (errors++ == 0) std::cerr << "mail.send: " << r.error_name << ": " << r.error_message << "\n";
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double accepted = seconds_since(start);
  if (errors) return -1;
  if (!wait_count(sink, base + static_cast<std::size_t>(n))) return -1;
  const double all = seconds_since(start);
  std::printf("  coproc: all %d accepted (durably queued) after %.3f s\n", n, accepted);
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  test::TempDir dir;
  test::SmtpTestServer::Options so;
  so.sink = true;
  test::SmtpTestServer sink(so);
  sink.start();
  const int port = sink.port();
  const std::string body_file = dir.file("body.eml");
  test::write_file(body_file, kBody);

  ::mkdir(dir.file("run").c_str(), 0755);
  ::mkdir(dir.file("state").c_str(), 0755);
  test::TestProcess::Options po;
  po.argv = {std::string(COPROC_BIN_DIR) + "/coprocess/coprocess", "--runtime-dir", dir.file("run"),
             "--state-dir", dir.file("state"), "--config", "/dev/null", "--log-level", "warn",
             "--set", "smtp.host=127.0.0.1", "--set", "smtp.port=" + std::to_string(port),
             "--set", "smtp.security=none", "--set", "mail.per_uid_per_minute=1000000",
             "--set", "mail.batch=1000"};
  // MAIL_BENCH_SET="name=value" adds one --set (e.g. mail.workers=2) to compare settings.
  if (const char* extra = std::getenv("MAIL_BENCH_SET")) {
    po.argv.push_back("--set");
    po.argv.push_back(extra);
  }
  po.output_path = dir.file("coprocess.log");
  test::TestProcess coprocess(po);
  ClientOptions co;
  co.endpoint = dir.file("run") + "/coproc.sock";
  co.auto_launch = false;
  Client client(co);
  if (!test::wait_until([&] { return client.connect() == COPROC_OK; }, std::chrono::seconds(20))) {
    std::cerr << "coprocess did not come up:\n" << test::read_file(dir.file("coprocess.log"));
    return 1;
  }

  std::printf("mail_bench: %d small mails per method into one aiosmtpd sink on 127.0.0.1:%d\n", n, port);
  // Warm-up (first connections, page cache), not counted.
  run_persistent(port, 20);
  run_coproc(client, sink, 20, sink.count());

  std::size_t base = sink.count();
  // MAIL_BENCH_CURL=N runs curl for N messages only (it is slow) and scales.
  const int n_curl = std::getenv("MAIL_BENCH_CURL") ? std::atoi(std::getenv("MAIL_BENCH_CURL")) : n;
  const double t_curl_part = run_curl(port, n_curl, body_file);
  if (t_curl_part < 0 || !wait_count(sink, base + static_cast<std::size_t>(n_curl))) return 1;
  const double t_curl = t_curl_part * n / std::max(n_curl, 1);
  if (n_curl != n) std::printf("  (curl measured on %d messages, scaled to %d)\n", n_curl, n);
  std::printf("  curl per message:        %8.3f s  %8.0f mails/s\n", t_curl, n / t_curl);

  base = sink.count();
  const double t_persistent = run_persistent(port, n);
  if (t_persistent < 0 || !wait_count(sink, base + static_cast<std::size_t>(n))) return 1;
  std::printf("  one persistent session:  %8.3f s  %8.0f mails/s\n", t_persistent, n / t_persistent);

  base = sink.count();
  const double t_coproc = run_coproc(client, sink, n, base);
  if (t_coproc < 0) {
    std::cerr << "coproc run failed; log:\n" << test::read_file(dir.file("coprocess.log"));
    return 1;
  }
  std::printf("  coproc (until delivered):%8.3f s  %8.0f mails/s\n", t_coproc, n / t_coproc);
  std::printf("ratio coproc / curl-per-message:  %.1fx (goal >= 20x)\n", t_curl / t_coproc);
  std::printf("ratio coproc / persistent session: %.2fx (goal >= 0.8x)\n", t_persistent / t_coproc);
  return 0;
}
